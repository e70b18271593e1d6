"""TraceMiddleware: direct ASGI calls, then uvicorn on 127.0.0.1 (HTTP, streaming, websocket, lifespan)."""
import asyncio
import socket
import threading
import time

import pytest

from ddtrace.contrib.asgi import TraceMiddleware
from ddtrace.contrib.asgi import span_from_scope
from ddtrace.settings import config
from ddtrace.settings._env import DEFAULT_QUERY_STRING_REGEXP


@pytest.fixture(autouse=True)
def _defaults(monkeypatch):
    monkeypatch.setattr(config, "_obfuscation_query_string_regexp", DEFAULT_QUERY_STRING_REGEXP)
    monkeypatch.setattr(config, "_http_server_error_statuses", frozenset(range(500, 600)))
    monkeypatch.setattr(config, "http_header_tags", {})
    monkeypatch.setattr(config, "service", None)


def http_scope(path="/", query=b"", method="GET", headers=None, **extra):
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"example.com")] + list(headers or []),
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
    }
    scope.update(extra)
    return scope


def run(mw, scope, messages=None):
    """Call ``mw`` with ``scope``; returns the messages it sent."""
    incoming = list(messages or [{"type": "http.request", "body": b"", "more_body": False}])
    sent = []

    async def receive():
        if incoming:
            return incoming.pop(0)
        await asyncio.sleep(0)
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(mw(scope, receive, send))
    return sent


async def ok_app(scope, receive, send):
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


def test_http_request_span(tracer):
    scope = http_scope("/items/7", b"q=1&token=abc", headers=[(b"user-agent", b"ua/2")])
    sent = run(TraceMiddleware(ok_app, tracer=tracer), scope)
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    (span,) = tracer.pop()
    assert span.name == "asgi.request"
    assert span.span_type == "web"
    assert span.resource == "GET /items/7"
    assert span.error == 0
    assert span.get_tag("component") == "asgi"
    assert span.get_tag("span.kind") == "server"
    assert span.get_tag("http.method") == "GET"
    assert span.get_tag("http.url") == "http://example.com/items/7?q=1&<redacted>"
    assert span.get_tag("http.status_code") == "200"
    assert span.get_tag("http.version") == "1.1"
    assert span.get_tag("http.useragent") == "ua/2"
    assert span.get_tag("asgi.version") == "3.0"
    assert span_from_scope(scope) is span
    assert tracer.current_span() is None


def test_url_without_host_header(tracer):
    scope = http_scope("/p", headers=[])
    scope["headers"] = []
    scope["server"] = ("10.0.0.1", 8443)
    scope["scheme"] = "https"
    run(TraceMiddleware(ok_app, tracer=tracer), scope)
    assert tracer.pop()[0].get_tag("http.url") == "https://10.0.0.1:8443/p"


def test_path_without_raw_path(tracer):
    scope = http_scope("/caf\u00e9")
    del scope["raw_path"]
    scope["root_path"] = "/api"
    run(TraceMiddleware(ok_app, tracer=tracer), scope)
    assert tracer.pop()[0].resource == "GET /api/caf%C3%A9"


@pytest.mark.parametrize("status, error", [(404, 0), (500, 1), (502, 1)])
def test_status(tracer, status, error):
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    run(TraceMiddleware(app, tracer=tracer), http_scope())
    (span,) = tracer.pop()
    assert span.get_tag("http.status_code") == str(status)
    assert span.error == error


def test_streamed_body_ends_span_at_last_chunk(tracer):
    seen = {}

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"1", "more_body": True})
        seen["after_first"] = span_from_scope(scope).duration_ns
        await send({"type": "http.response.body", "body": b"2", "more_body": False})
        seen["after_last"] = span_from_scope(scope).duration_ns
        with tracer.trace("background.task"):
            pass

    sent = run(TraceMiddleware(app, tracer=tracer), http_scope())
    assert [m.get("body") for m in sent[1:]] == [b"1", b"2"]
    assert seen["after_first"] is None
    assert seen["after_last"] is not None
    spans = tracer.pop()
    request = [s for s in spans if s.name == "asgi.request"][0]
    background = [s for s in spans if s.name == "background.task"][0]
    # Work after the response is not part of the request.
    assert background.parent_id != request.span_id


def test_disconnect_ends_span(tracer):
    seen = {}

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"1", "more_body": True})
        message = await receive()
        assert message["type"] == "http.disconnect"
        seen["after_disconnect"] = span_from_scope(scope).duration_ns

    run(TraceMiddleware(app, tracer=tracer), http_scope(), messages=[{"type": "http.disconnect"}])
    assert seen["after_disconnect"] is not None
    assert len(tracer.pop()) == 1


def test_exception_before_response(tracer):
    err = KeyError("missing")

    async def app(scope, receive, send):
        raise err

    with pytest.raises(KeyError) as info:
        run(TraceMiddleware(app, tracer=tracer), http_scope())
    assert info.value is err
    (span,) = tracer.pop()
    assert span.error == 1
    assert span.get_tag("error.type") == "builtins.KeyError"
    assert span.get_tag("http.status_code") == "500"
    assert tracer.current_span() is None


def test_exception_mid_stream(tracer):
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"1", "more_body": True})
        raise RuntimeError("stream died")

    with pytest.raises(RuntimeError, match="stream died"):
        run(TraceMiddleware(app, tracer=tracer), http_scope())
    (span,) = tracer.pop()
    assert span.error == 1
    assert span.get_tag("error.message") == "stream died"
    assert span.get_tag("http.status_code") == "200"


def test_custom_exception_handler_and_span_modifier(tracer):
    calls = []

    async def app(scope, receive, send):
        raise ValueError("x")

    def handle(exc, span):
        calls.append(("handle", type(exc), span.name))
        span.set_tag("http.status_code", "418")

    def modify(span, scope):
        calls.append(("modify", scope["path"]))
        span.set_tag("framework.tag", "yes")

    mw = TraceMiddleware(app, tracer=tracer, span_modifier=modify, handle_exception_span=handle)
    with pytest.raises(ValueError):
        run(mw, http_scope("/m"))
    assert calls == [("modify", "/m"), ("handle", ValueError, "asgi.request")]
    (span,) = tracer.pop()
    assert span.get_tag("framework.tag") == "yes"
    assert span.get_tag("http.status_code") == "418"


def test_cancelled_is_not_an_error(tracer):
    async def app(scope, receive, send):
        raise asyncio.CancelledError()

    with pytest.raises(asyncio.CancelledError):
        run(TraceMiddleware(app, tracer=tracer), http_scope())
    (span,) = tracer.pop()
    assert span.error == 0
    assert span.duration_ns is not None


def test_lifespan_and_other_scopes_untraced(tracer):
    events = []

    async def app(scope, receive, send):
        events.append(scope["type"])
        if scope["type"] == "lifespan":
            message = await receive()
            assert message["type"] == "lifespan.startup"
            await send({"type": "lifespan.startup.complete"})

    sent = run(TraceMiddleware(app, tracer=tracer), {"type": "lifespan"}, messages=[{"type": "lifespan.startup"}])
    assert sent == [{"type": "lifespan.startup.complete"}]
    run(TraceMiddleware(app, tracer=tracer), {"type": "custom"})
    assert events == ["lifespan", "custom"]
    assert tracer.pop() == []


def test_websocket_span(tracer):
    async def app(scope, receive, send):
        assert (await receive())["type"] == "websocket.connect"
        await send({"type": "websocket.accept"})
        msg = await receive()
        await send({"type": "websocket.send", "text": msg["text"].upper()})
        await send({"type": "websocket.close", "code": 1000})

    scope = http_scope("/ws", b"room=1", type="websocket", scheme="ws")
    del scope["method"]
    sent = run(
        TraceMiddleware(app, tracer=tracer),
        scope,
        messages=[{"type": "websocket.connect"}, {"type": "websocket.receive", "text": "hi"}],
    )
    assert sent[1] == {"type": "websocket.send", "text": "HI"}
    (span,) = tracer.pop()
    assert span.resource == "websocket /ws"
    assert span.get_tag("http.method") == "GET"
    assert span.get_tag("http.upgraded") == "websocket"
    assert span.get_tag("http.url") == "ws://example.com/ws?room=1"
    assert span.get_tag("http.status_code") is None
    assert span.error == 0


def test_websocket_refused(tracer):
    async def app(scope, receive, send):
        await receive()
        await send({"type": "websocket.close", "code": 1008})

    scope = http_scope("/ws", type="websocket", scheme="ws")
    run(TraceMiddleware(app, tracer=tracer), scope, messages=[{"type": "websocket.connect"}])
    assert tracer.pop()[0].get_tag("http.status_code") == "403"


def test_distributed_headers(tracer):
    headers = [(b"x-datadog-trace-id", b"1234"), (b"x-datadog-parent-id", b"5678"), (b"x-datadog-sampling-priority", b"2")]
    run(TraceMiddleware(ok_app, tracer=tracer), http_scope(headers=headers))
    (span,) = tracer.pop()
    assert (span.trace_id, span.parent_id) == (1234, 5678)
    assert span.context.sampling_priority == 2


def test_distributed_tracing_off(tracer):
    cfg = config._add("asgi_test_nodist", {"distributed_tracing": False})
    headers = [(b"x-datadog-trace-id", b"1234"), (b"x-datadog-parent-id", b"5678")]
    run(TraceMiddleware(ok_app, tracer=tracer, integration_config=cfg), http_scope(headers=headers))
    (span,) = tracer.pop()
    assert span.trace_id != 1234
    assert span.parent_id == 0


def test_integration_config_names_span_and_service(tracer):
    cfg = config._add("asgi_test_framework", {"request_span_name": "framework.request", "service": "fw-svc"})
    run(TraceMiddleware(ok_app, tracer=tracer, integration_config=cfg), http_scope())
    (span,) = tracer.pop()
    assert (span.name, span.service) == ("framework.request", "fw-svc")


def test_service_defaults_to_dd_service(tracer, monkeypatch):
    monkeypatch.setattr(config, "service", "my-api")
    run(TraceMiddleware(ok_app, tracer=tracer), http_scope())
    assert tracer.pop()[0].service == "my-api"


def test_header_tags(tracer, monkeypatch):
    monkeypatch.setattr(config, "http_header_tags", {"x-request-id": "", "content-type": "ctype"})
    headers = [(b"X-Request-Id", b"abc")]
    run(TraceMiddleware(ok_app, tracer=tracer), http_scope(headers=headers))
    (span,) = tracer.pop()
    assert span.get_tag("http.request.headers.x-request-id") == "abc"
    assert span.get_tag("ctype") == "text/plain"


def test_asgi2_application(tracer):
    class App:
        def __init__(self, scope):
            self.scope = scope

        async def __call__(self, receive, send):
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})

    run(TraceMiddleware(App, tracer=tracer), http_scope())
    assert tracer.pop()[0].get_tag("http.status_code") == "204"


def test_disabled_tracer(tracer):
    tracer.enabled = False
    sent = run(TraceMiddleware(ok_app, tracer=tracer), http_scope())
    tracer.enabled = True
    assert sent[0]["status"] == 200
    assert tracer.pop() == []
    assert "datadog" not in http_scope()


def test_disabled_integration(tracer, monkeypatch):
    monkeypatch.setitem(config.asgi, "enabled", False)
    sent = run(TraceMiddleware(ok_app, tracer=tracer), http_scope())
    assert sent[0]["status"] == 200
    assert tracer.pop() == []


def test_user_spans_are_children(tracer):
    async def app(scope, receive, send):
        with tracer.trace("handler"):
            await ok_app(scope, receive, send)

    run(TraceMiddleware(app, tracer=tracer), http_scope())
    spans = {s.name: s for s in tracer.pop()}
    assert spans["handler"].parent_id == spans["asgi.request"].span_id


def test_concurrent_requests_are_separate_traces(tracer):
    mw = TraceMiddleware(ok_app, tracer=tracer)

    async def one(path):
        async def receive():
            await asyncio.sleep(0)
            return {"type": "http.request", "body": b""}

        async def send(message):
            await asyncio.sleep(0)

        await mw(http_scope(path), receive, send)

    async def main():
        await asyncio.gather(*(one("/r%d" % i) for i in range(5)))

    asyncio.run(main())
    spans = tracer.pop()
    assert sorted(s.resource for s in spans) == ["GET /r%d" % i for i in range(5)]
    assert len({s.trace_id for s in spans}) == 5
    assert all(s.parent_id == 0 for s in spans)


# ---------------------------------------------------------------- uvicorn


uvicorn = pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")


async def real_app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") == "bye":
                await send({"type": "websocket.close", "code": 1000})
                return
            await send({"type": "websocket.send", "text": "echo:" + message["text"]})
    path = scope["path"]
    if path == "/boom":
        raise RuntimeError("handler failed")
    if path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        for i in range(3):
            await send({"type": "http.response.body", "body": b"chunk%d;" % i, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})


@pytest.fixture
def server(tracer):
    """uvicorn serving ``TraceMiddleware(real_app)`` on 127.0.0.1; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    from uvicorn.config import WS_PROTOCOLS

    ws = "websockets-sansio" if "websockets-sansio" in WS_PROTOCOLS else "auto"
    cfg = uvicorn.Config(TraceMiddleware(real_app, tracer=tracer), lifespan="on", log_level="critical", ws=ws)
    srv = uvicorn.Server(cfg)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    give_up = time.monotonic() + 20
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < give_up, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield "http://127.0.0.1:%d" % port
    finally:
        srv.should_exit = True
        thread.join(20)
        sock.close()


def wait_for_spans(tracer, n, timeout=10.0):
    spans = []
    give_up = time.monotonic() + timeout
    while len(spans) < n and time.monotonic() < give_up:
        spans.extend(tracer.pop())
        if len(spans) < n:
            time.sleep(0.01)
    assert len(spans) == n, spans
    return spans


def test_uvicorn_http(tracer, server):
    resp = httpx.get(server + "/hello?secret=1&x=2", headers={"user-agent": "httpx-test"})
    assert (resp.status_code, resp.text) == (200, "hello")
    (span,) = wait_for_spans(tracer, 1)
    port = server.rsplit(":", 1)[1]
    assert span.resource == "GET /hello"
    assert span.get_tag("http.url") == "http://127.0.0.1:%s/hello?<redacted>&x=2" % port
    assert span.get_tag("http.status_code") == "200"
    assert span.get_tag("http.useragent") == "httpx-test"
    assert span.get_tag("asgi.version") == "3.0"
    assert span.get_tag("asgi.spec_version")


def test_uvicorn_streaming(tracer, server):
    with httpx.stream("GET", server + "/stream") as resp:
        body = b"".join(resp.iter_bytes())
    assert body == b"chunk0;chunk1;chunk2;"
    (span,) = wait_for_spans(tracer, 1)
    assert span.resource == "GET /stream"
    assert span.get_tag("http.status_code") == "200"


def test_uvicorn_exception(tracer, server):
    resp = httpx.get(server + "/boom")
    assert resp.status_code == 500
    (span,) = wait_for_spans(tracer, 1)
    assert span.error == 1
    assert span.get_tag("error.message") == "handler failed"
    assert span.get_tag("http.status_code") == "500"


def test_uvicorn_distributed(tracer, server):
    headers = {"traceparent": "00-000000000000000000000000000004d2-000000000000162e-01"}
    assert httpx.get(server + "/", headers=headers).status_code == 200
    (span,) = wait_for_spans(tracer, 1)
    assert (span.trace_id, span.parent_id) == (1234, 5678)


def test_uvicorn_websocket(tracer, server):
    from websockets.sync.client import connect

    with connect(server.replace("http://", "ws://") + "/chat") as ws:
        ws.send("one")
        assert ws.recv() == "echo:one"
        ws.send("bye")
        with pytest.raises(Exception):
            ws.recv()
    (span,) = wait_for_spans(tracer, 1)
    assert span.resource == "websocket /chat"
    assert span.get_tag("http.upgraded") == "websocket"
    assert span.get_tag("http.url").startswith("ws://127.0.0.1:")
    assert span.error == 0


def test_uvicorn_lifespan_untraced(tracer, server):
    # Startup ran through the middleware (the server would not be up otherwise).
    assert tracer.pop() == []
