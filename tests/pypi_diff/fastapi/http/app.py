"""fastapi under ddtrace-run, served by uvicorn on 127.0.0.1: a path operation with a
parameter and a response model, a secret in the query, included routers with prefixes,
a mounted sub-application, an unknown path (404), a validation error (422), an
HTTPException, an endpoint exception (500), a streamed response, distributed headers."""
import asyncio
import os
import sys

from fastapi import APIRouter
from fastapi import FastAPI
from fastapi import HTTPException
from fastapi.responses import PlainTextResponse
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from uvicorn_app import Served  # noqa: E402


class Item(BaseModel):
    id: int
    name: str


app = FastAPI()


@app.get("/items/{item_id}", response_model=Item)
async def read_item(item_id: int):
    return {"id": item_id, "name": "widget"}


@app.get("/plain")
async def plain():
    return PlainTextResponse("plain")


@app.get("/sync/{name}")
def sync_endpoint(name: str):
    return {"name": name}


@app.get("/boom")
async def boom():
    raise RuntimeError("endpoint failed")


@app.get("/missing")
async def missing():
    raise HTTPException(status_code=404, detail="no such thing")


@app.get("/stream")
async def stream():
    async def chunks():
        for i in range(3):
            await asyncio.sleep(0)
            yield b"chunk%d;" % i

    return StreamingResponse(chunks(), media_type="text/plain")


outer = APIRouter(prefix="/outer")


@outer.get("/things/{thing_id}")
async def read_thing(thing_id: int):
    return {"thing": thing_id}


app.include_router(outer, prefix="/v1")
sub = FastAPI()


@sub.get("/reports/{report_id}")
async def read_report(report_id: int):
    return {"report": report_id}


app.mount("/sub", sub)


served = Served(app, lifespan="on")
served.request("/items/42?color=red&token=abc")
served.request("/plain")
served.request("/sync/bob")
served.request("/v1/outer/things/3")
served.request("/sub/reports/9")
served.request("/nope")
served.request("/items/not-a-number")
served.request("/missing")
served.request("/boom")
served.request("/stream")
served.request("/plain", headers={"x-datadog-trace-id": "1234", "x-datadog-parent-id": "5678", "x-datadog-sampling-priority": "1"})
served.stop()
