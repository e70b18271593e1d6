"""asgi: TraceMiddleware around a raw ASGI app under uvicorn on 127.0.0.1: a plain
request with a secret in the query, a 404, a handler exception (500), a streamed body,
and distributed headers."""
import http.client
import socket
import threading
import time

import uvicorn

from ddtrace.contrib.asgi import TraceMiddleware


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


def serve(application):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(application, lifespan="on", log_level="critical"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    return server, thread, sock.getsockname()[1]


def get(port, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers=headers or {"User-Agent": "pypi-diff/1"})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    print("RESULT", path, resp.status, body[:40])


server, thread, port = serve(TraceMiddleware(app))
get(port, "/items/7?color=red&token=abc")
get(port, "/nope")
get(port, "/boom")
get(port, "/stream")
get(port, "/dist", {"x-datadog-trace-id": "1234", "x-datadog-parent-id": "5678", "x-datadog-sampling-priority": "1"})
time.sleep(0.2)
server.should_exit = True
thread.join(10)
