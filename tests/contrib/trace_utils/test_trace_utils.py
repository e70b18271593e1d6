"""ddtrace.contrib.trace_utils: HTTP tagging, query-string obfuscation, service names."""
import pytest

from ddtrace.contrib import trace_utils
from ddtrace.settings import config
from ddtrace.settings._env import DEFAULT_QUERY_STRING_REGEXP
from ddtrace.trace import Pin
from ddtrace.trace import Span


@pytest.fixture
def default_regexp(monkeypatch):
    monkeypatch.setattr(config, "_obfuscation_query_string_regexp", DEFAULT_QUERY_STRING_REGEXP)


@pytest.fixture
def int_config():
    """A fresh integration config with no settings from code."""
    cfg = config._add("trace_utils_test", {"trace_query_string": None, "http_header_tags": {}})
    yield cfg
    cfg.update({"trace_query_string": None, "http_header_tags": {}, "service": None, "distributed_tracing": True})


def server_span():
    span = Span("web.request", span_type="web")
    return span


def client_span():
    span = Span("http.request", span_type="http")
    span.set_tag("span.kind", "client")
    return span


# ---------------------------------------------------------------- query string obfuscation


@pytest.mark.parametrize(
    "query, expected",
    [
        ("token=abc123&page=2", "<redacted>&page=2"),
        ("page=2&password=hunter2", "page=2&<redacted>"),
        ("api_key=XYZ&q=shoes", "<redacted>&q=shoes"),
        ("access_token=s3cr3t", "access_<redacted>"),
        ("x=ghp_" + "a" * 36, "x=<redacted>"),  # a GitHub token as a value
        ("q=shoes&secret=1&sort=asc", "q=shoes&<redacted>&sort=asc"),
        ("sig=abc", "sig=abc"),  # not a secret name: kept
        ("signature=abcdef&x=1", "<redacted>&x=1"),
        ("Authorization=Bearer%20abc", "<redacted>"),
        ("PASSWD=x", "<redacted>"),
        ("q=shoes&size=42", "q=shoes&size=42"),
    ],
)
def test_default_regexp_redacts_secrets(default_regexp, query, expected):
    assert trace_utils.obfuscate_query_string(query) == expected


def test_default_regexp_redacts_in_http_url(default_regexp, int_config):
    span = server_span()
    trace_utils.set_http_meta(span, int_config, url="http://example.com/login?user=bob&password=hunter2")
    assert span.get_tag("http.url") == "http://example.com/login?user=bob&<redacted>"
    assert "hunter2" not in str(span._meta)


def test_query_argument_is_appended_and_redacted(default_regexp, int_config):
    span = server_span()
    trace_utils.set_http_meta(span, int_config, url="http://example.com/p", query="token=t0k&x=1")
    assert span.get_tag("http.url") == "http://example.com/p?<redacted>&x=1"


def test_empty_regexp_disables_redaction(monkeypatch, int_config):
    monkeypatch.setattr(config, "_obfuscation_query_string_regexp", "")
    span = server_span()
    trace_utils.set_http_meta(span, int_config, url="http://example.com/?token=abc")
    assert span.get_tag("http.url") == "http://example.com/?token=abc"


def test_custom_regexp(monkeypatch, int_config):
    monkeypatch.setattr(config, "_obfuscation_query_string_regexp", r"card=\d+")
    span = server_span()
    trace_utils.set_http_meta(span, int_config, url="http://example.com/pay?card=4111111111111111&token=abc")
    assert span.get_tag("http.url") == "http://example.com/pay?<redacted>&token=abc"


def test_invalid_regexp_falls_back_to_default(monkeypatch, int_config):
    monkeypatch.setattr(config, "_obfuscation_query_string_regexp", "([unclosed")
    span = server_span()
    trace_utils.set_http_meta(span, int_config, url="http://example.com/?password=x&a=1")
    # A broken setting must not turn redaction off.
    assert span.get_tag("http.url") == "http://example.com/?<redacted>&a=1"


def test_regexp_change_is_picked_up(monkeypatch):
    monkeypatch.setattr(config, "_obfuscation_query_string_regexp", "a=1")
    assert trace_utils.obfuscate_query_string("a=1&b=2") == "<redacted>&b=2"
    monkeypatch.setattr(config, "_obfuscation_query_string_regexp", "b=2")
    assert trace_utils.obfuscate_query_string("a=1&b=2") == "a=1&<redacted>"


def test_query_string_dropped_when_not_traced(default_regexp, int_config):
    int_config.trace_query_string = False
    span = server_span()
    trace_utils.set_http_meta(span, int_config, url="http://example.com/search?q=shoes")
    assert span.get_tag("http.url") == "http://example.com/search"


def test_global_server_query_string_switch(monkeypatch, default_regexp, int_config):
    monkeypatch.setattr(config, "_http_server_tag_query_string", False)
    span = server_span()
    trace_utils.set_http_meta(span, int_config, url="http://example.com/search?q=shoes")
    assert span.get_tag("http.url") == "http://example.com/search"
    # Client spans follow their own switch.
    span = client_span()
    trace_utils.set_http_meta(span, int_config, url="http://example.com/search?q=shoes")
    assert span.get_tag("http.url") == "http://example.com/search?q=shoes"


# ---------------------------------------------------------------- URL sanitizing


@pytest.mark.parametrize(
    "url, expected",
    [
        ("http://user:pass@example.com/path", "http://example.com/path"),
        ("https://token@example.com:8443/a?b=1", "https://example.com:8443/a?b=1"),
        ("http://u:p@w@example.com/", "http://example.com/"),
        ("http://example.com/p@th?mail=a@b.c", "http://example.com/p@th?mail=a@b.c"),
        ("//user:pw@example.com/x", "//example.com/x"),
        ("/relative/path?x=1", "/relative/path?x=1"),
        ("http://example.com/page#section", "http://example.com/page"),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),
    ],
)
def test_sanitize_url(monkeypatch, url, expected):
    monkeypatch.setattr(config, "_obfuscation_query_string_regexp", "")
    assert trace_utils.sanitize_url(url) == expected


def test_userinfo_never_recorded(default_regexp, int_config):
    span = client_span()
    trace_utils.set_http_meta(span, int_config, url="https://admin:s3cret@db.example.com/api")
    assert span.get_tag("http.url") == "https://db.example.com/api"
    assert "s3cret" not in str(span._meta)


def test_bytes_url(int_config, default_regexp):
    span = client_span()
    trace_utils.set_http_meta(span, int_config, url=b"http://example.com/a?x=1")
    assert span.get_tag("http.url") == "http://example.com/a?x=1"


@pytest.mark.parametrize(
    "args, expected",
    [
        (("http", "example.com", "/p", None, 80), "http://example.com/p"),
        (("https", "example.com", "/p", "a=1", 443), "https://example.com/p?a=1"),
        (("http", "example.com", "/p", None, 8080), "http://example.com:8080/p"),
        (("http", "example.com:9000", "/p", None, 8080), "http://example.com:9000/p"),
        (("http", "[::1]", "", None, "8000"), "http://[::1]:8000/"),
    ],
)
def test_build_url(args, expected):
    assert trace_utils.build_url(*args) == expected


# ---------------------------------------------------------------- status codes


@pytest.mark.parametrize(
    "status, error",
    [(200, 0), (302, 0), (404, 0), (499, 0), (500, 1), (503, 1), (599, 1)],
)
def test_server_error_statuses_default(monkeypatch, int_config, status, error):
    from ddtrace.settings._parse import StatusCodes

    monkeypatch.setattr(config, "_http_server_error_statuses", StatusCodes(range(500, 600)))
    span = server_span()
    trace_utils.set_http_meta(span, int_config, status_code=status)
    assert span.get_tag("http.status_code") == str(status)
    assert span.error == error


def test_custom_server_error_statuses(monkeypatch, int_config):
    monkeypatch.setattr(config, "_http_server_error_statuses", frozenset([429, 404]))
    for status, error in ((404, 1), (429, 1), (500, 0)):
        span = server_span()
        trace_utils.set_http_meta(span, int_config, status_code=status)
        assert span.error == error, status


def test_client_spans_use_client_statuses(monkeypatch, int_config):
    monkeypatch.setattr(config, "_http_server_error_statuses", frozenset(range(500, 600)))
    monkeypatch.setattr(config, "_http_client_error_statuses", frozenset([404]))
    span = client_span()
    trace_utils.set_http_meta(span, int_config, status_code=404)
    assert span.error == 1
    span = client_span()
    trace_utils.set_http_meta(span, int_config, status_code=500)
    assert span.error == 0


def test_span_kind_server_counts_as_server(monkeypatch, int_config):
    monkeypatch.setattr(config, "_http_server_error_statuses", frozenset([500]))
    monkeypatch.setattr(config, "_http_client_error_statuses", frozenset())
    span = Span("custom")
    span.set_tag("span.kind", "server")
    trace_utils.set_http_meta(span, int_config, status_code=500)
    assert span.error == 1


def test_status_does_not_clear_an_error(int_config):
    span = server_span()
    span.error = 1
    trace_utils.set_http_meta(span, int_config, status_code=200)
    assert span.error == 1


@pytest.mark.parametrize(
    "status, expected",
    [
        ("404", 404),
        ("404 Not Found", 404),
        ("200 OK", 200),
        ("2000", 2000),
        ("200x", None),
        ("\u00b200 OK", None),
        (b"201", 201),
        (" 200 ", 200),
        ("OK", None),
        ("", None),
        (None, None),
        (503, 503),
        (True, None),
    ],
)
def test_parse_status_code(status, expected):
    assert trace_utils.parse_status_code(status) == expected


def test_bad_status_is_skipped(int_config):
    span = server_span()
    trace_utils.set_http_meta(span, int_config, status_code="not-a-status", method="GET")
    assert span.get_tag("http.status_code") is None
    assert span.get_tag("http.method") == "GET"


# ---------------------------------------------------------------- headers


def test_header_tags_are_case_insensitive(monkeypatch, int_config):
    monkeypatch.setattr(config, "http_header_tags", {"x-request-id": "", "content-type": "ct.tag"})
    span = server_span()
    trace_utils.set_http_meta(
        span,
        int_config,
        request_headers={"X-Request-ID": "abc", "Content-Type": "text/html", "Other": "no"},
        response_headers=[("CONTENT-TYPE", "application/json"), ("X-REQUEST-ID", "resp")],
    )
    assert span.get_tag("http.request.headers.x-request-id") == "abc"
    assert span.get_tag("http.response.headers.x-request-id") == "resp"
    # An explicit tag name is shared by request and response: the response comes last.
    assert span.get_tag("ct.tag") == "application/json"
    assert not any("other" in k for k in span._meta)


def test_integration_header_tags_add_to_global(monkeypatch, int_config):
    monkeypatch.setattr(config, "http_header_tags", {"x-global": ""})
    int_config.http_header_tags = {"X-Own": "own.tag"}
    span = server_span()
    trace_utils.set_http_meta(span, int_config, request_headers={"x-global": "g", "x-own": "o"})
    assert span.get_tag("http.request.headers.x-global") == "g"
    assert span.get_tag("own.tag") == "o"


def test_header_tags_from_bytes_pairs_and_repeats(monkeypatch, int_config):
    monkeypatch.setattr(config, "http_header_tags", {"accept": ""})
    span = server_span()
    trace_utils.set_http_meta(span, int_config, request_headers=[(b"Accept", b"a/b"), (b"accept", b"c/d")])
    assert span.get_tag("http.request.headers.accept") == "a/b,c/d"


def test_header_tag_names_are_normalized(monkeypatch, int_config):
    monkeypatch.setattr(config, "http_header_tags", {"x.weird header": ""})
    span = server_span()
    trace_utils.set_http_meta(span, int_config, request_headers={"X.Weird Header": "v"})
    assert span.get_tag("http.request.headers.x_weird_header") == "v"


def test_no_header_tags_configured(monkeypatch, int_config):
    monkeypatch.setattr(config, "http_header_tags", {})
    span = server_span()
    trace_utils.set_http_meta(span, int_config, request_headers={"X-Request-ID": "abc"}, response_headers={"A": "b"})
    assert not any(k.startswith("http.request.headers") or k.startswith("http.response.headers") for k in span._meta)


def test_user_agent_on_server_spans_only(int_config):
    span = server_span()
    trace_utils.set_http_meta(span, int_config, request_headers={"User-Agent": "curl/8.0"})
    assert span.get_tag("http.useragent") == "curl/8.0"
    span = client_span()
    trace_utils.set_http_meta(span, int_config, request_headers={"User-Agent": "python-requests/2"})
    assert span.get_tag("http.useragent") is None


def test_user_agent_from_pair_iterator(int_config):
    span = server_span()
    trace_utils.set_http_meta(span, int_config, request_headers=iter([("user-agent", "ua/1")]))
    assert span.get_tag("http.useragent") == "ua/1"


def test_environ_headers_without_user_agent_are_not_scanned(int_config, monkeypatch):
    from ddtrace.contrib._server import EnvironHeaders

    monkeypatch.setattr(config, "http_header_tags", {})

    class Environ(dict):
        def items(self):
            raise AssertionError("the environ was scanned")

    span = server_span()
    trace_utils.set_http_meta(span, int_config, request_headers=EnvironHeaders(Environ(HTTP_HOST="h", PATH="/bin")))
    assert span.get_tag("http.useragent") is None
    trace_utils.set_http_meta(span, int_config, request_headers=EnvironHeaders(Environ(HTTP_USER_AGENT="ua/2")))
    assert span.get_tag("http.useragent") == "ua/2"


def test_method_route_host_and_retries(int_config):
    span = client_span()
    trace_utils.set_http_meta(
        span,
        int_config,
        method="POST",
        route="/users/<id>",
        target_host="api.example.com",
        server_address="api",
        status_msg="Created",
        retries_remain=2,
    )
    assert span.get_tag("http.method") == "POST"
    assert span.get_tag("http.route") == "/users/<id>"
    assert span.get_tag("out.host") == "api.example.com"
    assert span.get_tag("server.address") == "api"
    assert span.get_tag("http.status_msg") == "Created"
    assert span.get_metric("http.retries_remain") == 2


def test_no_integration_config(default_regexp):
    span = server_span()
    trace_utils.set_http_meta(span, None, url="http://example.com/?token=1", status_code=500)
    assert span.get_tag("http.url") == "http://example.com/?<redacted>"


def test_broken_headers_never_raise(internal_errors, int_config, monkeypatch):
    monkeypatch.setattr(config, "http_header_tags", {"a": ""})
    internal_errors.allowed = True

    class Broken:
        def items(self):
            raise RuntimeError("boom")

        def get(self, name):
            raise RuntimeError("boom")

    span = server_span()
    trace_utils.set_http_meta(span, int_config, method="GET", request_headers=Broken())
    assert span.get_tag("http.method") == "GET"
    assert internal_errors.errors and internal_errors.errors[0][0] == "tagging an HTTP span"


# ---------------------------------------------------------------- distributed tracing


DD_HEADERS = {
    "x-datadog-trace-id": "1234",
    "x-datadog-parent-id": "5678",
    "x-datadog-sampling-priority": "2",
}


def test_extract_context(int_config):
    ctx = trace_utils.extract_context(int_config, DD_HEADERS)
    assert ctx.trace_id == 1234
    assert ctx.span_id == 5678
    assert ctx.sampling_priority == 2


def test_extract_context_disabled(int_config):
    int_config.distributed_tracing = False
    assert trace_utils.extract_context(int_config, DD_HEADERS) is None
    assert trace_utils.extract_context(int_config, DD_HEADERS, override=True).trace_id == 1234


def test_extract_context_override_off(int_config):
    assert trace_utils.extract_context(int_config, DD_HEADERS, override=False) is None


def test_extract_context_without_trace(int_config):
    assert trace_utils.extract_context(int_config, {"accept": "x"}) is None
    assert trace_utils.extract_context(int_config, None) is None


def test_activate_distributed_headers(tracer, int_config):
    ctx = trace_utils.activate_distributed_headers(tracer, int_config, DD_HEADERS)
    assert ctx is not None
    assert tracer.current_trace_context().trace_id == 1234
    with tracer.trace("server") as span:
        pass
    assert span.trace_id == 1234
    assert span.parent_id == 5678
    # The server span finished: nothing stays active.
    assert tracer.current_span() is None


def test_activate_distributed_headers_disabled(tracer, int_config):
    int_config.distributed_tracing = False
    assert trace_utils.activate_distributed_headers(tracer, int_config, DD_HEADERS) is None
    assert tracer.current_trace_context() is None
    assert trace_utils.activate_distributed_headers(tracer, int_config, DD_HEADERS, override=True) is not None
    assert tracer.current_trace_context().trace_id == 1234


def test_activate_same_context_twice(tracer, int_config):
    assert trace_utils.activate_distributed_headers(tracer, int_config, DD_HEADERS) is not None
    assert trace_utils.activate_distributed_headers(tracer, int_config, DD_HEADERS) is None


def test_activate_with_wsgi_environ(tracer, int_config):
    environ = {"HTTP_X_DATADOG_TRACE_ID": "99", "HTTP_X_DATADOG_PARENT_ID": "7"}
    trace_utils.activate_distributed_headers(tracer, int_config, environ)
    assert tracer.current_trace_context().trace_id == 99


# ---------------------------------------------------------------- service names


def test_int_service_order(int_config):
    assert trace_utils.int_service(None, int_config, "default-svc") == "default-svc"
    int_config.service = "from-config"
    assert trace_utils.int_service(None, int_config, "default-svc") == "from-config"
    assert trace_utils.int_service(Pin(service="from-pin"), int_config, "default-svc") == "from-pin"
    assert trace_utils.int_service(Pin(), int_config, "default-svc") == "from-config"


def test_ext_service(int_config):
    assert trace_utils.ext_service(None, int_config, "sqlite") == "sqlite"
    assert trace_utils.ext_service(Pin(service="db"), int_config, "sqlite") == "db"
    assert trace_utils.ext_service(None, None, "sqlite") == "sqlite"


def test_service_from_environment(monkeypatch):
    from ddtrace.settings import Config

    cfg = Config(environ={"DD_MYCLIENT_SERVICE": "env-svc"})
    assert trace_utils.ext_service(None, cfg.myclient, "myclient") == "env-svc"


# ---------------------------------------------------------------- helpers


def test_distributed_tracing_enabled(int_config):
    assert trace_utils.distributed_tracing_enabled(int_config) is True
    int_config.distributed_tracing = None
    assert trace_utils.distributed_tracing_enabled(int_config) is False
    assert trace_utils.distributed_tracing_enabled(int_config, default=True) is True
    int_config.distributed_tracing = False
    assert trace_utils.distributed_tracing_enabled(int_config, default=True) is False
    assert trace_utils.distributed_tracing_enabled(None) is False


def test_wrap_and_unwrap():
    class Target:
        @staticmethod
        def f(x):
            return x * 2

    calls = []

    def wrapper(wrapped, instance, args, kwargs):
        calls.append(args)
        return wrapped(*args, **kwargs) + 1

    trace_utils.wrap(Target, "f", wrapper)
    assert trace_utils.iswrapped(Target, "f")
    assert Target.f(3) == 7
    assert calls == [(3,)]
    trace_utils.unwrap(Target, "f")
    assert not trace_utils.iswrapped(Target, "f")
    assert Target.f(3) == 6
    assert Target().f(3) == 6  # still a staticmethod
    trace_utils.unwrap(Target, "f")  # no-op


def test_headers_to_dict():
    assert trace_utils.headers_to_dict([(b"A", b"1"), ("b", "2"), (b"a", b"3")]) == {"a": "1,3", "b": "2"}
    assert trace_utils.headers_to_dict({"X-Y": "z"}) == {"x-y": "z"}
    assert trace_utils.headers_to_dict(None) == {}


def test_import_is_light():
    import subprocess
    import sys

    code = (
        "import sys; import ddtrace.contrib.trace_utils; "
        "heavy = [m for m in ('re', 'logging', 'json', 'urllib.parse', 'wrapt', 'typing') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    # The tracer core may pull some in; trace_utils itself must add none of them.
    base = subprocess.run(
        [sys.executable, "-c", code.replace("import ddtrace.contrib.trace_utils", "import ddtrace")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == base
