"""starlette under ddtrace-run, served by uvicorn on 127.0.0.1: a route with a
parameter and a secret in the query, a route in a mount, an unknown path (404), an
HTTPException, a handler exception (500), a streamed response, distributed headers."""
import asyncio
import http.client
import socket
import threading
import time

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.responses import PlainTextResponse
from starlette.responses import StreamingResponse
from starlette.routing import Mount
from starlette.routing import Route


async def home(request):
    return PlainTextResponse("home")


async def item(request):
    return JSONResponse({"id": request.path_params["item_id"]})


async def user(request):
    return JSONResponse({"user": request.path_params["user_id"]})


async def boom(request):
    raise RuntimeError("handler failed")


async def missing(request):
    raise HTTPException(status_code=404, detail="no such thing")


async def stream(request):
    async def chunks():
        for i in range(3):
            await asyncio.sleep(0)
            yield b"chunk%d;" % i

    return StreamingResponse(chunks(), media_type="text/plain")


app = Starlette(
    routes=[
        Route("/", home),
        Route("/items/{item_id:int}", item, methods=["GET", "POST"]),
        Route("/boom", boom),
        Route("/missing", missing),
        Route("/stream", stream),
        Mount("/api", routes=[Route("/users/{user_id}", user)]),
    ]
)


def serve(application):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(application, lifespan="on", log_level="critical"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    return server, thread, sock.getsockname()[1]


def request(port, path, method="GET", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, headers=headers or {"User-Agent": "pypi-diff/1"})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    print("RESULT", method, path, resp.status, body[:40])


server, thread, port = serve(app)
request(port, "/items/42?color=red&token=abc")
request(port, "/items/7", method="POST")
request(port, "/items/7", method="DELETE")
request(port, "/api/users/9")
request(port, "/no/such/page")
request(port, "/missing")
request(port, "/boom")
request(port, "/stream")
request(port, "/", headers={"x-datadog-trace-id": "1234", "x-datadog-parent-id": "5678", "x-datadog-sampling-priority": "1"})
time.sleep(0.2)
server.should_exit = True
thread.join(10)
