"""fastapi under ddtrace-run: a websocket path operation with a parameter (accepted,
one message each way, closed), under uvicorn on 127.0.0.1."""
import os
import sys

from fastapi import FastAPI
from fastapi import WebSocket
from websockets.sync.client import connect

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from uvicorn_app import Served  # noqa: E402

app = FastAPI()


@app.websocket("/ws/{room}")
async def chat(websocket: WebSocket, room: str):
    await websocket.accept()
    text = await websocket.receive_text()
    await websocket.send_text("%s:%s" % (room, text))
    await websocket.close()


served = Served(app)
with connect("ws://127.0.0.1:%d/ws/den" % served.port) as ws:
    ws.send("yo")
    print("RESULT", ws.recv())
served.stop()
