"""The integration test kit: what every integration's test folder builds on.

Fixtures (``tests/contrib/conftest.py``, available to every test under ``tests/contrib``):

``spans``
    The global tracer writes to memory for the test: ``spans()`` pops the finished
    spans in start order (``spans.tracer`` is the tracer).
``patched``
    The test folder's integration patched for the test and unpatched after it; the
    :class:`~ddtrace.contrib._integration.Integration` object. The integration is the
    folder's name (``tests/contrib/redis`` -> ``redis``) unless the test module sets
    ``INTEGRATION = "<name>"``.
``http_server``
    A local :class:`HTTPTestServer` (for HTTP clients).

The lifecycle suite, in fresh interpreters, from one call in ``test_<name>_patch.py``::

    from tests.contrib.kit import lifecycle_tests

    test_lifecycle = lifecycle_tests(
        "redis",
        exercise='''
            import redis
            redis.Redis(port=6379, db=9).get("k")
        ''',
        span="redis.command",
        count=1,
    )

It runs the exercise after each way of turning the integration on and off that users
have (``patch()`` before or after the import, twice, ``unpatch()`` and again, the
integration's own ``patch()``, ``patch_all()`` and ``DD_TRACE_<NAME>_ENABLED=false``)
and checks how many spans named ``span`` it made, that ``unpatch()`` put back every
original, that ``ddtrace.patch()`` imported nothing, and what ``get_patched_modules()``
says.
"""
import http.server
import json
import os
import subprocess
import sys
import textwrap
import threading

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# ------------------------------------------------------------------ capturing spans


class SpanCapture:
    """The global tracer writing to memory: calling it pops the finished spans in
    start order. :meth:`restore` puts the tracer back as it was."""

    def __init__(self):
        from ddtrace.internal.writer import InMemoryWriter
        from ddtrace.trace import tracer

        self.tracer = tracer
        self.writer = InMemoryWriter()
        self._saved = (tracer._aggregator.writer, tracer._aggregator.enabled)
        tracer._aggregator.writer = self.writer
        tracer._aggregator.enabled = True

    def __call__(self):
        out = [s for t in self.writer.pop_traces() for s in t]
        return sorted(out, key=lambda s: s.start_ns)

    def traces(self):
        """Pop the finished traces (lists of spans, each in start order)."""
        return [sorted(t, key=lambda s: s.start_ns) for t in self.writer.pop_traces()]

    def restore(self):
        self.tracer._aggregator.writer, self.tracer._aggregator.enabled = self._saved


def integration_of(name):
    """The :class:`~ddtrace.contrib._integration.Integration` of ``name`` (loads its code)."""
    import importlib

    return importlib.import_module("ddtrace.contrib.%s.patch" % name).integration


# ------------------------------------------------------------------ child interpreters


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


# ------------------------------------------------------------------ the lifecycle suite

#: How each scenario turns the integration on (and off) before the exercise runs, and
#: whether the exercise's spans are then expected.
_SCENARIOS = {
    # ddtrace.patch() before the import: nothing imported, patched on import
    "import_after_patch": (
        True,
        """
        m.patch({name}=True)
        assert not [t for t in {triggers!r} if t in sys.modules and t not in _before], "ddtrace.patch imported the library"
        {imports}
        """,
    ),
    "patch_after_import": (True, "{imports}\nm.patch({name}=True)"),
    "double_patch": (
        True,
        """
        {imports}
        m.patch({name}=True)
        m.patch({name}=True)
        assert _integration().patch() is False, "patched a second time"
        """,
    ),
    # the integration's own patch(), as users of the PyPI tracer call it
    "own_patch": (
        True,
        """
        import importlib
        assert importlib.import_module("ddtrace.contrib.{name}.patch").patch() is True
        {imports}
        """,
    ),
    "unpatch": (
        False,
        """
        m.patch({name}=True)
        {imports}
        _records = [(r.owner, r.attr, r.previous) for r in _integration()._records]
        assert _records, "patching wrapped nothing"
        m.unpatch({name!r})
        assert not _integration().is_patched()
        assert {name!r} not in m.get_patched_modules()
        from ddtrace.contrib._integration import _MISSING
        for owner, attr, previous in _records:
            now = vars(owner).get(attr, _MISSING)
            assert now is previous, "unpatch left %r.%s wrapped" % (owner, attr)
        """,
    ),
    "repatch": (True, "m.patch({name}=True)\n{imports}\nm.unpatch({name!r})\nm.patch({name}=True)"),
    "not_patched": (False, "{imports}"),
    # what ddtrace-run does
    "patch_all": (None, "m.patch_all()\n{imports}"),
    "disabled_by_env": (False, "import os\nos.environ['DD_TRACE_{env}_ENABLED'] = 'false'\nm.patch_all()\n{imports}"),
}


def _program(scenario, row, imports, exercise, span_names):
    setup = textwrap.dedent(_SCENARIOS[scenario][1]).format(
        name=row.name,
        env="".join(c if c.isalnum() else "_" for c in row.name).upper(),
        triggers=row.module_names,
        imports=textwrap.dedent(imports).strip(),
    )
    traced = _SCENARIOS[scenario][0]
    check_status = ""
    if traced:
        check_status = "assert %r in m.get_patched_modules(), m._integration_status()" % row.name
    return "\n".join(
        [
            textwrap.dedent(CHILD_PRELUDE),
            "_before = set(sys.modules)",
            "import ddtrace._monkey as m",
            "def _integration():",
            "    import ddtrace.contrib.%s.patch as pm" % row.name,
            "    return pm.integration",
            setup,
            textwrap.dedent(exercise),
            check_status,
            "_names = %r" % (tuple(span_names),),
            # Other integrations patch_all() enables may make spans of the same name.
            "_mine = (_integration().component, %r, None)" % (row.name,),
            "_got = [s for s in spans() if s.name in _names and s.get_tag('component') in _mine]",
            "print('SPANS', len(_got), globals().get('expected', -1))",
        ]
    )


def lifecycle_tests(name, exercise, span, count=None, imports=None, env=None, timeout=60):
    """A parametrized test running the lifecycle scenarios of integration ``name``.

    :param exercise: code using the library (dedented); it runs after the scenario.
    :param span: the span name (or names) the exercise makes when traced (counted when
        their ``component`` is the integration's, or when they have none).
    :param count: how many such spans when traced; None: the exercise sets ``expected``.
    :param imports: the import statements of the library (default: its trigger modules).
    :param env: extra environment of the child interpreters, or a function of the
        test's ``request`` returning it (to use a fixture: ``request.getfixturevalue``).
    """
    from ddtrace.contrib import _registry

    row = _registry.get(name)
    assert row is not None and row.implemented, "no implemented registry row %r" % (name,)
    span_names = (span,) if isinstance(span, str) else tuple(span)
    if imports is None:
        imports = "\n".join("import %s" % m for m in row.module_names if _importable(m))

    @pytest.mark.subprocess
    @pytest.mark.parametrize("scenario", sorted(_SCENARIOS))
    def test_lifecycle(scenario, request):
        traced = _SCENARIOS[scenario][0]
        if traced is None:  # patch_all: as the registry's default says
            traced = row.default
        program = _program(scenario, row, imports, exercise, span_names)
        extra = env(request) if callable(env) else env
        out = check(run_python(program, env=python_env(**(extra or {})), timeout=timeout))
        line = [ln for ln in out.splitlines() if ln.startswith("SPANS ")][-1]
        got, expected = (int(x) for x in line.split()[1:])
        if count is not None:
            expected = count
        assert expected > 0, "the exercise must set `expected` (or pass count=)"
        assert got == (expected if traced else 0), "%s: %d %s spans\n%s" % (scenario, got, "/".join(span_names), out)

    return test_lifecycle


def _importable(module):
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


# ------------------------------------------------------------------ an HTTP server


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
