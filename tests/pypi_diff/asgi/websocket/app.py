"""asgi: a websocket connection (accepted, echoed, closed) and a refused one, through
TraceMiddleware under uvicorn on 127.0.0.1."""
import os
import sys

from websockets.sync.client import connect

from ddtrace.contrib.asgi import TraceMiddleware

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from uvicorn_app import Served  # noqa: E402


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


served = Served(TraceMiddleware(app))
base = "ws://127.0.0.1:%d" % served.port
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
served.stop()
