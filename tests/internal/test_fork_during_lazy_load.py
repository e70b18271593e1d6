"""A fork while another thread runs one of the tracer's first-time imports.

Each case runs in a fresh interpreter: a ``threading.settrace`` hook pauses a thread
inside the ``<module>`` frame of the module the tracer loads lazily (so that thread
holds the module's import lock), the main thread forks, and the child does the same
operation again. Inheriting the half-done import, the child would block forever on
that module's lock; the tracer's before-fork hook must let the import finish first.
A hung child is killed after ``HANG`` seconds and fails the test.
"""
import os
import sys
import textwrap

import pytest

from tests.contrib.kit import check
from tests.contrib.kit import python_env
from tests.contrib.kit import run_python

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

HANG = 20

PROGRAM = """
import os, sys, threading, time
TARGET = {target!r}
paused = threading.Event()

def pause_in_target(frame, event, arg):
    if event == "call" and frame.f_code.co_name == "<module>" and frame.f_code.co_filename.replace(os.sep, "/").endswith(TARGET):
        paused.set()
        time.sleep(0.5)  # holding the module's import lock

{setup}

def operation():
{operation}

module = {module!r}
if module in sys.modules:
    print("PRELOADED %s" % module)
    sys.exit(0)
threading.settrace(pause_in_target)
{start}
assert paused.wait(30), "never reached " + TARGET
threading.settrace(None)
pid = os.fork()
if pid == 0:
    code = 1
    try:
        operation()
        {child_check}
        code = 0
    except BaseException:
        import traceback
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        {child_exit}
give_up = time.monotonic() + {hang}
while True:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        print("CHILD EXIT %d" % os.waitstatus_to_exitcode(status))
        break
    if time.monotonic() > give_up:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        print("CHILD HUNG")
        break
    time.sleep(0.02)
"""

IN_THREAD = "threading.Thread(target=operation, daemon=True).start()"

CASES = {
    # The configuration's first read (envier, settings/_env.py) on a thread.
    "config": dict(
        target="ddtrace/settings/_env.py",
        module="ddtrace.settings._env",
        setup="from ddtrace import tracer, config",
        operation="tracer.trace('op').finish()",
        child_check="assert config.service == 'forked-svc', config.service",
    ),
    # The first finished trace loads the sampler.
    "sampler": dict(
        target="ddtrace/trace/sampler.py",
        module="ddtrace.trace.sampler",
        setup="from ddtrace import tracer, config\nconfig.service",
        operation="tracer.trace('op').finish()",
    ),
    # The first error loads trace/_errors.py (traceback...).
    "errors": dict(
        target="ddtrace/trace/_errors.py",
        module="ddtrace.trace._errors",
        setup="from ddtrace import tracer\ntracer.trace('warm-up').finish()",
        operation="""
try:
    with tracer.trace('op'):
        raise ValueError('boom')
except ValueError:
    pass
""",
    ),
    # The writer thread's first connection imports the idna codec (socket.getaddrinfo);
    # the child sends from its exit hook.
    "writer-connect": dict(
        target="encodings/idna.py",
        module="encodings.idna",
        setup="from ddtrace import tracer",
        operation="tracer.trace('op').finish()",
        start="operation()",
        child_exit="sys.exit(code)",  # through the interpreter's exit: the writer's atexit flush
        env={"DD_TRACE_WRITER_INTERVAL_SECONDS": "0.01"},
    ),
    # The first traced outbound request (contrib/_http_client.py injects headers).
    "http-client": dict(
        target="ddtrace/propagation/http.py",
        module="ddtrace.propagation.http",
        setup="""
import http.client, http.server
from ddtrace import tracer, patch
patch(httplib=True)
tracer.trace('warm-up').finish()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header('Content-Length', '0'); self.end_headers()
    def log_message(self, *a):
        pass
server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)
threading.Thread(target=server.serve_forever, daemon=True).start()
""",
        operation="""
with tracer.trace('parent'):
    conn = http.client.HTTPConnection('127.0.0.1', server.server_address[1], timeout=10)
    conn.request('GET', '/')
    conn.getresponse().read()
    conn.close()
""",
    ),
    # The first server request with distributed tracing (contrib/trace_utils.py extracts).
    "trace-utils-extract": dict(
        target="ddtrace/propagation/http.py",
        module="ddtrace.propagation.http",
        setup="from ddtrace.contrib import trace_utils",
        operation="""
ctx = trace_utils.extract_context(None, {'x-datadog-trace-id': '1', 'x-datadog-parent-id': '2'}, override=True)
assert ctx.trace_id == 1, ctx
""",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_fork_while_another_thread_loads(case):
    spec = dict(CASES[case])
    env = python_env(DD_SERVICE="forked-svc", **spec.pop("env", {}))
    code = PROGRAM.format(
        target=spec["target"],
        module=spec["module"],
        setup=textwrap.dedent(spec["setup"]),
        operation=textwrap.indent(textwrap.dedent(spec["operation"]).strip(), "    "),
        start=spec.get("start", IN_THREAD),
        child_check=spec.get("child_check", "pass"),
        child_exit=spec.get("child_exit", "os._exit(code)"),
        hang=HANG,
    )
    out = check(run_python(code, env=env, timeout=HANG * 3))
    if out.startswith("PRELOADED"):
        pytest.skip("%s is imported at start-up in this interpreter: %s" % (spec["module"], sys.executable))
    assert "CHILD EXIT 0" in out, out
