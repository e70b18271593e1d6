"""A real server for the Starlette and FastAPI tests: uvicorn on 127.0.0.1 in a thread."""
import contextlib
import http.client
import socket
import threading
import time


@contextlib.contextmanager
def uvicorn_server(app):
    """Serve ``app`` with uvicorn on a free 127.0.0.1 port; yields the port. The server
    is stopped (and its thread joined) on exit."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    from uvicorn.config import WS_PROTOCOLS

    ws = "websockets-sansio" if "websockets-sansio" in WS_PROTOCOLS else "auto"
    srv = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="critical", ws=ws))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    give_up = time.monotonic() + 20
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < give_up, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield port
    finally:
        srv.should_exit = True
        thread.join(20)
        sock.close()


def get(port, path, headers=None):
    """``(status, body bytes)`` of a GET through a new connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def websocket_exchange(port, path, text):
    """Send ``text`` over a websocket and return the answer."""
    from websockets.sync.client import connect

    with connect("ws://127.0.0.1:%d%s" % (port, path), open_timeout=10, close_timeout=10) as ws:
        ws.send(text)
        return ws.recv(timeout=10)


def wait_for(spans, done, timeout=10.0):
    """The spans the ``spans`` fixture collects until ``done(got)`` holds (the server
    finishes its spans in its own thread, maybe after the client got the answer)."""
    got = []
    give_up = time.monotonic() + timeout
    while True:
        got.extend(spans())
        if done(got) or time.monotonic() > give_up:
            return got
        time.sleep(0.01)


def named(got, name):
    return [s for s in got if s.name == name]
