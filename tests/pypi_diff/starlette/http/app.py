"""starlette under ddtrace-run, served by uvicorn on 127.0.0.1: a route with a
parameter and a secret in the query, a route in a mount, an unknown path (404), an
HTTPException, a handler exception (500), a streamed response, distributed headers."""
import asyncio
import os
import sys

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.responses import PlainTextResponse
from starlette.responses import StreamingResponse
from starlette.routing import Mount
from starlette.routing import Route

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from uvicorn_app import Served  # noqa: E402


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


served = Served(app, lifespan="on")
served.request("/items/42?color=red&token=abc")
served.request("/items/7", method="POST")
served.request("/items/7", method="DELETE")
served.request("/api/users/9")
served.request("/no/such/page")
served.request("/missing")
served.request("/boom")
served.request("/stream")
served.request("/", headers={"x-datadog-trace-id": "1234", "x-datadog-parent-id": "5678", "x-datadog-sampling-priority": "1"})
served.stop()
