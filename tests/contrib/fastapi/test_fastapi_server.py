"""The FastAPI integration under a real server: uvicorn on 127.0.0.1."""
import pytest

from tests.contrib.starlette.server import get
from tests.contrib.starlette.server import named
from tests.contrib.starlette.server import uvicorn_server
from tests.contrib.starlette.server import wait_for
from tests.contrib.starlette.server import websocket_exchange

from . import app as app_module

pytest.importorskip("uvicorn")


@pytest.fixture
def port(patched):
    with uvicorn_server(app_module.make_app()) as port:
        yield port


def test_request(port, spans):
    status, body = get(port, "/v1/outer/things/5")
    assert (status, body) == (200, b'{"thing":5}')
    got = wait_for(spans, lambda got: len(named(got, "fastapi.request")) == 1)
    (span,) = named(got, "fastapi.request")
    (serialize,) = named(got, "fastapi.serialize_response")
    assert span.resource == "GET /v1/outer/things/{thing_id}"
    assert span.get_tag("http.url") == "http://127.0.0.1:%d/v1/outer/things/5" % port
    assert span.get_tag("asgi.version") == "3.0"
    assert serialize.parent_id == span.span_id


def test_streaming_response(port, spans):
    assert get(port, "/stream") == (200, b"chunk0;chunk1;chunk2;")
    got = wait_for(spans, lambda got: len(named(got, "fastapi.request")) == 1)
    (span,) = named(got, "fastapi.request")
    assert app_module.seen["during_stream"] == [False]
    assert span.resource == "GET /stream"
    assert span.get_tag("http.status_code") == "200"


def test_websocket(port, spans):
    pytest.importorskip("websockets.sync.client")
    assert websocket_exchange(port, "/ws/den", "yo") == "den:yo"
    got = wait_for(spans, lambda got: len(named(got, "fastapi.request")) == 1)
    (span,) = named(got, "fastapi.request")
    assert span.resource == "websocket /ws/{room}"
    assert span.get_tag("http.url") == "ws://127.0.0.1:%d/ws/den" % port


def test_unhandled_exception(port, spans):
    assert get(port, "/boom")[0] == 500
    got = wait_for(spans, lambda got: len(named(got, "fastapi.request")) == 1)
    (span,) = named(got, "fastapi.request")
    assert span.error == 1
    assert span.get_tag("error.type") == "builtins.RuntimeError"
