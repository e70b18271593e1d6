"""The local HTTP server the HTTP-client scenarios (requests, urllib3, httplib) talk to.

Only the standard library: it runs under either tracer. ``/status/<code>`` answers with
that status, everything else 200 with a small JSON body; ``received`` keeps the request
headers (lowercase names) so a scenario can print the trace headers it sent.
"""
import http.server
import os
import socket
import threading

#: Trace headers a scenario prints (their ids are turned into placeholders by run.py).
TRACE_HEADERS = ("x-datadog-trace-id", "x-datadog-parent-id", "x-datadog-sampling-priority", "traceparent")


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.received.append({k.lower(): v for k, v in self.headers.items()})
        path = self.path.split("?", 1)[0]
        code = int(path.split("/")[2]) if path.startswith("/status/") else 200
        body = b'{"ok": true}'
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args):
        pass


class Server:
    def __init__(self, port=0):
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self._server.daemon_threads = True
        self._server.received = []
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def received(self):
        return self._server.received

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def print_trace_headers(self, label):
        headers = self.received[-1]
        for name in TRACE_HEADERS:
            print("%s %s=%s" % (label, name, headers.get(name, "<absent>")))

    def stop(self):
        self._server.shutdown()
        self._server.server_close()


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# The split_by_domain scenarios put host:port in the service name, which run.py does not
# normalise: they use this fixed port so both tracers' runs agree.
SPLIT_PORT = int(os.environ.get("SCENARIO_SPLIT_PORT", "47613"))

