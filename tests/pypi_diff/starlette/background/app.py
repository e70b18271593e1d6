"""starlette under ddtrace-run: a response with two background tasks (one sync with a
span of its own inside, one async), under uvicorn on 127.0.0.1."""
import asyncio
import http.client
import socket
import threading
import time

import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTasks
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from ddtrace.trace import tracer

done = threading.Event()


def sync_task(value):
    with tracer.trace("inside.sync_task"):
        pass


async def async_task(value):
    await asyncio.sleep(0)
    done.set()


async def background(request):
    tasks = BackgroundTasks()
    tasks.add_task(sync_task, 1)
    tasks.add_task(async_task, 2)
    return PlainTextResponse("queued", background=tasks)


app = Starlette(routes=[Route("/background", background)])

sock = socket.socket()
sock.bind(("127.0.0.1", 0))
server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="critical"))
thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
thread.start()
while not server.started:
    time.sleep(0.01)
conn = http.client.HTTPConnection("127.0.0.1", sock.getsockname()[1], timeout=10)
conn.request("GET", "/background", headers={"User-Agent": "pypi-diff/1"})
resp = conn.getresponse()
print("RESULT", resp.status, resp.read())
conn.close()
done.wait(10)
time.sleep(0.2)
server.should_exit = True
thread.join(10)
