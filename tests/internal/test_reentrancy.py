"""The tracer called again from code that interrupted it: signal handlers, finalisers.

A Python signal handler runs on the main thread between two bytecodes of whatever it
interrupted, and a finaliser (``__del__``) runs wherever a garbage collection happens
to start. If either traces, the tracer is re-entered in the middle of its own work:
nothing the request path takes may then be held by the code underneath (a deadlock),
and nothing it reads may be half-built (the configuration's first load).

Each case runs in a fresh interpreter, bounded by a timeout: a hang fails the test.
"""
import json
import signal
import textwrap

import pytest

from tests.contrib.kit import check
from tests.contrib.kit import python_env
from tests.contrib.kit import run_python

pytestmark = pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs signal.setitimer")

HANG = 60


def _roots(traces):
    return [s for t in traces for s in t if s["parent_id"] == 0]


# ---------------------------------------------------------------- signal handlers

SIGNAL_STORM = """
import ddtrace.internal.logger as _dd_logger
_dd_errors = []
_dd_logger.internal_error_hooks.append(lambda e, what: _dd_errors.append("%s: %r" % (what, e)))
import signal, sys, time
from ddtrace import tracer
{setup}
with tracer.trace("warmup"):
    pass
handled = [0]
def handler(*args):
    with tracer.trace("in.handler"):
        handled[0] += 1
signal.signal(signal.SIGALRM, handler)
signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)
t0 = time.time()
n = 0
while time.time() - t0 < 2:
    with tracer.trace("main"):
        n += 1
signal.setitimer(signal.ITIMER_REAL, 0)
print(n, handled[0])
assert not _dd_errors, _dd_errors
"""


@pytest.mark.parametrize(
    "case",
    [
        "agent-down",  # every trace is dropped and counted
        "agent-up",  # the writer is woken often (a small queue)
        "sampling-rules",  # the rate limiter decides on every trace
    ],
)
def test_spans_in_a_signal_handler_interrupting_spans(case, agent_session):
    """The issue's reproduction: a 1 ms timer whose handler traces while the main
    thread traces in a loop (it hung forever with the agent down)."""
    env = python_env()
    setup = ""
    if case != "agent-down":
        env.update(agent_session.env())
        env["DD_TRACE_WRITER_BUFFER_SIZE_BYTES"] = str(1024 * 64)
    if case == "sampling-rules":
        env["DD_TRACE_SAMPLING_RULES"] = json.dumps([{"service": "*", "sample_rate": 1.0}])
        env["DD_TRACE_RATE_LIMIT"] = "1000000"
    out = check(run_python(SIGNAL_STORM.format(setup=setup), env=env, timeout=HANG))
    n, handled = map(int, out.split())
    assert n > 0 and handled > 0


# Raises the signal at every line the main thread runs in the code under test: the
# handler then runs exactly there, holding whatever that line holds. Deterministic,
# unlike a timer.
EVERY_LINE = """
import ddtrace.internal.logger as _dd_logger
_dd_errors = []
_dd_logger.internal_error_hooks.append(lambda e, what: _dd_errors.append("%s: %r" % (what, e)))
import os, signal, sys, threading, time
from ddtrace import tracer
FILES = {files!r}
busy = [False]
fired = [0]
handled = []

def handler(*args):
    busy[0] = True
    try:
        with tracer.trace("in.handler") as span:
            span.set_tag("n", len(handled))
        handled.append(1)
    finally:
        busy[0] = False

def tracefn(frame, event, arg):
    if busy[0]:
        return None
    if frame.f_code.co_filename.replace(os.sep, "/").endswith(FILES):
        if event == "line" and ({condition}):
            fired[0] += 1
            signal.raise_signal(signal.SIGUSR1)
        return tracefn
    return tracefn if event == "call" else None

signal.signal(signal.SIGUSR1, handler)
{before}
sys.settrace(tracefn)
for i in range({n}):
    {operation}
sys.settrace(None)
{after}
print(fired[0], len(handled))
assert not _dd_errors, _dd_errors
"""


def _every_line(agent_session, files, operation, n=20, before="", after="", env=None, condition="True"):
    base = python_env(**(env or {}))
    base.update(agent_session.env())
    code = EVERY_LINE.format(
        files=tuple(files),
        operation=operation,
        n=n,
        before=textwrap.dedent(before),
        after=textwrap.dedent(after),
        condition=condition,
    )
    out = check(run_python(code, env=base, timeout=HANG))
    fired, handled = map(int, out.split()[-2:])
    assert fired > 0 and handled == fired, out
    return out


def test_signal_at_every_line_of_the_writer_request_path(agent_session):
    """Span finish -> writer queue -> drop counting / wake-up / thread start, with the
    handler tracing at each of those lines (the writer's lock and its Event's
    condition lock deadlocked)."""
    _every_line(
        agent_session,
        ["ddtrace/internal/writer.py", "/threading.py"],
        operation="with tracer.trace('main'):\n        pass",
        n=200,
        # A queue of 2 spans: every other trace wakes the writer, the rest are dropped.
        env={"DD_TRACE_WRITER_BUFFER_SIZE_BYTES": "2048", "DD_TRACE_WRITER_INTERVAL_SECONDS": "3600"},
        after="tracer.flush()",
    )


def test_signal_at_every_line_of_the_sampler(agent_session):
    _every_line(
        agent_session,
        ["ddtrace/trace/sampler.py", "ddtrace/internal/rate_limiter.py", "ddtrace/trace/sampling_rule.py"],
        operation="with tracer.trace('main'):\n        pass",
        n=50,
        env={"DD_TRACE_SAMPLING_RULES": json.dumps([{"name": "main", "sample_rate": 1.0}])},
        after="tracer.flush()",
    )


def test_signal_while_the_application_starts_a_thread(agent_session):
    """The handler's span is the process's first trace, so it starts the writer thread,
    while the interrupted code is inside threading.Thread.start (holding threading's
    own lock, which the new thread needs)."""
    out = _every_line(
        agent_session,
        ["/threading.py"],
        operation="t = threading.Thread(target=lambda: None); t.start(); t.join()",
        n=1,
        # Only while the main thread holds threading's lock, and only once.
        condition="threading._active_limbo_lock._is_owned() and not fired[0]",
        after="tracer.flush()",
    )
    fired = int(out.split()[-2])
    spans = [s for s in _roots(agent_session.wait_for_traces(fired)) if s["name"] == "in.handler"]
    assert len(spans) == fired


# ---------------------------------------------------------------- the configuration's first load

FINALIZER = """
import ddtrace.internal.logger as _dd_logger
_dd_errors = []
_dd_logger.internal_error_hooks.append(lambda e, what: _dd_errors.append("%s: %r" % (what, e)))
import gc
from ddtrace import tracer, config

class Resource:
    def __init__(self):
        self.me = self  # a cycle: only the garbage collector frees it
    def __del__(self):
        during_load.append(not config.__dict__["_loaded"])
        with tracer.trace("finalizer.close"):
            pass

during_load = []

gc.set_threshold(50)  # collections often: one runs while the configuration loads
for _ in range(5):
    Resource()
with tracer.trace("main") as s:
    pass
print(s.service, config._trace_agent_url, config.env, sum(during_load))
tracer.flush()
assert not _dd_errors, _dd_errors
"""


def test_finalizer_tracing_during_the_configuration_load(agent_session):
    """The issue's reproduction: finalisers that trace run inside the first load of the
    configuration; the load must not fall back to the defaults (wrong service, wrong
    agent, nothing sent, no warning)."""
    env = python_env(DD_SERVICE="mysvc", DD_ENV="prod")
    env.update(agent_session.env())
    out = check(run_python(FINALIZER, env=env, timeout=HANG))
    service, url, denv, during_load = out.split()
    assert int(during_load) > 0, "no finaliser ran inside the load: the test proves nothing"
    assert [service, url, denv] == ["mysvc", agent_session.url, "prod"], out
    roots = _roots(agent_session.wait_for_traces(6, exact=False))
    names = sorted(s["name"] for s in roots)
    assert names.count("main") == 1 and names.count("finalizer.close") >= 1
    assert {s["service"] for s in roots} == {"mysvc"}
    assert {s["meta"].get("env") for s in roots} == {"prod"}


SIGNAL_DURING_LOAD = """
import ddtrace.internal.logger as _dd_logger
_dd_errors = []
_dd_logger.internal_error_hooks.append(lambda e, what: _dd_errors.append("%s: %r" % (what, e)))
import os, signal, sys
from ddtrace import tracer, config
handled = []
def handler(*args):
    with tracer.trace("in.handler"):
        handled.append(1)
signal.signal(signal.SIGUSR1, handler)
fired = []
def tracefn(frame, event, arg):
    if frame.f_code.co_filename.replace(os.sep, "/").endswith({target!r}):
        if event == "line" and len(fired) < 3:
            fired.append(1)
            signal.raise_signal(signal.SIGUSR1)
        return tracefn
    return tracefn if event == "call" else None
sys.settrace(tracefn)
with tracer.trace("main") as s:
    pass
sys.settrace(None)
print(len(fired), len(handled), s.service, config._trace_agent_url)
tracer.flush()
assert not _dd_errors, _dd_errors
"""


@pytest.mark.parametrize(
    "target", ["ddtrace/settings/_env.py", "ddtrace/settings/_config.py", "envier/env.py", "ddtrace/trace/sampler.py"]
)
def test_signal_handler_tracing_during_a_lazy_load(agent_session, target):
    """A handler that traces while the main thread is inside one of the tracer's first
    loads (the configuration, the sampler): the load completes with the real settings
    and the handler's traces are sent, with them, once it is done."""
    env = python_env(DD_SERVICE="mysvc")
    env.update(agent_session.env())
    out = check(run_python(SIGNAL_DURING_LOAD.format(target=target), env=env, timeout=HANG))
    fired, handled, service, url = out.split()
    assert int(fired) == int(handled) > 0, out
    assert (service, url) == ("mysvc", agent_session.url), out
    roots = _roots(agent_session.wait_for_traces(1 + int(handled)))
    assert {s["service"] for s in roots} == {"mysvc"}
    assert sorted(s["name"] for s in roots) == ["in.handler"] * int(handled) + ["main"]


def test_no_report_when_config_is_read_inside_its_own_load(internal_errors):
    """Unit level: a nested read during the load gets a stand-in, stores nothing."""
    from ddtrace.settings._config import Config

    cfg = Config(environ={"DD_SERVICE": "svc"})
    seen = []

    def nested():
        seen.append((cfg.service, cfg._loaded))

    original = cfg._read

    def read():
        nested()
        original()

    cfg._read = read
    assert cfg.service == "svc"
    assert seen == [(None, False)]
    assert cfg._sources()["service"] == ("svc", "env")

