"""fastapi under ddtrace-run: a path operation adding a background task (which makes a
span of its own inside), under uvicorn on 127.0.0.1."""
import http.client
import socket
import threading
import time

import uvicorn
from fastapi import BackgroundTasks
from fastapi import FastAPI

from ddtrace.trace import tracer

app = FastAPI()
done = threading.Event()


def send_report(user_id):
    with tracer.trace("inside.send_report"):
        pass
    done.set()


@app.get("/background/{user_id}")
async def background(user_id: int, tasks: BackgroundTasks):
    tasks.add_task(send_report, user_id)
    return {"queued": user_id}


sock = socket.socket()
sock.bind(("127.0.0.1", 0))
server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="critical"))
thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
thread.start()
while not server.started:
    time.sleep(0.01)
conn = http.client.HTTPConnection("127.0.0.1", sock.getsockname()[1], timeout=10)
conn.request("GET", "/background/7", headers={"User-Agent": "pypi-diff/1"})
resp = conn.getresponse()
print("RESULT", resp.status, resp.read())
conn.close()
done.wait(10)
time.sleep(0.2)
server.should_exit = True
thread.join(10)
