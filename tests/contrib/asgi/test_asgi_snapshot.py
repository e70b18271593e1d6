"""Snapshot of TraceMiddleware's spans: a plain request, a streamed one, an error, a websocket."""
import pytest

from ddtrace.contrib.asgi import TraceMiddleware
from ddtrace.settings import config
from ddtrace.settings._env import DEFAULT_QUERY_STRING_REGEXP

from .test_asgi import http_scope
from .test_asgi import run


async def app(scope, receive, send):
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": 1000})
        return
    if scope["path"] == "/error":
        raise ValueError("bad input")
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    if scope["path"] == "/stream":
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
    await send({"type": "http.response.body", "body": b"b"})


@pytest.mark.snapshot
def test_asgi_middleware(monkeypatch):
    monkeypatch.setattr(config, "_obfuscation_query_string_regexp", DEFAULT_QUERY_STRING_REGEXP)
    monkeypatch.setattr(config, "_http_server_error_statuses", frozenset(range(500, 600)))
    monkeypatch.setattr(config, "http_header_tags", {})
    config.service = "asgi-app"
    mw = TraceMiddleware(app)
    run(mw, http_scope("/items", b"id=3&password=x", headers=[(b"user-agent", b"snapshot/1")]))
    run(mw, http_scope("/stream"))
    with pytest.raises(ValueError):
        run(mw, http_scope("/error"))
    ws = http_scope("/ws", type="websocket", scheme="ws")
    del ws["method"]
    run(mw, ws, messages=[{"type": "websocket.connect"}])
