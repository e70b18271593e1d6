"""The django integration on the test project, through Django's test client (WSGI path)."""
import django.utils.functional
import pytest

from ddtrace.settings import config
from tests.contrib.django.djapp import middleware as app_middleware
from tests.contrib.django.djapp import views

MIDDLEWARE_CALLS = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tests.contrib.django.djapp.middleware.HooksMiddleware",
]
HOOKS = "tests.contrib.django.djapp.middleware.HooksMiddleware"


def root_of(spans):
    roots = [s for s in spans if s.name == "django.request"]
    assert len(roots) == 1, [(s.name, s.resource) for s in spans]
    return roots[0]


def named(spans, name):
    return [s for s in spans if s.name == name]


def test_request_span(client, spans):
    response = client.get("/books/1/", HTTP_USER_AGENT="test-agent/1.0")
    assert response.status_code == 200
    got = spans()
    root = root_of(got)
    assert root.parent_id == 0
    assert root.service == "django"
    assert root.resource == "GET books/<int:pk>/"
    assert root.span_type == "web"
    assert root.error == 0
    assert root.get_tag("component") == "django"
    assert root.get_tag("span.kind") == "server"
    assert root.get_tag("http.method") == "GET"
    assert root.get_tag("http.route") == "books/<int:pk>/"
    assert root.get_tag("http.status_code") == "200"
    assert root.get_tag("http.url") == "http://testserver/books/1/"
    assert root.get_tag("http.useragent") == "test-agent/1.0"
    assert root.get_tag("django.view") == "book"
    assert root.get_tag("django.request.class") == "django.core.handlers.wsgi.WSGIRequest"
    assert root.get_tag("django.response.class") == "django.http.response.JsonResponse"
    assert root.get_metric("_dd.measured") == 1
    # Nothing loaded request.user, and the tags do not load it either: without a
    # session cookie it is known to be anonymous.
    assert root.get_tag("django.user.is_authenticated") == "False"
    assert response.wsgi_request.user._wrapped is django.utils.functional.empty
    assert root.get_tag("usr.id") is None
    assert all(s.trace_id == root.trace_id for s in got)


def test_service_is_dd_service_then_the_integration_setting(client, spans, monkeypatch, djconfig):
    monkeypatch.setattr(config, "service", "bookshop")
    client.get("/")
    assert {s.service for s in spans()} == {"bookshop"}
    djconfig(service_name="bookshop-legacy")  # the older key
    client.get("/")
    assert {s.service for s in spans()} == {"bookshop-legacy"}
    djconfig(service="bookshop-web")
    client.get("/")
    assert {s.service for s in spans()} == {"bookshop-web"}


def test_middleware_and_view_spans(client, spans):
    client.get("/books/1/")
    got = spans()
    root = root_of(got)
    by_id = {s.span_id: s for s in got}

    def path_of(span):
        names = []
        while span.parent_id in by_id:
            span = by_id[span.parent_id]
            names.append(span.resource)
        return list(reversed(names))

    calls = [s for s in named(got, "django.middleware") if s.resource.endswith(".__call__")]
    assert [s.resource for s in calls] == [m + ".__call__" for m in MIDDLEWARE_CALLS]
    # Each middleware call is inside the previous one.
    for outer, inner in zip(calls, calls[1:]):
        assert inner.parent_id == outer.span_id
    assert calls[0].parent_id == root.span_id
    hooks = {s.resource: s for s in named(got, "django.middleware")}
    assert hooks[HOOKS + ".process_request"].parent_id == calls[-1].span_id
    assert hooks[HOOKS + ".process_response"].parent_id == calls[-1].span_id
    function_mw = hooks["tests.contrib.django.djapp.middleware.function_middleware"]
    assert function_mw.parent_id == calls[-1].span_id
    assert hooks[HOOKS + ".process_view"].parent_id == function_mw.span_id
    assert hooks["django.middleware.security.SecurityMiddleware.process_response"].parent_id == calls[0].span_id

    (view,) = named(got, "django.view")
    assert view.resource == "tests.contrib.django.djapp.views.BookView"
    assert view.parent_id == function_mw.span_id
    (setup,) = named(got, "django.view.setup")
    (dispatch,) = named(got, "django.view.dispatch")
    (get,) = named(got, "django.view.get")
    assert setup.resource == "django.views.generic.base.View.setup"
    assert dispatch.resource == "django.views.generic.base.View.dispatch"
    assert get.resource == "tests.contrib.django.djapp.views.BookView.get"
    assert setup.parent_id == dispatch.parent_id == view.span_id
    assert get.parent_id == dispatch.span_id
    assert path_of(get)[-2:] == [view.resource, dispatch.resource]
    for span in got:
        assert span.get_tag("component") == "django"
        assert span.error == 0
        if span is not root:
            assert span.span_type is None and span.service == root.service


def test_head_request_is_answered_by_the_get_handler(client, spans):
    assert client.head("/books/1/").status_code == 200
    got = spans()
    # As PyPI ddtrace names it: the class's method that answers.
    (handler,) = named(got, "django.view.get")
    assert handler.resource == "tests.contrib.django.djapp.views.BookView.get"
    assert handler.parent_id == named(got, "django.view.dispatch")[0].span_id


def test_root_url_route(client, spans):
    client.get("/")
    root = root_of(spans())
    assert root.resource == "GET ^/"
    assert root.get_tag("http.route") == "^/"
    assert root.get_tag("django.view") == "index"


@pytest.mark.parametrize(
    "path, resource, view_tag",
    [
        ("/legacy/abc/", "GET ^legacy/(?P<slug>[a-z]+)/$", "tests.contrib.django.djapp.views.legacy"),
        ("/nested/inner/zz/", "GET nested/inner/<str:name>/", "named"),
        ("/render/", "GET render/", "tests.contrib.django.djapp.views.rendered"),
    ],
)
def test_routes(client, spans, path, resource, view_tag):
    assert client.get(path).status_code == 200
    root = root_of(spans())
    assert root.resource == resource
    assert root.get_tag("http.route") == resource[4:]
    assert root.get_tag("django.view") == view_tag


def test_unresolved_url_is_a_404_resource(client, spans):
    assert client.get("/no/such/page/").status_code == 404
    got = spans()
    root = root_of(got)
    assert root.resource == "GET 404"
    assert root.error == 0
    assert root.get_tag("http.status_code") == "404"
    assert root.get_tag("http.route") is None
    assert root.get_tag("django.view") is None
    assert named(got, "django.view") == []


def test_response_from_a_middleware_before_resolving(client, spans):
    response = client.post("/short-circuit/")
    assert response.content == b"answered by middleware"
    root = root_of(spans())
    assert root.resource == "POST 200"
    assert root.get_tag("http.method") == "POST"
    assert root.get_tag("http.route") is None


def test_http404_raised_by_a_view_marks_the_spans_it_leaves_not_the_request(client, spans):
    # As PyPI ddtrace: the exception is recorded where it passes; the request's error
    # follows its status.
    assert client.get("/books/99/").status_code == 404
    got = spans()
    root = root_of(got)
    assert root.resource == "GET books/<int:pk>/"
    assert root.get_tag("http.status_code") == "404"
    assert root.error == 0 and root.get_tag("error.type") is None
    failed = [s for s in got if s.error]
    assert [s.name for s in failed] == ["django.view", "django.view.dispatch", "django.view.get"]
    for span in failed:
        assert span.get_tag("error.type") == "django.http.response.Http404"
        assert span.get_tag("error.message") == "no book 99"


def test_view_exception(client, spans):
    with pytest.raises(RuntimeError) as exc_info:
        client.get("/error/")
    assert exc_info.value is views.ERROR  # the user's exception, unchanged
    got = spans()
    root = root_of(got)
    assert root.error == 1
    assert root.get_tag("http.status_code") == "500"
    assert root.get_tag("error.type") == "builtins.RuntimeError"
    assert root.get_tag("error.message") == "the view failed"
    assert "raise ERROR" in root.get_tag("error.stack")
    (view,) = named(got, "django.view")
    assert view.error == 1
    assert view.get_tag("error.type") == "builtins.RuntimeError"
    hooks = [s.resource for s in named(got, "django.middleware")]
    assert HOOKS + ".process_exception" in hooks


def test_exception_answered_as_500_without_reraise(spans):
    from django.test import Client

    response = Client(raise_request_exception=False).get("/error/")
    assert response.status_code == 500
    root = root_of(spans())
    assert root.error == 1
    assert root.get_tag("error.type") == "builtins.RuntimeError"


def test_middleware_exception(client, spans):
    with pytest.raises(LookupError) as exc_info:
        client.get("/mw-error/")
    assert exc_info.value is app_middleware.MIDDLEWARE_ERROR
    got = spans()
    root = root_of(got)
    assert root.error == 1
    assert root.get_tag("error.type") == "builtins.LookupError"
    failing = [s for s in got if s.error and s is not root]
    assert {s.resource for s in failing} == {HOOKS + ".process_request", HOOKS + ".__call__"}


def test_template_response(client, spans):
    response = client.get("/template-response/")
    assert b"Emma" in response.content
    got = spans()
    root = root_of(got)
    assert root.get_tag("django.response.class") == "django.template.response.TemplateResponse"
    assert root.get_tag("django.response.template") == "book.html"
    assert HOOKS + ".process_template_response" in [s.resource for s in named(got, "django.middleware")]
    # Template spans are off by default (minimal tracing).
    assert named(got, "django.template.render") == []


def test_streaming_response(client, spans):
    response = client.get("/stream/")
    assert b"".join(response.streaming_content) == b"ab"
    root = root_of(spans())
    assert root.get_tag("django.response.class") == "django.http.response.StreamingHttpResponse"
    assert root.duration_ns is not None


def test_async_view_through_the_sync_handler(client, spans):
    assert client.get("/async/").content == b"async ok"
    got = spans()
    root = root_of(got)
    (view,) = named(got, "django.view")
    assert view.resource == "tests.contrib.django.djapp.views.async_view"
    assert view.trace_id == root.trace_id
    assert view.duration_ns is not None


def test_query_string_is_obfuscated(client, spans):
    client.get("/books/1/", {"page": "2", "token": "s3cr3t"})
    url = root_of(spans()).get_tag("http.url")
    assert url.startswith("http://testserver/books/1/?page=2&")
    assert "s3cr3t" not in url


def test_query_string_can_be_left_out(client, spans, djconfig):
    djconfig(trace_query_string=False)
    client.get("/books/1/", {"page": "2"})
    assert root_of(spans()).get_tag("http.url") == "http://testserver/books/1/"


def test_hostile_host_header(client, spans):
    # Django refuses the host (400); the span records the URL without the user-info.
    assert client.get("/", HTTP_HOST="user:secret@testserver").status_code == 400
    root = root_of(spans())
    assert root.get_tag("http.url") == "http://testserver/"
    assert root.get_tag("http.status_code") == "400"
    assert root.error == 0


def test_non_ascii_path(client, spans):
    assert client.get("/legacy/caf\u00e9/").status_code == 404
    assert root_of(spans()).get_tag("http.url") == "http://testserver/legacy/caf%C3%A9/"


def test_header_tags(client, spans, djconfig):
    djconfig(http_header_tags={"x-request-id": "request.id", "x-hooks": ""})
    client.get("/", HTTP_X_REQUEST_ID="r-42")
    root = root_of(spans())
    assert root.get_tag("request.id") == "r-42"
    assert root.get_tag("http.response.headers.x-hooks") == "1"


def test_distributed_tracing(client, spans):
    client.get(
        "/",
        HTTP_X_DATADOG_TRACE_ID="1234",
        HTTP_X_DATADOG_PARENT_ID="5678",
        HTTP_X_DATADOG_SAMPLING_PRIORITY="2",
    )
    root = root_of(spans())
    assert root.trace_id == 1234
    assert root.parent_id == 5678
    assert root.context.sampling_priority == 2


def test_w3c_trace_context(client, spans):
    client.get("/", HTTP_TRACEPARENT="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
    root = root_of(spans())
    assert root.trace_id == 0x0AF7651916CD43DD8448EB211C80319C
    assert root.parent_id == 0xB7AD6B7169203331


@pytest.mark.parametrize("key", ["distributed_tracing", "distributed_tracing_enabled"])
def test_distributed_tracing_off(client, spans, djconfig, key):
    djconfig(**{key: False})
    client.get("/", HTTP_X_DATADOG_TRACE_ID="1234", HTTP_X_DATADOG_PARENT_ID="5678")
    root = root_of(spans())
    assert root.trace_id != 1234
    assert root.parent_id == 0


def test_malformed_trace_headers_start_a_new_trace(client, spans):
    response = client.get("/", HTTP_X_DATADOG_TRACE_ID="not-a-number", HTTP_X_DATADOG_PARENT_ID="-1")
    assert response.status_code == 200
    root = root_of(spans())
    assert root.parent_id == 0


def test_request_inside_an_active_span(client, spans):
    with spans.tracer.trace("outer") as outer:
        client.get("/", HTTP_X_DATADOG_TRACE_ID="1234", HTTP_X_DATADOG_PARENT_ID="5678")
        assert spans.tracer.current_span() is outer
    got = spans()
    root = root_of(got)
    assert root.parent_id == outer.span_id
    assert root.trace_id == outer.trace_id


def test_nothing_stays_active_after_a_request(client, spans):
    client.get("/", HTTP_X_DATADOG_TRACE_ID="1234", HTTP_X_DATADOG_PARENT_ID="5678")
    assert spans.tracer.context_provider.active() is None
    client.get("/books/1/")
    assert spans.tracer.context_provider.active() is None


def test_middleware_spans_can_be_turned_off(spans, djconfig):
    from django.test import Client

    djconfig(instrument_middleware=False)
    Client().get("/books/1/")  # a new client loads the middleware again
    names = {s.name for s in spans()}
    assert "django.middleware" not in names
    assert {"django.request", "django.view", "django.view.get"} <= names


def test_integration_disabled(client, spans, djconfig):
    djconfig(enabled=False)
    assert client.get("/books/1/").status_code == 200
    assert spans() == []


def test_tracer_disabled(client, spans, monkeypatch):
    monkeypatch.setattr(spans.tracer, "enabled", False)
    assert client.get("/books/1/").status_code == 200
    assert spans() == []


@pytest.mark.parametrize(
    "setting, resource",
    [
        ("use_handler_resource_format", "GET tests.contrib.django.djapp.views.BookView"),
        ("use_legacy_resource_format", "tests.contrib.django.djapp.views.BookView"),
    ],
)
def test_resource_formats(client, spans, djconfig, setting, resource):
    djconfig(**{setting: True})
    client.get("/books/1/")
    root = root_of(spans())
    assert root.resource == resource
    assert root.get_tag("http.route") == "books/<int:pk>/"


class TestUser:
    def test_anonymous_user_the_view_looked_at(self, client, spans):
        assert client.get("/whoami/").content == b"anonymous"
        root = root_of(spans())
        assert root.get_tag("django.user.is_authenticated") == "False"
        assert root.get_tag("usr.id") is None

    def test_authenticated_user_without_name_by_default(self, client, spans):
        from django.contrib.auth.models import User

        client.force_login(User.objects.get(username="ann"))
        spans()
        assert client.get("/whoami/").content == b"ann"
        root = root_of(spans())
        pk = str(User.objects.get(username="ann").pk)
        assert root.get_tag("django.user.is_authenticated") == "True"
        assert root.get_tag("django.user.id") == pk
        assert root.get_tag("usr.id") == pk
        assert root.get_tag("django.user.name") is None

    def test_user_name_when_enabled(self, client, spans, djconfig):
        from django.contrib.auth.models import User

        djconfig(include_user_name=True)
        client.force_login(User.objects.get(username="ann"))
        client.get("/whoami/")
        assert root_of(spans()).get_tag("django.user.name") == "ann"

    def test_user_not_loaded_by_the_tracer(self, client, spans, djconfig):
        from django.contrib.auth.models import User
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        djconfig(include_user_name=True)
        client.force_login(User.objects.get(username="ann"))
        with CaptureQueriesContext(connection) as queries:
            client.get("/no-user/")
        root = root_of(spans())
        assert root.get_tag("django.user.is_authenticated") is None
        assert not any("auth_user" in q["sql"] for q in queries.captured_queries)


def test_bad_proxy_ssl_setting_does_not_fail_the_request(client, spans, settings_override):
    with settings_override(SECURE_PROXY_SSL_HEADER="not-a-pair"):
        with pytest.raises(Exception):
            # Django itself refuses the setting when the view asks for the scheme...
            client.get("/", HTTP_X_FORWARDED_PROTO="https").wsgi_request.is_secure()
    root = root_of(spans())
    # ...while the span was tagged with the plain scheme.
    assert root.get_tag("http.url") == "http://testserver/"


@pytest.fixture
def settings_override():
    from django.test import override_settings

    return override_settings


def test_inside_the_wsgi_middleware(spans):
    from wsgiref.util import setup_testing_defaults

    from ddtrace.contrib.wsgi import DDWSGIMiddleware
    from tests.contrib.django.djapp.wsgi import application

    environ = {"PATH_INFO": "/stream/", "HTTP_X_DATADOG_TRACE_ID": "4321", "HTTP_X_DATADOG_PARENT_ID": "8765"}
    setup_testing_defaults(environ)
    statuses = []
    body = DDWSGIMiddleware(application)(environ, lambda status, headers, *a: statuses.append(status))
    try:
        assert b"".join(body) == b"ab"
    finally:
        body.close()
    assert statuses == ["200 OK"]
    got = spans()
    (server,) = named(got, "wsgi.request")
    root = root_of(got)
    assert server.trace_id == 4321 and server.parent_id == 8765
    assert root.trace_id == 4321
    (application_span,) = named(got, "wsgi.application")
    assert root.parent_id == application_span.span_id
    assert root.resource == "GET stream/"
