"""starlette under ddtrace-run: a websocket route with a parameter (accepted, one
message each way, closed) and one that refuses the connection, under uvicorn."""
import socket
import threading
import time

import uvicorn
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from websockets.sync.client import connect


async def room(websocket):
    await websocket.accept()
    text = await websocket.receive_text()
    await websocket.send_text("%s:%s" % (websocket.path_params["room"], text))
    await websocket.close()


async def refuse(websocket):
    await websocket.close()


app = Starlette(routes=[WebSocketRoute("/ws/{room}", room), WebSocketRoute("/ws-refuse", refuse)])

sock = socket.socket()
sock.bind(("127.0.0.1", 0))
server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="critical"))
thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
thread.start()
while not server.started:
    time.sleep(0.01)
base = "ws://127.0.0.1:%d" % sock.getsockname()[1]
with connect(base + "/ws/lobby") as ws:
    ws.send("hello")
    print("RESULT", ws.recv())
try:
    with connect(base + "/ws-refuse") as ws:
        ws.recv()
except Exception as e:
    print("RESULT refused", type(e).__name__)
time.sleep(0.2)
server.should_exit = True
thread.join(10)
