"""DDWSGIMiddleware: plain WSGI calls and a real wsgiref server on 127.0.0.1."""
import http.client
import threading
import time
from wsgiref.simple_server import WSGIRequestHandler
from wsgiref.simple_server import make_server
from wsgiref.util import setup_testing_defaults

import pytest

from ddtrace.contrib.wsgi import DDWSGIMiddleware
from ddtrace.settings import config
from ddtrace.settings._env import DEFAULT_QUERY_STRING_REGEXP


@pytest.fixture(autouse=True)
def _defaults(monkeypatch):
    monkeypatch.setattr(config, "_obfuscation_query_string_regexp", DEFAULT_QUERY_STRING_REGEXP)
    monkeypatch.setattr(config, "_http_server_error_statuses", frozenset(range(500, 600)))
    monkeypatch.setattr(config, "http_header_tags", {})
    monkeypatch.setattr(config, "service", None)


def environ_for(path="/", query="", method="GET", **extra):
    environ = {}
    setup_testing_defaults(environ)
    environ["PATH_INFO"] = path
    environ["QUERY_STRING"] = query
    environ["REQUEST_METHOD"] = method
    environ.update(extra)
    return environ


class StartResponse:
    def __init__(self):
        self.calls = []

    def __call__(self, status, headers, exc_info=None):
        self.calls.append((status, headers))
        return lambda data: None


def hello_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Answer", "42")])
    return [b"hello ", b"world"]


def call(mw, environ):
    sr = StartResponse()
    result = mw(environ, sr)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return sr, body


def by_name(spans):
    return {s.name: s for s in spans}


def test_request_spans(tracer):
    mw = DDWSGIMiddleware(hello_app, tracer=tracer)
    env = environ_for("/hello", "a=1&token=abc", HTTP_USER_AGENT="curl/8", HTTP_HOST="example.com")
    sr, body = call(mw, env)
    assert body == b"hello world"
    assert sr.calls == [("200 OK", [("Content-Type", "text/plain"), ("X-Answer", "42")])]
    spans = tracer.pop()
    assert [s.name for s in spans] == ["wsgi.start_response", "wsgi.application", "wsgi.response", "wsgi.request"]
    s = by_name(spans)
    req = s["wsgi.request"]
    assert req.parent_id == 0
    assert req.span_type == "web"
    assert req.resource == "GET /hello"
    assert req.error == 0
    assert req.get_tag("component") == "wsgi"
    assert req.get_tag("span.kind") == "server"
    assert req.get_tag("http.method") == "GET"
    assert req.get_tag("http.url") == "http://example.com/hello?a=1&<redacted>"
    assert req.get_tag("http.status_code") == "200"
    assert req.get_tag("http.status_msg") == "OK"
    assert req.get_tag("http.useragent") == "curl/8"
    assert s["wsgi.application"].parent_id == req.span_id
    assert s["wsgi.start_response"].parent_id == s["wsgi.application"].span_id
    assert s["wsgi.start_response"].get_tag("span.kind") == "server"
    assert s["wsgi.response"].parent_id == req.span_id
    assert s["wsgi.response"].get_tag("result_class") == "list"
    assert {x.trace_id for x in spans} == {req.trace_id}


def test_url_from_server_name_and_port(tracer):
    mw = DDWSGIMiddleware(hello_app, tracer=tracer)
    env = environ_for("/x")
    env.pop("HTTP_HOST", None)
    env.update(SERVER_NAME="srv", SERVER_PORT="8080")
    call(mw, env)
    assert by_name(tracer.pop())["wsgi.request"].get_tag("http.url") == "http://srv:8080/x"


def test_script_name_and_quoting(tracer):
    mw = DDWSGIMiddleware(hello_app, tracer=tracer)
    env = environ_for("/caf\xc3\xa9 x", SCRIPT_NAME="/app", HTTP_HOST="h")
    call(mw, env)
    req = by_name(tracer.pop())["wsgi.request"]
    assert req.resource == "GET /app/caf%C3%A9%20x"
    assert req.get_tag("http.url") == "http://h/app/caf%C3%A9%20x"


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/a-b_c.d~e/f;g=h,i:j@k!l$m&n'o(p)q*r+s", "/a-b_c.d~e/f;g=h,i:j@k!l$m&n'o(p)q*r+s"),
        ("/100%", "/100%25"),
        ("/a\tb", "/a%09b"),
        ("", "/"),
    ],
)
def test_path_quoting(tracer, path, expected):
    # Paths made only of characters quote() keeps are used as they are; others are quoted.
    mw = DDWSGIMiddleware(hello_app, tracer=tracer)
    env = environ_for(path, HTTP_HOST="h")
    call(mw, env)
    assert by_name(tracer.pop())["wsgi.request"].get_tag("http.url") == "http://h" + expected


@pytest.mark.parametrize("status, error", [("404 Not Found", 0), ("500 Internal Server Error", 1), ("503 Busy", 1)])
def test_status_codes(tracer, status, error):
    def app(environ, start_response):
        start_response(status, [])
        return [b""]

    call(DDWSGIMiddleware(app, tracer=tracer), environ_for())
    req = by_name(tracer.pop())["wsgi.request"]
    assert req.get_tag("http.status_code") == status.split()[0]
    assert req.error == error


def test_exception_in_app(tracer):
    class Boom(Exception):
        pass

    err = Boom("kaput")

    def app(environ, start_response):
        raise err

    mw = DDWSGIMiddleware(app, tracer=tracer)
    with pytest.raises(Boom) as info:
        mw(environ_for("/fail"), StartResponse())
    assert info.value is err
    s = by_name(tracer.pop())
    req = s["wsgi.request"]
    assert req.error == 1
    assert req.get_tag("error.type").endswith("Boom")
    assert req.get_tag("error.message") == "kaput"
    assert req.get_tag("http.status_code") == "500"
    assert s["wsgi.application"].error == 1
    assert tracer.current_span() is None


def test_exception_while_iterating(tracer):
    def app(environ, start_response):
        start_response("200 OK", [])
        yield b"first"
        raise ValueError("stream broke")

    mw = DDWSGIMiddleware(app, tracer=tracer)
    result = mw(environ_for(), StartResponse())
    it = iter(result)
    assert next(it) == b"first"
    with pytest.raises(ValueError, match="stream broke"):
        next(it)
    result.close()
    s = by_name(tracer.pop())
    assert s["wsgi.response"].error == 1
    assert s["wsgi.request"].error == 1
    assert s["wsgi.request"].get_tag("http.status_code") == "200"
    assert s["wsgi.response"].get_tag("result_class") == "generator"


def test_lazy_start_response(tracer):
    def app(environ, start_response):
        start_response("201 Created", [])
        yield b"made"

    sr, body = call(DDWSGIMiddleware(app, tracer=tracer), environ_for())
    assert body == b"made"
    s = by_name(tracer.pop())
    assert s["wsgi.request"].get_tag("http.status_code") == "201"
    # Called during the iteration: under the response span.
    assert s["wsgi.start_response"].parent_id == s["wsgi.response"].span_id


class Body:
    """A response iterable that records how the server treated it."""

    def __init__(self, chunks):
        self.chunks = chunks
        self.closed = 0

    def __iter__(self):
        return iter(self.chunks)

    def close(self):
        self.closed += 1


def test_close_is_forwarded_once_and_ends_the_trace(tracer):
    body = Body([b"a", b"b"])
    mw = DDWSGIMiddleware(lambda e, sr: (sr("200 OK", []), body)[1], tracer=tracer)
    result = mw(environ_for(), StartResponse())
    it = iter(result)
    assert next(it) == b"a"
    assert tracer.pop() == []  # still streaming
    result.close()
    assert body.closed == 1
    assert len(tracer.pop()) == 4


def test_never_closed_iterable_ends_with_iteration(tracer):
    def app(environ, start_response):
        start_response("200 OK", [])
        return iter([b"x", b"y"])

    result = DDWSGIMiddleware(app, tracer=tracer)(environ_for(), StartResponse())
    assert list(result) == [b"x", b"y"]
    # No close() from this "server": the trace still ends.
    assert len(tracer.pop()) == 4


def test_closed_without_iterating(tracer):
    # close() runs the application's code (clean-up, teardown hooks): wsgi.response covers it.
    body = Body([b"never read"])
    result = DDWSGIMiddleware(lambda e, sr: (sr("200 OK", []), body)[1], tracer=tracer)(environ_for(), StartResponse())
    result.close()
    assert body.closed == 1
    names = [s.name for s in tracer.pop()]
    assert sorted(names) == ["wsgi.application", "wsgi.request", "wsgi.response", "wsgi.start_response"]


def test_error_in_close(tracer):
    class BadClose(Body):
        def close(self):
            raise OSError("close failed")

    result = DDWSGIMiddleware(lambda e, sr: (sr("200 OK", []), BadClose([b"z"]))[1], tracer=tracer)(
        environ_for(), StartResponse()
    )
    with pytest.raises(OSError, match="close failed"):
        result.close()
    req = by_name(tracer.pop())["wsgi.request"]
    assert req.error == 1
    assert req.get_tag("error.message") == "close failed"


def test_len_only_when_the_app_has_it(tracer):
    mw = DDWSGIMiddleware(hello_app, tracer=tracer)
    result = mw(environ_for(), StartResponse())
    assert len(result) == 2
    result.close()

    def gen_app(environ, start_response):
        start_response("200 OK", [])
        yield b""

    result = DDWSGIMiddleware(gen_app, tracer=tracer)(environ_for(), StartResponse())
    assert not hasattr(result, "__len__")
    list(result)


def test_app_attributes_visible(tracer):
    class FileWrapper(Body):
        blksize = 8192

    result = DDWSGIMiddleware(lambda e, sr: (sr("200 OK", []), FileWrapper([b"f"]))[1], tracer=tracer)(
        environ_for(), StartResponse()
    )
    assert result.blksize == 8192
    result.close()


def test_distributed_headers(tracer):
    env = environ_for(
        HTTP_X_DATADOG_TRACE_ID="1234",
        HTTP_X_DATADOG_PARENT_ID="5678",
        HTTP_X_DATADOG_SAMPLING_PRIORITY="2",
    )
    call(DDWSGIMiddleware(hello_app, tracer=tracer), env)
    spans = tracer.pop()
    req = by_name(spans)["wsgi.request"]
    assert req.trace_id == 1234
    assert req.parent_id == 5678
    assert req.context.sampling_priority == 2
    assert {s.trace_id for s in spans} == {1234}


def test_distributed_tracing_off(tracer):
    env = environ_for(HTTP_X_DATADOG_TRACE_ID="1234", HTTP_X_DATADOG_PARENT_ID="5678")
    call(DDWSGIMiddleware(hello_app, tracer=tracer, distributed_tracing=False), env)
    req = by_name(tracer.pop())["wsgi.request"]
    assert req.trace_id != 1234
    assert req.parent_id == 0


def test_distributed_tracing_from_config(tracer, monkeypatch):
    monkeypatch.setitem(config.wsgi, "distributed_tracing", False)
    env = environ_for(HTTP_X_DATADOG_TRACE_ID="1234", HTTP_X_DATADOG_PARENT_ID="5678")
    call(DDWSGIMiddleware(hello_app, tracer=tracer, distributed_tracing=None), env)
    assert by_name(tracer.pop())["wsgi.request"].trace_id != 1234
    # The default (True) lets the setting decide too.
    call(DDWSGIMiddleware(hello_app, tracer=tracer), env)
    assert by_name(tracer.pop())["wsgi.request"].trace_id != 1234


def test_header_tags(tracer, monkeypatch):
    monkeypatch.setattr(config, "http_header_tags", {"x-request-id": "", "x-answer": "answer", "content-type": ""})
    env = environ_for(HTTP_X_REQUEST_ID="req-1", CONTENT_TYPE="application/json")
    call(DDWSGIMiddleware(hello_app, tracer=tracer), env)
    req = by_name(tracer.pop())["wsgi.request"]
    assert req.get_tag("http.request.headers.x-request-id") == "req-1"
    assert req.get_tag("http.request.headers.content-type") == "application/json"
    assert req.get_tag("http.response.headers.content-type") == "text/plain"
    assert req.get_tag("answer") == "42"


def test_service_naming(tracer, monkeypatch):
    monkeypatch.setattr(config, "service", "web-app")
    call(DDWSGIMiddleware(hello_app, tracer=tracer), environ_for())
    assert {s.service for s in tracer.pop()} == {"web-app"}
    monkeypatch.setitem(config.wsgi, "service", "wsgi-svc")
    call(DDWSGIMiddleware(hello_app, tracer=tracer), environ_for())
    assert {s.service for s in tracer.pop()} == {"wsgi-svc"}
    call(DDWSGIMiddleware(hello_app, tracer=tracer, service="explicit", span_name="my.request"), environ_for())
    spans = tracer.pop()
    assert {s.service for s in spans} == {"explicit"}
    assert "my.request" in {s.name for s in spans}


def test_user_spans_are_children_of_application(tracer):
    def app(environ, start_response):
        with tracer.trace("business.logic"):
            pass
        start_response("200 OK", [])
        return [b""]

    call(DDWSGIMiddleware(app, tracer=tracer), environ_for())
    s = by_name(tracer.pop())
    assert s["business.logic"].parent_id == s["wsgi.application"].span_id


def test_nothing_active_after_the_call(tracer):
    result = DDWSGIMiddleware(hello_app, tracer=tracer)(environ_for(), StartResponse())
    assert tracer.current_span() is None
    list(result)
    result.close()
    assert tracer.current_span() is None
    # The next request on this thread starts a new trace.
    call(DDWSGIMiddleware(hello_app, tracer=tracer), environ_for())
    traces = {s.trace_id for s in tracer.pop() if s.name == "wsgi.request"}
    assert len(traces) == 2


def test_disabled_tracer_passes_through(tracer):
    tracer.enabled = False
    body = Body([b"plain"])
    result = DDWSGIMiddleware(lambda e, sr: (sr("200 OK", []), body)[1], tracer=tracer)(environ_for(), StartResponse())
    assert result is body
    tracer.enabled = True
    assert tracer.pop() == []


def test_global_tracer_by_default():
    from ddtrace.trace import tracer

    assert DDWSGIMiddleware(hello_app).tracer is tracer


# ---------------------------------------------------------------- a real server


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def serve():
    """``serve(app) -> port``: run ``app`` under wsgiref on 127.0.0.1 in a thread."""
    servers = []

    def start(app):
        server = make_server("127.0.0.1", 0, app, handler_class=_QuietHandler)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        servers.append((server, thread))
        return server.server_port

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(10)


def get(port, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def wait_for_spans(tracer, n, timeout=10.0):
    """The server thread finishes the trace after the client has its answer: poll."""
    spans = []
    give_up = time.monotonic() + timeout
    while len(spans) < n and time.monotonic() < give_up:
        spans.extend(tracer.pop())
        if len(spans) < n:
            time.sleep(0.01)
    assert len(spans) == n, spans
    return spans


def test_real_server(tracer, serve):
    def app(environ, start_response):
        if environ["PATH_INFO"] == "/boom":
            raise RuntimeError("server side")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"pong"]

    port = serve(DDWSGIMiddleware(app, tracer=tracer))
    assert get(port, "/ping?password=x&page=3", {"User-Agent": "test-client"}) == (200, b"pong")
    req = by_name(wait_for_spans(tracer, 4))["wsgi.request"]
    assert req.get_tag("http.url") == "http://127.0.0.1:%d/ping?<redacted>&page=3" % port
    assert req.get_tag("http.status_code") == "200"
    assert req.get_tag("http.useragent") == "test-client"

    status, _ = get(port, "/boom")
    assert status == 500  # wsgiref's own error page
    spans = by_name(wait_for_spans(tracer, 2))
    assert spans["wsgi.request"].error == 1
    assert spans["wsgi.request"].get_tag("error.message") == "server side"
    assert spans["wsgi.request"].get_tag("http.status_code") == "500"


def test_real_server_distributed(tracer, serve):
    port = serve(DDWSGIMiddleware(hello_app, tracer=tracer))
    headers = {"traceparent": "00-0000000000000000000000000000abcd-00000000000000ef-01"}
    assert get(port, "/", headers)[0] == 200
    req = by_name(wait_for_spans(tracer, 4))["wsgi.request"]
    assert req.trace_id == 0xABCD
    assert req.parent_id == 0xEF
