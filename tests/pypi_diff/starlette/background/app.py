"""starlette under ddtrace-run: a response with two background tasks (one sync with a
span of its own inside, one async), under uvicorn on 127.0.0.1."""
import asyncio
import os
import sys
import threading

from starlette.applications import Starlette
from starlette.background import BackgroundTasks
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from ddtrace.trace import tracer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from uvicorn_app import Served  # noqa: E402

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

served = Served(app)
served.request("/background")
done.wait(10)
served.stop()
