"""The Starlette integration under a real server: uvicorn on 127.0.0.1."""
import pytest

from . import app as app_module
from .server import get
from .server import named
from .server import uvicorn_server
from .server import wait_for
from .server import websocket_exchange

pytest.importorskip("uvicorn")


@pytest.fixture
def port(patched):
    with uvicorn_server(app_module.make_app(gatekeeper=False)) as port:
        yield port


def one_request(spans):
    got = wait_for(spans, lambda got: len(named(got, "starlette.request")) == 1)
    (span,) = named(got, "starlette.request")
    return span


def test_request(port, spans):
    status, body = get(port, "/api/users/12?x=1", headers={"User-Agent": "real/1"})
    assert (status, body) == (200, b'{"user":"12"}')
    span = one_request(spans)
    assert span.resource == "GET /api/users/{user_id}"
    assert span.get_tag("http.route") == "/api/users/{user_id}"
    assert span.get_tag("http.url") == "http://127.0.0.1:%d/api/users/12?x=1" % port
    assert span.get_tag("http.status_code") == "200"
    assert span.get_tag("http.useragent") == "real/1"
    assert span.get_tag("asgi.version") == "3.0"
    assert span.get_tag("component") == "starlette"
    assert span.error == 0


def test_streaming_response(port, spans):
    status, body = get(port, "/stream")
    assert (status, body) == (200, b"chunk0;chunk1;chunk2;")
    span = one_request(spans)
    assert app_module.seen["during_stream"] == [False]
    assert span.resource == "GET /stream"
    assert span.get_tag("http.status_code") == "200"


def test_unhandled_exception(port, spans):
    status, _ = get(port, "/boom")
    assert status == 500
    span = one_request(spans)
    assert span.error == 1
    assert span.get_tag("error.type") == "builtins.RuntimeError"
    assert span.get_tag("http.status_code") == "500"


def test_websocket(port, spans):
    pytest.importorskip("websockets.sync.client")
    assert websocket_exchange(port, "/ws/kitchen", "hi") == "kitchen:hi"
    span = one_request(spans)
    assert span.resource == "websocket /ws/{room}"
    assert span.get_tag("http.route") == "/ws/{room}"
    assert span.get_tag("http.url") == "ws://127.0.0.1:%d/ws/kitchen" % port
    assert span.get_tag("http.upgraded") == "websocket"
    assert span.error == 0


def test_background_tasks(port, spans):
    status, _ = get(port, "/background")
    assert status == 200
    got = wait_for(spans, lambda got: len(named(got, "starlette.background_task")) == 2)
    (request,) = named(got, "starlette.request")
    tasks = named(got, "starlette.background_task")
    assert sorted(t.resource for t in tasks) == ["async_task", "sync_task"]
    for task in tasks:
        assert task.trace_id != request.trace_id
        assert [(link.trace_id, link.span_id) for link in task._links] == [(request.trace_id, request.span_id)]


def test_distributed_tracing(port, spans):
    headers = {"traceparent": "00-000000000000000000000000000004d2-000000000000162e-01"}
    get(port, "/", headers=headers)
    span = one_request(spans)
    assert span.trace_id == 1234
    assert span.parent_id == 5678
