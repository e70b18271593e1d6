"""The FastAPI application the tests drive (FastAPI 0.100 and later)."""
import asyncio

from fastapi import APIRouter
from fastapi import BackgroundTasks
from fastapi import Depends
from fastapi import FastAPI
from fastapi import Header
from fastapi import HTTPException
from fastapi import WebSocket
from fastapi.responses import PlainTextResponse
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.routing import Route

seen = {"raised": [], "task_ran": [], "during_stream": []}


def _tracer():
    from ddtrace.trace import tracer

    return tracer


def _raise(exc):
    seen["raised"].append(exc)
    raise exc


class Item(BaseModel):
    id: int
    name: str


def require_token(x_token: str = Header(None)):
    if x_token != "secret":
        raise HTTPException(status_code=401, detail="bad token")
    return x_token


def broken_dependency():
    _raise(LookupError("dependency failed"))


def send_report(user_id):
    with _tracer().trace("inside.send_report"):
        seen["task_ran"].append(user_id)


async def legacy_hello(request):
    return PlainTextResponse("hello " + request.path_params["who"])


def make_app():
    app = FastAPI()

    @app.get("/items/{item_id}", response_model=Item)
    async def read_item(item_id: int):
        return {"id": item_id, "name": "widget"}

    @app.get("/plain")
    async def plain():
        return PlainTextResponse("plain")

    @app.get("/sync/{name}")
    def sync_endpoint(name: str):
        with _tracer().trace("inside.sync_endpoint"):
            return {"name": name}

    @app.get("/boom")
    async def boom():
        _raise(RuntimeError("endpoint failed"))

    @app.get("/missing")
    async def missing():
        raise HTTPException(status_code=404, detail="no such thing")

    @app.get("/secure", dependencies=[Depends(require_token)])
    async def secure():
        return {"ok": True}

    @app.get("/broken", dependencies=[Depends(broken_dependency)])
    async def broken():
        return {"ok": True}

    @app.get("/background/{user_id}")
    async def background(user_id: int, tasks: BackgroundTasks):
        tasks.add_task(send_report, user_id)
        return {"queued": user_id}

    @app.get("/stream")
    async def stream():
        async def chunks():
            for i in range(3):
                await asyncio.sleep(0)
                yield b"chunk%d;" % i
            root = _tracer().current_root_span()
            seen["during_stream"].append(None if root is None else root.finished)

        return StreamingResponse(chunks(), media_type="text/plain")

    @app.websocket("/ws/{room}")
    async def chat(websocket: WebSocket, room: str):
        await websocket.accept()
        text = await websocket.receive_text()
        await websocket.send_text("%s:%s" % (room, text))
        await websocket.close()

    inner = APIRouter(prefix="/inner")

    @inner.get("/files/{file_path:path}")
    async def read_file(file_path: str):
        return {"path": file_path}

    outer = APIRouter(prefix="/outer")

    @outer.get("/things/{thing_id}")
    async def read_thing(thing_id: int):
        return {"thing": thing_id}

    outer.include_router(inner, prefix="/mid")
    app.include_router(outer, prefix="/v1")

    sub = FastAPI()

    @sub.get("/reports/{report_id}")
    async def read_report(report_id: int):
        return {"report": report_id}

    pages = APIRouter()

    @pages.get("/pages/{page}")
    async def read_page(page: int):
        return {"page": page}

    sub.include_router(pages, prefix="/v2")
    app.mount("/sub", sub)
    app.mount("/legacy", Starlette(routes=[Route("/hello/{who}", legacy_hello)]))
    return app
