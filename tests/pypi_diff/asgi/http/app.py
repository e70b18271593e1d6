"""asgi: TraceMiddleware around a raw ASGI app under uvicorn on 127.0.0.1: a plain
request with a secret in the query, a 404, a handler exception (500), a streamed body,
and distributed headers."""
import os
import sys

from ddtrace.contrib.asgi import TraceMiddleware

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from uvicorn_app import Served  # noqa: E402


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    path = scope["path"]
    if path == "/boom":
        raise RuntimeError("handler failed")
    if path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        for i in range(3):
            await send({"type": "http.response.body", "body": b"chunk%d;" % i, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    status = 404 if path == "/nope" else 200
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})


served = Served(TraceMiddleware(app), lifespan="on")
served.request("/items/7?color=red&token=abc")
served.request("/nope")
served.request("/boom")
served.request("/stream")
served.request("/dist", headers={"x-datadog-trace-id": "1234", "x-datadog-parent-id": "5678", "x-datadog-sampling-priority": "1"})
served.stop()
