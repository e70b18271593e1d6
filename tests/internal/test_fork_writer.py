"""The writer across fork: each process sends its own traces, nothing deadlocks."""
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request

import pytest

from ddtrace.internal.writer import AgentWriter
from ddtrace.trace import Tracer

pytestmark = [
    pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork"),
    # Forking a process that has threads is what these tests are about (3.12+ warns).
    pytest.mark.filterwarnings("ignore:.*multi-threaded.*fork:DeprecationWarning"),
]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HANG = 30


def wait_child(pid, timeout=HANG):
    """Exit code of child ``pid``; kills it and fails if it has not exited in time (it hung)."""
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail("forked child %d hung" % pid)


def in_child(fn):
    """Fork; run ``fn`` in the child and leave with 0 if it returned True, else 1."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = 0 if fn() else 1
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            os._exit(code)
    return pid


def roots(traces):
    return {s["name"]: s for t in traces for s in t if s["parent_id"] == 0}


def test_child_and_parent_each_send_their_own(agent_session):
    tracer = agent_session.tracer(interval=3600)
    with tracer.trace("parent.before"):
        pass  # queued in the parent, not sent yet

    def child():
        with tracer.trace("child"):
            pass
        tracer.flush()
        stats = tracer._writer.stats()
        return stats["sent_traces"] == 1 and stats["dropped_traces"] == {}

    pid = in_child(child)
    assert wait_child(pid) == 0
    with tracer.trace("parent.after"):
        pass
    tracer.flush()
    got = roots(agent_session.wait_for_traces(3))
    assert set(got) == {"parent.before", "child", "parent.after"}
    assert got["parent.before"]["metrics"]["process_id"] == os.getpid()
    assert got["parent.after"]["metrics"]["process_id"] == os.getpid()
    assert got["child"]["metrics"]["process_id"] == pid
    assert got["child"]["meta"]["runtime-id"] != got["parent.after"]["meta"]["runtime-id"]


def test_child_restarts_the_thread_lazily(agent_session):
    tracer = agent_session.tracer(interval=0.01)
    with tracer.trace("parent"):
        pass
    assert agent_session.wait_for_traces(1)
    writer = tracer._writer

    def child():
        if writer._thread is not None:
            return False  # reset by the fork hook, nothing started yet
        with tracer.trace("child.background"):
            pass
        deadline = time.monotonic() + HANG
        while writer.stats()["sent_traces"] < 1 and time.monotonic() < deadline:
            time.sleep(0.01)  # sent by the child's own new thread, without a flush
        return writer._thread is not None and writer.stats()["sent_traces"] == 1

    assert wait_child(in_child(child)) == 0
    assert set(roots(agent_session.wait_for_traces(2))) == {"parent", "child.background"}


def test_fork_while_another_thread_holds_the_writer_locks(agent_session):
    tracer = agent_session.tracer(interval=3600)
    writer = tracer._writer
    with tracer.trace("parent"):
        pass
    tracer.flush()  # the send lock exists from the first send on
    held = threading.Event()
    release = threading.Event()

    def hold():
        with writer._send_lock, writer._lock:
            held.set()
            release.wait(HANG)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert held.wait(HANG)
    try:

        def child():
            with tracer.trace("child"):
                pass  # needs the writer's lock
            tracer.flush()  # needs the send lock
            return writer.stats()["sent_traces"] == 1

        # Inheriting the held locks would hang the child: wait_child fails after HANG.
        assert wait_child(in_child(child)) == 0
    finally:
        release.set()
        holder.join()
    tracer.flush()
    assert set(roots(agent_session.wait_for_traces(2))) == {"parent", "child"}


C_FORK_PROGRAM = """
import ctypes, os, sys
from ddtrace.internal import writer as writer_module
from ddtrace.internal.writer import AgentWriter
from ddtrace.trace import Tracer

libc_fork = ctypes.CDLL(None, use_errno=True).fork
tracer = Tracer()
# Wakes at 2 queued spans.
writer = AgentWriter(interval=3600, buffer_size=writer_module.SPAN_SIZE_ESTIMATE * 4)
tracer.configure(writer=writer)
with tracer.trace("parent"):
    pass

pid = libc_fork()
if pid == 0:
    code = 1
    try:
        # No Python at-fork hook ran, but libc's did (pthread_atfork): the first span
        # notices the fork, and the queue drops the parent's "parent" before "first"
        # joins it. Ids, pid and runtime id are the child's own.
        for name in ("first", "kept1", "kept2", "kept3"):
            with tracer.trace(name):
                pass
        tracer.flush()
        code = 0 if writer.stats()["sent_traces"] == 4 else 3
    finally:
        os._exit(code)
_, status = os.waitpid(pid, 0)
tracer.flush()
sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="libc fork via ctypes")
def test_fork_that_skips_the_at_fork_hooks(agent_session):
    """A C-level fork (no Python at-fork hooks, like some servers do) still recovers.

    Run in a fresh interpreter: a raw fork copies every lock another thread holds at
    that moment, and this test process has many threads (earlier tests' writers...).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DD_", "_DD_"))}
    env.update(agent_session.env())
    env["PYTHONPATH"] = ROOT
    proc = subprocess.run([sys.executable, "-c", C_FORK_PROGRAM], env=env, capture_output=True, text=True, timeout=HANG * 2)
    assert proc.returncode == 0, proc.stderr
    got = roots(agent_session.wait_for_traces(5))
    assert sorted(got) == ["first", "kept1", "kept2", "kept3", "parent"]
    child_pids = {got[n]["metrics"]["process_id"] for n in ("first", "kept1", "kept2", "kept3")}
    assert len(child_pids) == 1 and got["parent"]["metrics"]["process_id"] not in child_pids
    assert got["first"]["meta"]["runtime-id"] != got["parent"]["meta"]["runtime-id"]


def test_fork_waits_while_the_writer_imports():
    """A fork in the middle of the writer's imports would leave half-imported modules
    (http.client, logging...) in the child, breaking them there for good."""
    from ddtrace.internal import lazy

    released = []
    holding = threading.Event()

    def importer():
        with lazy.loading():  # what _load_sending_modules runs in
            holding.set()
            time.sleep(0.2)
            released.append(True)

    t = threading.Thread(target=importer)
    t.start()
    assert holding.wait(HANG)
    pid = in_child(lambda: released == [True])
    assert released == [True], "fork returned while the import was still running"
    t.join()
    assert wait_child(pid) == 0


def test_fork_while_the_writer_thread_is_sending(agent_session, fake_agent):
    """Fork while the parent's writer thread is inside a request; the child is unaffected."""
    release = threading.Event()
    entered = threading.Event()

    def respond(request):
        entered.set()
        release.wait(HANG)
        return 200, {}

    slow = fake_agent(respond)
    tracer = Tracer()
    writer = AgentWriter(agent_url=slow.url, interval=0.001, timeout=HANG * 2, headers={})
    tracer.configure(writer=writer)
    try:
        with tracer.trace("parent.stuck"):
            pass
        assert entered.wait(HANG)

        def child():
            # The child talks to the real agent: a new writer, as a reconfigured child would.
            tracer.configure(writer=AgentWriter(agent_url=agent_session.url, headers=agent_session.headers))
            with tracer.trace("child"):
                pass
            tracer.flush()
            return tracer._writer.stats()["sent_traces"] == 1

        assert wait_child(in_child(child)) == 0
    finally:
        release.set()
        writer.stop(timeout=HANG)
    assert set(roots(agent_session.wait_for_traces(1))) == {"child"}
    assert [tr[0]["name"] for tr in slow.traces()] == ["parent.stuck"]


# ---------------------------------------------------------------- multiprocessing

_MP_TRACER = None


def _mp_child_inherited(name):
    # Fork start method: the tracer and its writer come from the parent. No flush here:
    # the child leaves through os._exit, so only the writer's exit hook can send this.
    with _MP_TRACER.trace(name):
        pass


def _mp_child_default_tracer(name):
    # Spawn start method: a fresh interpreter whose default tracer is configured from
    # the environment; its trace leaves at interpreter exit.
    from ddtrace.trace import tracer

    with tracer.trace(name):
        pass


def test_multiprocessing_fork(agent_session):
    global _MP_TRACER
    _MP_TRACER = agent_session.tracer(interval=3600)
    with _MP_TRACER.trace("parent"):
        pass
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_mp_child_inherited, args=("child%d" % i,)) for i in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(HANG)
        assert p.exitcode == 0
    _MP_TRACER.flush()
    got = roots(agent_session.wait_for_traces(3))
    assert set(got) == {"parent", "child0", "child1"}
    assert {got["child0"]["metrics"]["process_id"], got["child1"]["metrics"]["process_id"]} == {p.pid for p in procs}
    assert got["parent"]["metrics"]["process_id"] == os.getpid()


def test_multiprocessing_spawn(agent_session, monkeypatch):
    for k, v in agent_session.env().items():
        monkeypatch.setenv(k, v)
    ctx = multiprocessing.get_context("spawn")
    p = ctx.Process(target=_mp_child_default_tracer, args=("spawned",))
    p.start()
    p.join(HANG * 2)
    assert p.exitcode == 0
    got = roots(agent_session.wait_for_traces(1))
    assert got["spawned"]["metrics"]["process_id"] == p.pid


# ---------------------------------------------------------------- gunicorn

APP = """
import os
import time

from ddtrace.trace import tracer

# With --preload this runs once, in the master, before the workers are forked.
with tracer.trace("preload", service="gunicorn-app"):
    pass


def app(environ, start_response):
    with tracer.trace("request", service="gunicorn-app", resource=environ["PATH_INFO"]):
        with tracer.trace("work"):
            time.sleep(0.02)  # keeps a worker busy so the other one takes requests too
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
"""


def test_gunicorn_workers_send_their_own_traces(agent_session, tmp_path):
    pytest.importorskip("gunicorn")
    import socket

    (tmp_path / "app.py").write_text(textwrap.dedent(APP))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DD_", "_DD_"))}
    env.update(agent_session.env())
    env["PYTHONPATH"] = ROOT
    env["DD_TRACE_DEBUG"] = "true"  # the writer's log ends up in the failure report
    cmd = [sys.executable, "-m", "gunicorn", "--preload", "-w", "2", "-b", "127.0.0.1:%d" % port]
    cmd += ["--chdir", str(tmp_path), "--graceful-timeout", "10"]
    from gunicorn import config as gunicorn_config

    if any("--no-control-socket" in (s.cli or []) for s in gunicorn_config.KNOWN_SETTINGS):
        cmd.append("--no-control-socket")  # gunicorn >= 24 would leave one in ~/.gunicorn
    cmd.append("app:app")
    log = open(tmp_path / "gunicorn.log", "wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(tmp_path))
    try:
        url = "http://127.0.0.1:%d" % port
        give_up = time.monotonic() + HANG
        pids = []
        lock = threading.Lock()

        def get(path):
            with urllib.request.urlopen(url + path, timeout=HANG) as resp:
                pid = int(resp.read())
            with lock:
                pids.append(pid)

        while True:  # wait for it to serve
            try:
                get("/ready")
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "gunicorn.log").read_text()
                assert time.monotonic() < give_up, "gunicorn did not start"
                time.sleep(0.1)
        n = 1
        while len(set(pids)) < 2:
            assert time.monotonic() < give_up, "only one worker answered: %r" % (set(pids),)
            threads = [threading.Thread(target=get, args=("/r%d" % (n + i),)) for i in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(HANG)
            n += 8
        # Workers send on their own (1 s interval): wait for every request's trace.
        try:
            traces = agent_session.wait_for_traces(1 + n, timeout=HANG)
        except BaseException:
            log.flush()
            print((tmp_path / "gunicorn.log").read_text())
            raise
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(HANG)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
    requests = [s for t in traces for s in t if s["name"] == "request"]
    preload = [s for t in traces for s in t if s["name"] == "preload"]
    assert len(requests) == n and len(preload) == 1
    assert preload[0]["metrics"]["process_id"] == proc.pid
    worker_pids = {s["metrics"]["process_id"] for s in requests}
    assert worker_pids == set(pids) and len(worker_pids) == 2 and proc.pid not in worker_pids
    runtime_ids = {}
    for s in requests:
        runtime_ids.setdefault(s["metrics"]["process_id"], set()).add(s["meta"]["runtime-id"])
    assert all(len(ids) == 1 for ids in runtime_ids.values())
    assert len({next(iter(ids)) for ids in runtime_ids.values()} | {preload[0]["meta"]["runtime-id"]}) == 3


SIBLINGS_PROGRAM = """
import ctypes, os, sys
from ddtrace.trace import Tracer
from ddtrace.internal.writer import InMemoryWriter

libc_fork = ctypes.CDLL(None, use_errno=True).fork
tracer = Tracer()
tracer.configure(writer=InMemoryWriter())
tracer.trace("parent").finish()
r, w = os.pipe()
pids = []
for _ in range(2):
    pid = libc_fork()
    if pid == 0:
        ids = []
        for _ in range(50):
            with tracer.trace("child") as span:
                ids.append(span.span_id)
        line = "%d %s %s\\n" % (os.getpid(), tracer._aggregator.runtime_id, " ".join(map(str, ids)))
        os.write(w, line.encode())
        os._exit(0)
    pids.append(pid)
for pid in pids:
    os.waitpid(pid, 0)
os.close(w)
print(os.fdopen(r).read(), end="")
print("parent %d %s" % (os.getpid(), tracer._aggregator.runtime_id))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="libc fork via ctypes")
def test_children_of_a_fork_that_skips_the_hooks_get_their_own_ids():
    """Two siblings forked in C (as uWSGI forks its workers) must not draw the same
    span ids from the parent's generator, nor share its runtime id."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DD_", "_DD_"))}
    env["PYTHONPATH"] = ROOT
    proc = subprocess.run([sys.executable, "-c", SIBLINGS_PROGRAM], env=env, capture_output=True, text=True, timeout=HANG)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    parent = lines[-1].split()
    children = [line.split() for line in lines[:-1]]
    assert len(children) == 2
    (pid1, rid1, *ids1), (pid2, rid2, *ids2) = children
    assert len(set(ids1) | set(ids2)) == 100
    assert len({rid1, rid2, parent[2]}) == 3
