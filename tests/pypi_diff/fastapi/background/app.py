"""fastapi under ddtrace-run: a path operation adding a background task (which makes a
span of its own inside), under uvicorn on 127.0.0.1."""
import os
import sys
import threading

from fastapi import BackgroundTasks
from fastapi import FastAPI

from ddtrace.trace import tracer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from uvicorn_app import Served  # noqa: E402

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


served = Served(app)
served.request("/background/7")
done.wait(10)
served.stop()
