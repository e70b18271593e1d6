"""What the ASGI scenarios (asgi, starlette, fastapi) share: the application served by
uvicorn on a free port of 127.0.0.1 in a thread, plain HTTP requests to it, and the
stop. A scenario's ``app.py`` imports it after putting this folder on ``sys.path``."""
import http.client
import socket
import threading
import time

import uvicorn


class Served:
    """``app`` under uvicorn until :meth:`stop`: ``port``, ``request(...)``."""

    def __init__(self, app, lifespan="off"):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, lifespan=lifespan, log_level="critical"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)

    def request(self, path, method="GET", headers=None, quiet=False):
        """Send one request, print ``RESULT <method> <path> <status> <body start>``."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request(method, path, headers=headers or {"User-Agent": "pypi-diff/1"})
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        print("RESULT", method, path, resp.status, body[:40])
        return resp.status, body

    def stop(self):
        # Let the last spans finish before the server goes.
        time.sleep(0.2)
        self.server.should_exit = True
        self.thread.join(10)
