"""fastapi under ddtrace-run: a websocket path operation with a parameter (accepted,
one message each way, closed), under uvicorn on 127.0.0.1."""
import socket
import threading
import time

import uvicorn
from fastapi import FastAPI
from fastapi import WebSocket
from websockets.sync.client import connect

app = FastAPI()


@app.websocket("/ws/{room}")
async def chat(websocket: WebSocket, room: str):
    await websocket.accept()
    text = await websocket.receive_text()
    await websocket.send_text("%s:%s" % (room, text))
    await websocket.close()


sock = socket.socket()
sock.bind(("127.0.0.1", 0))
server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="critical"))
thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
thread.start()
while not server.started:
    time.sleep(0.01)
with connect("ws://127.0.0.1:%d/ws/den" % sock.getsockname()[1]) as ws:
    ws.send("yo")
    print("RESULT", ws.recv())
time.sleep(0.2)
server.should_exit = True
thread.join(10)
