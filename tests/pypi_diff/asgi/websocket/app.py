"""asgi: a websocket connection (accepted, echoed, closed) and a refused one, through
TraceMiddleware under uvicorn on 127.0.0.1."""
import socket
import threading
import time

import uvicorn
from websockets.sync.client import connect

from ddtrace.contrib.asgi import TraceMiddleware


async def app(scope, receive, send):
    if scope["type"] != "websocket":
        return
    await receive()
    if scope["path"] == "/refuse":
        await send({"type": "websocket.close", "code": 1008})
        return
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") == "bye":
            await send({"type": "websocket.close", "code": 1000})
            return
        await send({"type": "websocket.send", "text": "echo:" + message["text"]})


sock = socket.socket()
sock.bind(("127.0.0.1", 0))
server = uvicorn.Server(uvicorn.Config(TraceMiddleware(app), lifespan="off", log_level="critical"))
thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
thread.start()
while not server.started:
    time.sleep(0.01)
base = "ws://127.0.0.1:%d" % sock.getsockname()[1]
with connect(base + "/chat?room=1") as ws:
    ws.send("one")
    print("RESULT", ws.recv())
    ws.send("bye")
    try:
        ws.recv()
    except Exception as e:
        print("RESULT closed", type(e).__name__)
try:
    with connect(base + "/refuse") as ws:
        ws.recv()
except Exception as e:
    print("RESULT refused", type(e).__name__)
time.sleep(0.2)
server.should_exit = True
thread.join(10)
