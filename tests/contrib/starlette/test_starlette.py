"""The Starlette integration through Starlette's TestClient."""
import pytest
from starlette.testclient import TestClient

from ddtrace.contrib.asgi import TraceMiddleware
from ddtrace.settings import config
from ddtrace.trace import Pin

from . import app as app_module


def request_spans(got):
    return [s for s in got if s.name == "starlette.request"]


def only_request_span(spans):
    got = spans()
    (span,) = request_spans(got)
    return span


def test_request_span(client, spans, monkeypatch):
    monkeypatch.setattr(config, "service", "web-app")
    response = client.get("/items/42?color=red&token=abc", headers={"User-Agent": "tests/1.0"})
    assert response.status_code == 200
    got = spans()
    assert len(got) == 1
    span = got[0]
    assert span.name == "starlette.request"
    assert span.span_type == "web"
    assert span.service == "web-app"
    assert span.resource == "GET /items/{item_id:int}"
    assert span.error == 0
    assert span.parent_id == 0
    assert span.get_tag("component") == "starlette"
    assert span.get_tag("span.kind") == "server"
    assert span.get_tag("http.route") == "/items/{item_id:int}"
    assert span.get_tag("http.method") == "GET"
    assert span.get_tag("http.status_code") == "200"
    assert span.get_tag("http.url") == "http://testserver/items/42?color=red&<redacted>"
    assert span.get_tag("http.useragent") == "tests/1.0"


def test_method_in_resource(client, spans):
    assert client.post("/items/7").status_code == 200
    span = only_request_span(spans)
    assert span.resource == "POST /items/{item_id:int}"
    assert span.get_tag("http.method") == "POST"


def test_method_not_allowed_keeps_the_route(client, spans):
    assert client.delete("/items/7").status_code == 405
    span = only_request_span(spans)
    assert span.resource == "DELETE /items/{item_id:int}"
    assert span.get_tag("http.route") == "/items/{item_id:int}"
    assert span.get_tag("http.status_code") == "405"
    assert span.error == 0


@pytest.mark.parametrize(
    "path, route, status",
    [
        ("/api/users/7", "/api/users/{user_id}", 200),
        ("/api/", "/api/", 200),
        # A mounted Starlette application: one span, the whole template.
        ("/app/deep/down", "/app/deep/{name}", 200),
        # A mounted plain ASGI application: named after the mount point.
        ("/raw/any/thing", "/raw", 200),
        # The mount matched, nothing inside it did.
        ("/api/nothing/here", "/api", 404),
    ],
)
def test_mounts(client, spans, path, route, status):
    assert client.get(path).status_code == status
    span = only_request_span(spans)
    assert span.resource == "GET " + route
    assert span.get_tag("http.route") == route
    assert span.get_tag("http.status_code") == str(status)
    assert span.error == 0


def test_host_routing(client, spans):
    assert client.get("/v/2/status", headers={"Host": "api.example.com"}).status_code == 200
    span = only_request_span(spans)
    assert span.resource == "GET /v/{version}/status"
    assert span.get_tag("http.url") == "http://api.example.com/v/2/status"


def test_unknown_route(client, spans):
    assert client.get("/no/such/page").status_code == 404
    span = only_request_span(spans)
    assert span.resource == "GET /no/such/page"
    assert span.get_tag("http.route") is None
    assert span.get_tag("http.status_code") == "404"
    assert span.error == 0


def test_http_exception_is_not_an_error(client, spans):
    assert client.get("/missing").status_code == 404
    span = only_request_span(spans)
    assert span.resource == "GET /missing"
    assert span.get_tag("http.status_code") == "404"
    assert span.error == 0
    assert span.get_tag("error.type") is None


def test_http_exception_with_server_error_status(client, spans):
    assert client.get("/unavailable").status_code == 503
    span = only_request_span(spans)
    assert span.get_tag("http.status_code") == "503"
    assert span.error == 1
    # An answer the application chose: there is no failure to describe.
    assert span.get_tag("error.type") is None


def test_unhandled_exception(client, spans):
    assert client.get("/boom").status_code == 500
    span = only_request_span(spans)
    assert span.resource == "GET /boom"
    assert span.error == 1
    assert span.get_tag("http.status_code") == "500"
    assert span.get_tag("error.type") == "builtins.RuntimeError"
    assert span.get_tag("error.message") == "handler failed"
    assert "in boom" in span.get_tag("error.stack")


def test_unhandled_exception_reaches_the_server_unchanged(patched, spans):
    client = TestClient(app_module.make_app())  # raises what the application raised
    with pytest.raises(RuntimeError) as excinfo:
        client.get("/boom")
    assert excinfo.value is app_module.seen["raised"][-1]
    span = only_request_span(spans)
    assert span.error == 1
    assert span.get_tag("error.type") == "builtins.RuntimeError"


def test_exception_handled_by_a_handler(client, spans):
    assert client.get("/conflict").status_code == 409
    span = only_request_span(spans)
    assert span.error == 0
    assert span.get_tag("error.type") is None


def test_exception_turned_into_a_500_by_a_handler(client, spans):
    assert client.get("/fatal").status_code == 500
    span = only_request_span(spans)
    assert span.error == 1
    assert span.get_tag("error.type") == "tests.contrib.starlette.app.Fatal"
    assert span.get_tag("error.message") == "handled as a 500"


def test_middleware_answer_before_routing_is_named_after_the_route(client, spans):
    assert client.get("/private/report-1").status_code == 401
    span = only_request_span(spans)
    assert span.resource == "GET /private/{doc}"
    assert span.get_tag("http.route") == "/private/{doc}"
    assert span.error == 0


def test_middleware_exception(client, spans):
    assert client.get("/gate-fails").status_code == 500
    span = only_request_span(spans)
    assert span.error == 1
    assert span.get_tag("error.type") == "builtins.LookupError"
    assert span.resource == "GET /gate-fails"


def test_background_tasks(patched, spans):
    client = TestClient(app_module.make_app(gatekeeper=False))
    assert client.get("/background").text == "queued"
    assert app_module.seen["task_ran"] == [("sync", 1), ("async", 2)]
    got = spans()
    (request,) = request_spans(got)
    tasks = [s for s in got if s.name == "starlette.background_task"]
    assert [t.resource for t in tasks] == ["sync_task", "async_task"]
    for task in tasks:
        # The response was sent already: a trace of its own, linked to the request.
        assert task.parent_id == 0
        assert task.trace_id != request.trace_id
        assert task.service == request.service
        assert task.get_tag("component") == "starlette"
        assert task.error == 0
        (link,) = task._links
        assert (link.trace_id, link.span_id) == (request.trace_id, request.span_id)
        assert link.flags == 1
    (inside,) = [s for s in got if s.name == "inside.sync_task"]
    assert inside.parent_id == tasks[0].span_id
    assert inside.trace_id == tasks[0].trace_id


def test_background_task_failure(patched, spans):
    client = TestClient(app_module.make_app(gatekeeper=False))
    with pytest.raises(KeyError) as excinfo:
        client.get("/background?fail=1")
    assert excinfo.value is app_module.seen["raised"][-1]
    got = spans()
    (request,) = request_spans(got)
    assert request.error == 0  # answered before the task ran
    (failed,) = [s for s in got if s.resource == "failing_task"]
    assert failed.error == 1
    assert failed.get_tag("error.type") == "builtins.KeyError"


def test_background_task_outside_a_request(patched, spans):
    import asyncio

    from starlette.background import BackgroundTask

    asyncio.run(BackgroundTask(app_module.async_task, 3)())
    (span,) = spans()
    assert span.name == "starlette.background_task"
    assert span.resource == "async_task"
    assert span.parent_id == 0
    assert not span._links


def test_streaming_response(client, spans):
    assert client.get("/stream").text == "chunk0;chunk1;chunk2;"
    assert app_module.seen["during_stream"] == [False]  # still open at the last chunk
    span = only_request_span(spans)
    assert span.resource == "GET /stream"
    assert span.get_tag("http.status_code") == "200"


def test_websocket(client, spans):
    with client.websocket_connect("/ws/lobby") as ws:
        ws.send_text("hello")
        assert ws.receive_text() == "lobby:hello"
    span = only_request_span(spans)
    assert span.resource == "websocket /ws/{room}"
    assert span.get_tag("http.route") == "/ws/{room}"
    assert span.get_tag("http.upgraded") == "websocket"
    assert span.get_tag("component") == "starlette"
    assert span.error == 0


def test_websocket_refused(client, spans):
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect("/ws-refuse") as ws:
            ws.receive_text()
    span = only_request_span(spans)
    assert span.resource == "websocket /ws-refuse"
    assert span.get_tag("http.status_code") == "403"


def test_websocket_exception(client, spans):
    with pytest.raises(ValueError) as excinfo:
        with client.websocket_connect("/ws-boom") as ws:
            ws.receive_text()
    assert excinfo.value is app_module.seen["raised"][-1]
    span = only_request_span(spans)
    assert span.resource == "websocket /ws-boom"
    assert span.error == 1
    assert span.get_tag("error.type") == "builtins.ValueError"


DISTRIBUTED = {"x-datadog-trace-id": "1234", "x-datadog-parent-id": "5678", "x-datadog-sampling-priority": "2"}


def test_distributed_tracing(client, spans):
    client.get("/", headers=DISTRIBUTED)
    span = only_request_span(spans)
    assert span.trace_id == 1234
    assert span.parent_id == 5678
    assert span.context.sampling_priority == 2


def test_distributed_tracing_disabled(client, spans, monkeypatch):
    monkeypatch.setitem(config.starlette, "distributed_tracing", False)
    client.get("/", headers=DISTRIBUTED)
    span = only_request_span(spans)
    assert span.trace_id != 1234
    assert span.parent_id == 0


def test_settings(client, spans, monkeypatch):
    monkeypatch.setitem(config.starlette, "service", "storefront")
    monkeypatch.setitem(config.starlette, "request_span_name", "web.request")
    monkeypatch.setitem(config.starlette, "http_header_tags", {"x-tenant": "tenant"})
    monkeypatch.setitem(config.starlette, "trace_query_string", False)
    client.get("/?q=1", headers={"X-Tenant": "acme"})
    (span,) = spans()
    assert span.name == "web.request"
    assert span.service == "storefront"
    assert span.get_tag("tenant") == "acme"
    assert span.get_tag("http.url") == "http://testserver/"


def test_pin_service(patched, spans):
    app = app_module.make_app()
    Pin.override(app, service="pinned-web")
    TestClient(app).get("/")
    assert only_request_span(spans).service == "pinned-web"


def test_disabled(client, spans, monkeypatch):
    monkeypatch.setitem(config.starlette, "enabled", False)
    assert client.get("/background").status_code == 200
    # Only the span the task makes itself.
    assert [s.name for s in spans()] == ["inside.sync_task"]


def test_tracer_disabled(client, spans):
    from ddtrace.trace import tracer

    tracer.enabled = False
    try:
        assert client.get("/items/1").status_code == 200
    finally:
        tracer.enabled = True
    assert spans() == []


def test_application_created_before_patching(spans):
    from ddtrace.contrib.starlette import patch

    app = app_module.make_app()
    client = TestClient(app)
    client.get("/")  # the middleware stack is built now, untraced
    assert spans() == []
    patch.patch()
    try:
        client.get("/items/3")
        assert only_request_span(spans).resource == "GET /items/{item_id:int}"
    finally:
        patch.unpatch()
    client.get("/items/3")
    assert spans() == []


def test_inside_a_user_asgi_middleware(patched, spans):
    client = TestClient(TraceMiddleware(app_module.make_app()))
    client.get("/api/users/9")
    got = spans()
    (outer,) = [s for s in got if s.name == "asgi.request"]
    (inner,) = request_spans(got)
    assert inner.parent_id == outer.span_id
    # Both server spans are named after the route.
    assert outer.resource == inner.resource == "GET /api/users/{user_id}"
    assert outer.get_tag("http.route") == "/api/users/{user_id}"


def test_called_with_wrong_arguments_fails_at_once(patched):
    # Servers call the application without arguments to tell factories apart.
    app = app_module.make_app()
    with pytest.raises(TypeError):
        app()
