"""starlette under ddtrace-run: a websocket route with a parameter (accepted, one
message each way, closed) and one that refuses the connection, under uvicorn."""
import os
import sys

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from websockets.sync.client import connect

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from uvicorn_app import Served  # noqa: E402


async def room(websocket):
    await websocket.accept()
    text = await websocket.receive_text()
    await websocket.send_text("%s:%s" % (websocket.path_params["room"], text))
    await websocket.close()


async def refuse(websocket):
    await websocket.close()


app = Starlette(routes=[WebSocketRoute("/ws/{room}", room), WebSocketRoute("/ws-refuse", refuse)])

served = Served(app)
base = "ws://127.0.0.1:%d" % served.port
with connect(base + "/ws/lobby") as ws:
    ws.send("hello")
    print("RESULT", ws.recv())
try:
    with connect(base + "/ws-refuse") as ws:
        ws.recv()
except Exception as e:
    print("RESULT refused", type(e).__name__)
served.stop()
