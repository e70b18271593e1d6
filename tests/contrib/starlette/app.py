"""The Starlette application the tests drive; it runs on every Starlette from 0.13."""
import asyncio

from starlette.applications import Starlette
from starlette.background import BackgroundTasks
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.responses import JSONResponse
from starlette.responses import PlainTextResponse
from starlette.responses import StreamingResponse
from starlette.routing import Host
from starlette.routing import Mount
from starlette.routing import Route
from starlette.routing import Router
from starlette.routing import WebSocketRoute

#: What the handlers saw, for the tests to check: ``raised`` holds the exceptions
#: raised on purpose, ``during_stream`` whether the request span was still open
#: while the last chunk was produced.
seen = {"raised": [], "task_ran": [], "during_stream": []}


class Conflict(Exception):
    """Turned into a 409 response by an exception handler."""


class Fatal(Exception):
    """Turned into a 500 response by an exception handler."""


def _tracer():
    from ddtrace.trace import tracer

    return tracer


def _raise(exc):
    seen["raised"].append(exc)
    raise exc


async def home(request):
    return PlainTextResponse("home")


async def item(request):
    return JSONResponse({"id": request.path_params["item_id"]})


async def user(request):
    return JSONResponse({"user": request.path_params["user_id"]})


async def boom(request):
    _raise(RuntimeError("handler failed"))


async def missing(request):
    raise HTTPException(status_code=404, detail="no such thing")


async def unavailable(request):
    raise HTTPException(status_code=503, detail="come back later")


async def conflict(request):
    raise Conflict("already there")


async def fatal(request):
    _raise(Fatal("handled as a 500"))


def sync_task(value):
    with _tracer().trace("inside.sync_task"):
        seen["task_ran"].append(("sync", value))


async def async_task(value):
    await asyncio.sleep(0)
    seen["task_ran"].append(("async", value))


def failing_task():
    _raise(KeyError("task failed"))


async def background(request):
    tasks = BackgroundTasks()
    tasks.add_task(sync_task, 1)
    tasks.add_task(async_task, 2)
    if request.query_params.get("fail"):
        tasks.add_task(failing_task)
    return PlainTextResponse("queued", background=tasks)


async def stream(request):
    async def chunks():
        for i in range(3):
            await asyncio.sleep(0)
            yield b"chunk%d;" % i
        root = _tracer().current_root_span()
        seen["during_stream"].append(None if root is None else root.finished)

    return StreamingResponse(chunks(), media_type="text/plain")


async def private(request):
    return PlainTextResponse("secret " + request.path_params["doc"])


async def ws_room(websocket):
    await websocket.accept()
    text = await websocket.receive_text()
    await websocket.send_text("%s:%s" % (websocket.path_params["room"], text))
    await websocket.close()


async def ws_refuse(websocket):
    await websocket.close()


async def ws_boom(websocket):
    await websocket.accept()
    _raise(ValueError("websocket handler failed"))


async def raw_asgi(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"raw"})


async def conflict_handler(request, exc):
    return PlainTextResponse(str(exc), status_code=409)


async def fatal_handler(request, exc):
    return PlainTextResponse("fatal", status_code=500)


class Gatekeeper(BaseHTTPMiddleware):
    """Answers ``/private/...`` itself (before routing) and fails on ``/gate-fails``."""

    async def dispatch(self, request, call_next):
        if request.url.path.startswith("/private/") and "authorization" not in request.headers:
            return PlainTextResponse("who are you?", status_code=401)
        if request.url.path == "/gate-fails":
            _raise(LookupError("middleware failed"))
        return await call_next(request)


def make_app(gatekeeper=True, **kwargs):
    """The application; ``gatekeeper=False`` leaves the ``BaseHTTPMiddleware`` out
    (before Starlette 0.21 it holds the response back until background tasks are done)."""
    inner = Starlette(routes=[Route("/deep/{name}", home)])
    routes = [
        Route("/", home),
        Route("/items/{item_id:int}", item, methods=["GET", "POST"]),
        Route("/boom", boom),
        Route("/missing", missing),
        Route("/unavailable", unavailable),
        Route("/conflict", conflict),
        Route("/fatal", fatal),
        Route("/background", background),
        Route("/stream", stream),
        Route("/private/{doc}", private),
        Route("/gate-fails", home),
        Mount("/api", routes=[Route("/users/{user_id}", user), Route("/", home)]),
        Mount("/app", app=inner),
        Mount("/raw", app=raw_asgi),
        Host("api.example.com", app=Router(routes=[Route("/v/{version}/status", home)])),
        WebSocketRoute("/ws/{room}", ws_room),
        WebSocketRoute("/ws-refuse", ws_refuse),
        WebSocketRoute("/ws-boom", ws_boom),
    ]
    return Starlette(
        routes=routes,
        exception_handlers={Conflict: conflict_handler, Fatal: fatal_handler},
        middleware=[Middleware(Gatekeeper)] if gatekeeper else [],
        **kwargs
    )
