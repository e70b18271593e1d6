"""A stand-in Datadog Agent for the benchmarks: accepts traces, answers like the agent, keeps counts.

Run by ``benchmarks/run.py`` in a process of its own, so that none of its work lands in
the CPU time of the process being measured::

    python benchmarks/sink.py [--port 0]

It prints ``{"port": N}`` on its first stdout line once it listens on 127.0.0.1:N.

- ``PUT``/``POST`` ``/v0.4/traces`` and ``/v0.5/traces``: read the body, answer 200
  ``{"rate_by_service":{}}`` (so both tracers keep their default sampling).
- ``GET /_sink/stats``: what was received so far (requests, bytes, traces and spans when
  msgpack can decode the payload). The runner reads it before and after each scenario
  process to show which share of the spans each tracer actually delivered.
- Anything else: 404 (tracers probing ``/info`` & co. see an agent without extras).
"""
import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer

try:
    import msgpack
except ImportError:  # counting spans is a bonus; the sink works without it
    msgpack = None

TRACE_PATHS = ("/v0.4/traces", "/v0.5/traces")
AGENT_REPLY = b'{"rate_by_service":{}}'

_lock = threading.Lock()
_stats = {"requests": 0, "bytes": 0, "traces": 0, "spans": 0, "undecoded": 0}


def count_spans(path, body):
    """(traces, spans) in one payload, or None when it cannot be decoded."""
    if msgpack is None or not body:
        return None
    try:
        payload = msgpack.unpackb(body, raw=True, strict_map_key=False)
    except Exception:
        return None
    # v0.5 is [string table, traces]; v0.4 is the list of traces itself.
    traces = payload[1] if path.startswith("/v0.5") else payload
    try:
        return len(traces), sum(len(t) for t in traces)
    except TypeError:
        return None


class Handler(BaseHTTPRequestHandler):
    # Keep-alive, as a real agent does, so connection set-up does not dominate.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY the second waits for
    # the client's delayed ACK, adding ~40 ms to every request.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(parts)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _reply(self, code, body, ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _traces(self):
        body = self._body()
        path = self.path.split("?", 1)[0]
        if path not in TRACE_PATHS:
            self._reply(404, b"not found", "text/plain")
            return
        counted = count_spans(path, body)
        with _lock:
            _stats["requests"] += 1
            _stats["bytes"] += len(body)
            if counted is None:
                _stats["undecoded"] += 1
            else:
                _stats["traces"] += counted[0]
                _stats["spans"] += counted[1]
        self._reply(200, AGENT_REPLY)

    do_PUT = _traces
    do_POST = _traces

    def do_GET(self):
        if self.path == "/_sink/stats":
            with _lock:
                body = json.dumps(_stats).encode()
            self._reply(200, body)
        else:
            self._reply(404, b"not found", "text/plain")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    sys.stdout.write(json.dumps({"port": server.server_address[1]}) + "\n")
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
