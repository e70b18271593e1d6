"""Test helpers shared by the HTTP client and bootstrap suites: a local HTTP server
and running Python code in a fresh interpreter."""
import http.server
import json
import os
import subprocess
import sys
import textwrap
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.received.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
        path = self.path.split("?", 1)[0]
        code = 200
        extra = {}
        if path.startswith("/status/"):
            code = int(path.split("/")[2])
        elif path.startswith("/redirect"):
            code = 302
            extra["Location"] = "/final"
        elif path == "/info" and self.server.info is not None:
            body = json.dumps(self.server.info).encode()
            return self._send(200, body, {"Content-Type": "application/json"})
        body = json.dumps({"path": self.path, "headers": dict(self.headers.items())}).encode()
        self._send(code, body, extra)

    def _send(self, code, body, headers):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Served-By", "test-server")
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args):
        pass


class HTTPTestServer:
    """A threaded HTTP server on 127.0.0.1 (free port). It answers every path with
    a JSON echo of the request; ``/status/<code>`` answers with that status;
    ``/redirect`` redirects to ``/final``; ``/info`` answers ``info`` if set.
    ``received`` lists ``(method, path, {lowercase header: value})``."""

    def __init__(self, info=None):
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.received = []
        self._server.info = info
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def received(self):
        return self._server.received

    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def free_port():
    """A TCP port on 127.0.0.1 nothing listens on (for refused connections)."""
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def python_env(**overrides):
    """The environment for a child interpreter: no DD_* settings from the outside,
    the repository importable, then ``overrides`` (None removes a variable)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DD_")}
    env["PYTHONPATH"] = os.pathsep.join([ROOT] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    # Nothing reaches a real agent from a child process.
    env["DD_TRACE_AGENT_URL"] = "http://127.0.0.1:%d" % free_port()
    for k, v in overrides.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def run_python(code, env=None, args=(), timeout=60, cwd=None):
    """Run ``code`` with ``sys.executable -c`` in a fresh interpreter; returns the
    CompletedProcess (text output)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)] + list(args),
        env=python_env() if env is None else env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )


def check(proc):
    """``proc``'s stdout, after asserting it exited 0 (stderr shown otherwise)."""
    assert proc.returncode == 0, "exit %d\nstdout:\n%s\nstderr:\n%s" % (proc.returncode, proc.stdout, proc.stderr)
    return proc.stdout


#: Prelude for child programs: the global tracer writes to memory; ``spans()``
#: returns the finished spans in start order.
CHILD_PRELUDE = """
import sys
from ddtrace.internal.writer import InMemoryWriter
from ddtrace.trace import tracer
_writer = InMemoryWriter()
tracer._aggregator.writer = _writer
def spans():
    out = [s for t in _writer.pop_traces() for s in t]
    return sorted(out, key=lambda s: s.start_ns)
"""


class MemoryTracer:
    """The global tracer writing to memory for one test: ``spans()`` pops the
    finished spans in start order."""

    def __init__(self):
        from ddtrace.internal.writer import InMemoryWriter
        from ddtrace.trace import tracer

        self.tracer = tracer
        self.writer = InMemoryWriter()
        self._saved = (tracer._aggregator.writer, tracer._aggregator.enabled)
        tracer._aggregator.writer = self.writer
        tracer._aggregator.enabled = True

    def spans(self):
        out = [s for t in self.writer.pop_traces() for s in t]
        return sorted(out, key=lambda s: s.start_ns)

    def restore(self):
        self.tracer._aggregator.writer, self.tracer._aggregator.enabled = self._saved


#: What each patch-lifecycle scenario does before running the exercise.
_SCENARIOS = {
    # ddtrace.patch() before the import: nothing imported, patched on import
    "import_after_patch": """
        m.patch({name}=True)
        assert {module!r} not in sys.modules or {stdlib}, "ddtrace.patch imported the library"
        {imports}
    """,
    "patch_after_import": """
        {imports}
        m.patch({name}=True)
    """,
    "double_patch": """
        {imports}
        m.patch({name}=True)
        m.patch({name}=True)
        import ddtrace.contrib.{name}.patch as pm
        assert pm.patch() is False, "patched a second time"
    """,
    "unpatch": """
        m.patch({name}=True)
        {imports}
        m.unpatch({name!r})
        import ddtrace.contrib.{name}.patch as pm
        assert not pm.integration.is_patched()
    """,
    "repatch": """
        m.patch({name}=True)
        {imports}
        m.unpatch({name!r})
        m.patch({name}=True)
    """,
    "not_patched": """
        {imports}
    """,
}

#: Whether spans are expected after each scenario.
SCENARIO_TRACED = {
    "import_after_patch": True,
    "patch_after_import": True,
    "double_patch": True,
    "unpatch": False,
    "repatch": True,
    "not_patched": False,
}


def lifecycle_program(scenario, name, module, imports, exercise, stdlib=False):
    """A child program: the scenario, then ``exercise`` (which must print one line)."""
    setup = textwrap.dedent(_SCENARIOS[scenario]).format(
        name=name, module=module, imports=imports, stdlib=stdlib
    )
    return "\n".join(
        [
            textwrap.dedent(CHILD_PRELUDE),
            "import ddtrace._monkey as m",
            setup,
            textwrap.dedent(exercise),
        ]
    )
