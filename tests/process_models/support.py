"""Running real servers and workers against the test agent, and counting what arrives.

Every scenario writes its application into a temporary directory, starts the server
with ``DD_TRACE_AGENT_URL`` pointing at the suite's test agent (its own session token),
sends requests, stops the server gracefully, and then checks the agent received each
expected trace exactly once. Waits are bounded: a server that does not start, answer,
or stop in time fails the test (and is killed, by its PID).
"""
import collections
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
HANG = 60

#: A WSGI application. Each process that imports it records its pid in imports.log
#: and traces "app.import" (so a --preload master traces once, each worker otherwise);
#: each request traces "request" (resource: the path) with a child "work" span.
WSGI_APP = '''
import os, time
from ddtrace import tracer

with tracer.trace("app.import", service="pm-app"):
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "imports.log"), "a") as f:
        f.write("%d\\n" % os.getpid())


def app(environ, start_response):
    with tracer.trace("request", service="pm-app", resource=environ["PATH_INFO"]):
        with tracer.trace("work"):
            time.sleep(0.002)
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


application = app
'''


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(agent_session, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DD_", "_DD_"))}
    env.update(agent_session.env())
    env["PYTHONPATH"] = ROOT
    env["DD_SERVICE"] = "pm-app"
    env.update(extra)
    return env


class Server:
    """A server process (its own process group), its log, and bounded waits."""

    def __init__(self, cmd, env, cwd, port):
        self.cwd = cwd
        self.port = port
        self.log_path = os.path.join(cwd, "server.log")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            cmd, env=env, cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def log(self):
        if not self._log.closed:
            self._log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def get(self, path, timeout=HANG):
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.port, path), timeout=timeout) as resp:
            return int(resp.read())

    def wait_until_serving(self, timeout=HANG):
        """The pid that answered the first successful GET /ready."""
        give_up = time.monotonic() + timeout
        while True:
            try:
                return self.get("/ready", timeout=5)
            except OSError:
                if self.proc.poll() is not None:
                    pytest.fail("the server exited (%s) before serving:\n%s" % (self.proc.returncode, self.log()))
                if time.monotonic() > give_up:
                    self.kill()
                    pytest.fail("the server did not serve within %ds:\n%s" % (timeout, self.log()))
                time.sleep(0.1)

    def requests(self, paths, concurrency=4):
        """GET every path (``concurrency`` at a time); returns {path: pid that answered}."""
        answered = {}
        errors = []
        lock = threading.Lock()
        queue = collections.deque(paths)

        def worker():
            while True:
                with lock:
                    if not queue:
                        return
                    path = queue.popleft()
                try:
                    pid = self.get(path)
                except Exception as e:  # reported below, with the server's log
                    with lock:
                        errors.append("%s: %r" % (path, e))
                    continue
                with lock:
                    answered[path] = pid

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(HANG)
            if t.is_alive():
                self.kill()
                pytest.fail("requests hung:\n%s" % self.log())
        if errors:
            pytest.fail("requests failed: %s\n%s" % (errors[:5], self.log()))
        return answered

    def stop(self, sig=signal.SIGTERM, timeout=HANG):
        """Ask the server to stop; fail (after killing it) if it has not exited in time."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail("the server did not stop within %ds (hung at shutdown):\n%s" % (timeout, self.log()))
        finally:
            self._log.close()
        return self.proc.returncode

    def kill(self):
        # The whole process group: the server's own workers, nothing else.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass


def imports_pids(cwd):
    path = os.path.join(cwd, "imports.log")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [int(line) for line in f if line.strip()]


def _summary(traces):
    out = collections.Counter()
    for trace in traces:
        for s in trace:
            if s["parent_id"] == 0:
                out[(s["name"], s["resource"], s["metrics"].get("process_id"))] += 1
    return sorted(out.items())


def traces_by_root(agent_session, expected, timeout=HANG):
    """Wait until ``expected`` traces arrived (fails on fewer after ``timeout``, or on
    more: every process has exited by then, so nothing is still on its way); returns
    the local root spans, checking each trace id arrived once."""
    give_up = time.monotonic() + timeout
    while True:
        traces = agent_session.traces()
        if len(traces) >= expected or time.monotonic() > give_up:
            break
        time.sleep(0.1)
    if len(traces) != expected:
        pytest.fail("expected %d trace(s) at the test agent, got %d: %r" % (expected, len(traces), _summary(traces)))
    roots = []
    for trace in traces:
        trace_roots = [s for s in trace if s["parent_id"] == 0]
        assert len(trace_roots) == 1, trace
        roots.append(trace_roots[0])
    ids = collections.Counter(r["trace_id"] for r in roots)
    dups = [i for i, n in ids.items() if n > 1]
    assert not dups, "traces sent more than once: %r" % dups
    return roots


def check_web_traces(agent_session, answered, cwd, preload_pid=None, timeout=HANG):
    """Every request's trace, and one app.import trace per process that imported the app,
    each exactly once, from the process that produced it."""
    importers = imports_pids(cwd)
    assert len(importers) == len(set(importers)), "a process imported the app twice: %r" % importers
    if preload_pid is not None:
        assert importers == [preload_pid], importers
    roots = traces_by_root(agent_session, len(answered) + len(importers), timeout=timeout)
    requests = {r["resource"]: r for r in roots if r["name"] == "request"}
    imports = [r for r in roots if r["name"] == "app.import"]
    assert sorted(requests) == sorted(answered)
    for path, pid in answered.items():
        assert requests[path]["metrics"]["process_id"] == pid, (path, requests[path]["metrics"], pid)
    assert sorted(r["metrics"]["process_id"] for r in imports) == sorted(importers)
    # One runtime id per process, different between processes.
    runtime_ids = collections.defaultdict(set)
    for r in roots:
        runtime_ids[r["metrics"]["process_id"]].add(r["meta"]["runtime-id"])
    assert all(len(ids) == 1 for ids in runtime_ids.values()), runtime_ids
    assert len({next(iter(ids)) for ids in runtime_ids.values()}) == len(runtime_ids)
    return roots
