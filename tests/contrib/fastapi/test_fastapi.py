"""The FastAPI integration through FastAPI's TestClient."""
import pytest
from fastapi.testclient import TestClient

from ddtrace.settings import config
from ddtrace.trace import Pin

from . import app as app_module


def named(got, name):
    return [s for s in got if s.name == name]


def only_request_span(spans, name="fastapi.request"):
    got = spans()
    (span,) = named(got, name)
    return span


def test_request_and_serialization_spans(client, spans, monkeypatch):
    monkeypatch.setattr(config, "service", "orders")
    response = client.get("/items/42?token=abc", headers={"User-Agent": "tests/1.0"})
    assert response.json() == {"id": 42, "name": "widget"}
    got = spans()
    assert [s.name for s in got] == ["fastapi.request", "fastapi.serialize_response"]
    request, serialize = got
    assert request.span_type == "web"
    assert request.service == "orders"
    assert request.resource == "GET /items/{item_id}"
    assert request.error == 0
    assert request.get_tag("component") == "fastapi"
    assert request.get_tag("span.kind") == "server"
    assert request.get_tag("http.route") == "/items/{item_id}"
    assert request.get_tag("http.method") == "GET"
    assert request.get_tag("http.status_code") == "200"
    assert request.get_tag("http.url") == "http://testserver/items/42?<redacted>"
    assert request.get_tag("http.useragent") == "tests/1.0"
    assert serialize.resource == "fastapi.serialize_response"
    assert serialize.parent_id == request.span_id
    assert serialize.service == "orders"
    assert serialize.span_type is None
    assert serialize.get_tag("component") == "fastapi"


def test_response_returned_by_the_endpoint_is_not_serialized(client, spans):
    assert client.get("/plain").text == "plain"
    assert [s.name for s in spans()] == ["fastapi.request"]


def test_sync_endpoint_runs_inside_the_request(client, spans):
    assert client.get("/sync/bob").json() == {"name": "bob"}
    got = spans()
    (request,) = named(got, "fastapi.request")
    (inside,) = named(got, "inside.sync_endpoint")
    assert request.resource == "GET /sync/{name}"
    assert inside.parent_id == request.span_id


@pytest.mark.parametrize(
    "path, route",
    [
        ("/v1/outer/things/3", "/v1/outer/things/{thing_id}"),
        ("/v1/outer/mid/inner/files/a/b.txt", "/v1/outer/mid/inner/files/{file_path:path}"),
        ("/sub/reports/9", "/sub/reports/{report_id}"),
        ("/sub/v2/pages/4", "/sub/v2/pages/{page}"),
        ("/legacy/hello/ann", "/legacy/hello/{who}"),
    ],
)
def test_included_routers_and_mounts(client, spans, path, route):
    assert client.get(path).status_code == 200
    span = only_request_span(spans)  # one server span, mounted apps included
    assert span.resource == "GET " + route
    assert span.get_tag("http.route") == route


def test_unknown_route(client, spans):
    assert client.get("/nope").status_code == 404
    span = only_request_span(spans)
    assert span.resource == "GET /nope"
    assert span.get_tag("http.route") is None
    assert span.error == 0


def test_http_exception_is_not_an_error(client, spans):
    assert client.get("/missing").status_code == 404
    span = only_request_span(spans)
    assert span.resource == "GET /missing"
    assert span.get_tag("http.status_code") == "404"
    assert span.error == 0


def test_validation_error_is_not_an_error(client, spans):
    assert client.get("/items/not-a-number").status_code == 422
    span = only_request_span(spans)
    assert span.resource == "GET /items/{item_id}"
    assert span.get_tag("http.status_code") == "422"
    assert span.error == 0


def test_dependency_refusing_the_request(client, spans):
    assert client.get("/secure").status_code == 401
    span = only_request_span(spans)
    assert span.resource == "GET /secure"
    assert span.error == 0
    client.get("/secure", headers={"X-Token": "secret"})
    assert only_request_span(spans).get_tag("http.status_code") == "200"


def test_dependency_failing(client, spans):
    assert client.get("/broken").status_code == 500
    span = only_request_span(spans)
    assert span.resource == "GET /broken"
    assert span.error == 1
    assert span.get_tag("error.type") == "builtins.LookupError"
    assert span.get_tag("error.message") == "dependency failed"


def test_unhandled_exception(client, spans):
    assert client.get("/boom").status_code == 500
    span = only_request_span(spans)
    assert span.error == 1
    assert span.get_tag("http.status_code") == "500"
    assert span.get_tag("error.type") == "builtins.RuntimeError"
    assert span.get_tag("error.message") == "endpoint failed"


def test_unhandled_exception_reaches_the_server_unchanged(patched, spans):
    with pytest.raises(RuntimeError) as excinfo:
        TestClient(app_module.make_app()).get("/boom")
    assert excinfo.value is app_module.seen["raised"][-1]
    assert only_request_span(spans).error == 1


def test_background_task(client, spans):
    assert client.get("/background/7").json() == {"queued": 7}
    assert app_module.seen["task_ran"] == [7]
    got = spans()
    (request,) = named(got, "fastapi.request")
    (task,) = named(got, "fastapi.background_task")
    (inside,) = named(got, "inside.send_report")
    assert task.resource == "send_report"
    assert task.parent_id == 0
    assert task.trace_id != request.trace_id
    assert task.get_tag("component") == "fastapi"
    assert [(link.trace_id, link.span_id) for link in task._links] == [(request.trace_id, request.span_id)]
    assert inside.parent_id == task.span_id
    assert named(got, "starlette.background_task") == []


def test_streaming_response(client, spans):
    assert client.get("/stream").text == "chunk0;chunk1;chunk2;"
    assert app_module.seen["during_stream"] == [False]
    span = only_request_span(spans)
    assert span.resource == "GET /stream"


def test_websocket(client, spans):
    with client.websocket_connect("/ws/lobby") as ws:
        ws.send_text("hi")
        assert ws.receive_text() == "lobby:hi"
    span = only_request_span(spans)
    assert span.resource == "websocket /ws/{room}"
    assert span.get_tag("http.route") == "/ws/{room}"
    assert span.get_tag("http.upgraded") == "websocket"
    assert span.error == 0


DISTRIBUTED = {"x-datadog-trace-id": "1234", "x-datadog-parent-id": "5678", "x-datadog-sampling-priority": "2"}


def test_distributed_tracing(client, spans):
    client.get("/plain", headers=DISTRIBUTED)
    span = only_request_span(spans)
    assert (span.trace_id, span.parent_id, span.context.sampling_priority) == (1234, 5678, 2)


def test_distributed_tracing_disabled(client, spans, monkeypatch):
    monkeypatch.setitem(config.fastapi, "distributed_tracing", False)
    client.get("/plain", headers=DISTRIBUTED)
    span = only_request_span(spans)
    assert span.trace_id != 1234
    assert span.parent_id == 0


def test_settings(client, spans, monkeypatch):
    monkeypatch.setitem(config.fastapi, "service", "orders-api")
    monkeypatch.setitem(config.fastapi, "request_span_name", "api.request")
    client.get("/items/1")
    got = spans()
    assert [(s.name, s.service) for s in got] == [
        ("api.request", "orders-api"),
        ("fastapi.serialize_response", "orders-api"),
    ]


def test_pin_service(patched, spans):
    app = app_module.make_app()
    Pin.override(app, service="pinned-api")
    TestClient(app).get("/plain")
    assert only_request_span(spans).service == "pinned-api"


def test_disabled(client, spans, monkeypatch):
    monkeypatch.setitem(config.fastapi, "enabled", False)
    assert client.get("/items/1").status_code == 200
    assert spans() == []


def test_disabled_falls_back_to_starlette(client, starlette_patched, spans, monkeypatch):
    monkeypatch.setitem(config.fastapi, "enabled", False)
    client.get("/items/1")
    client.get("/background/2")
    got = spans()
    assert [s.name for s in got] == [
        "starlette.request",
        "starlette.request",
        "starlette.background_task",
        "inside.send_report",
    ]
    assert got[0].resource == "GET /items/{item_id}"


def test_both_integrations_patched(client, starlette_patched, spans):
    client.get("/items/1")
    assert [s.name for s in spans()] == ["fastapi.request", "fastapi.serialize_response"]


def test_only_starlette_patched(starlette_patched, spans):
    TestClient(app_module.make_app()).get("/items/1")
    span = only_request_span(spans, "starlette.request")
    assert span.resource == "GET /items/{item_id}"
    assert span.get_tag("component") == "starlette"
