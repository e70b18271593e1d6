"""fastapi under ddtrace-run, served by uvicorn on 127.0.0.1: a path operation with a
parameter and a response model, a secret in the query, included routers with prefixes,
a mounted sub-application, an unknown path (404), a validation error (422), an
HTTPException, an endpoint exception (500), a streamed response, distributed headers."""
import asyncio
import http.client
import socket
import threading
import time

import uvicorn
from fastapi import APIRouter
from fastapi import FastAPI
from fastapi import HTTPException
from fastapi.responses import PlainTextResponse
from fastapi.responses import StreamingResponse
from pydantic import BaseModel


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
request(port, "/plain")
request(port, "/sync/bob")
request(port, "/v1/outer/things/3")
request(port, "/sub/reports/9")
request(port, "/nope")
request(port, "/items/not-a-number")
request(port, "/missing")
request(port, "/boom")
request(port, "/stream")
request(port, "/plain", headers={"x-datadog-trace-id": "1234", "x-datadog-parent-id": "5678", "x-datadog-sampling-priority": "1"})
time.sleep(0.2)
server.should_exit = True
thread.join(10)
