"""The writer against agents that misbehave, and settings that cannot work.

Whatever the agent answers (or however slowly), the writer keeps running, every
trace ends up counted as sent or dropped, and the next traces still go. A request
never takes longer than ``DD_TRACE_AGENT_TIMEOUT_SECONDS`` (plus the retries). A
numeric setting outside its documented range gets one warning and the default.
"""
import json
import re
import socket
import threading
import time

import pytest

from ddtrace.internal.writer import AgentWriter
from ddtrace.settings._config import Config
from ddtrace.trace import Tracer
from tests.contrib.kit import check
from tests.contrib.kit import python_env
from tests.contrib.kit import run_python

HANG = 30


class RawAgent:
    """A TCP server on 127.0.0.1 answering each request with ``answer(body)``: raw
    bytes, or a callable that writes to the socket itself. Connections are closed
    after each answer."""

    def __init__(self, answer):
        self.answer = answer
        self.bodies = []
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._closed = threading.Event()
        self.url = "http://127.0.0.1:%d" % self._sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self._closed.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn):
        try:
            conn.settimeout(HANG)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            m = re.search(rb"content-length:\s*(\d+)", head, re.I)
            length = int(m.group(1)) if m else 0
            while len(body) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                body += chunk
            self.bodies.append(body)
            answer = self.answer(body)
            if callable(answer):
                answer(conn, self._closed)
            else:
                conn.sendall(answer)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self._closed.set()
        self._sock.close()


@pytest.fixture
def raw_agent():
    agents = []

    def make(answer):
        agent = RawAgent(answer)
        agents.append(agent)
        return agent

    yield make
    for agent in agents:
        agent.close()


def ok(body=b'{"rate_by_service": {}}', extra=b""):
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n%s\r\n%s" % (len(body), extra, body)


def _flush_bounded(writer):
    """flush_queue() in a thread, failing the test if it has not returned in HANG s."""
    t = threading.Thread(target=writer.flush_queue, daemon=True)
    t.start()
    t.join(HANG)
    assert not t.is_alive(), "the writer's flush hung"


def _traced(tracer, name):
    with tracer.trace(name):
        pass


def _drip(head, body=b""):
    """Write ``head`` then ``body`` a byte every 0.3 s (less than the timeout each)."""

    def write(conn, closed):
        conn.sendall(head)
        for i in range(len(body)):
            if closed.wait(0.3):
                return
            conn.sendall(body[i : i + 1])

    return write


@pytest.mark.parametrize(
    "drip",
    [
        _drip(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", b"x" * 100),  # the case
        _drip(b"", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}" * 3),  # even the status line
    ],
    ids=["body", "status-line"],
)
def test_slow_drip_agent_is_bounded_by_the_timeout(raw_agent, drip):
    """Each read gets a byte before the timeout; the whole request must not outlast it."""
    agent = raw_agent(lambda body: drip if b"slow" in body else ok())
    writer = AgentWriter(agent_url=agent.url, timeout=1, interval=3600, headers={})
    tracer = Tracer()
    tracer.configure(writer=writer)
    _traced(tracer, "slow")
    _flush_bounded(writer)
    stats = writer.stats()
    assert stats["sent_traces"] == 0 and stats["dropped_traces"] == {"send_failed": 1}
    _traced(tracer, "next")
    _flush_bounded(writer)
    assert writer.stats()["sent_traces"] == 1
    writer.stop(timeout=HANG)


NESTED = b'{"rate_by_service":' + b"[" * 100000
NESTED_DICT = b'{"a":' * 100000

# (answer, whether the traces count as sent: the agent took them)
HOSTILE = {
    "nested-json": (ok(NESTED), True),
    "nested-json-objects": (ok(NESTED_DICT), True),
    "not-json": (ok(b"<html>hello</html>"), True),
    "json-array": (ok(b"[1, 2, 3]"), True),
    "rates-not-object": (ok(b'{"rate_by_service": "all"}'), True),
    "rates-garbage": (ok(b'{"rate_by_service": {"service:,env:": 1e999, "a": null, "b": -1, "c": "0.5", "": [1]}}'), True),
    "huge-body": (ok(b" " * (3 << 20)), True),
    "binary-reason": (b"HTTP/1.1 200 \x00\xff\xfe\r\nContent-Length: 2\r\n\r\n{}", True),
    "bad-content-length": (b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n{}", True),
    "negative-content-length": (b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n{}", True),
    "bad-chunks": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", False),
    "short-body": (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", True),  # 200 all the same
    "bad-status-line": (b"HTTP/1.1 abc OK\r\n\r\n", False),
    "not-http": (b"SSH-2.0-OpenSSH_9.6\r\n", False),
    "no-answer": (b"", False),
    "continue-then-nothing": (b"HTTP/1.1 100 Continue\r\n\r\n", False),
    "header-too-long": (b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n", False),
    "too-many-headers": (b"HTTP/1.1 200 OK\r\n" + b"X-H: 1\r\n" * 150 + b"\r\n", False),
    "status-999": (b"HTTP/1.1 999 Nope\r\nContent-Length: 0\r\n\r\n", False),
    "status-429": (b"HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n", False),
    "status-404-everywhere": (b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", False),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_answers_leave_the_writer_running_and_count_every_trace(raw_agent, case):
    answer, sent = HOSTILE[case]
    agent = raw_agent(lambda body: answer if b"hostile" in body else ok())
    writer = AgentWriter(agent_url=agent.url, timeout=5, interval=0.01, headers={})
    tracer = Tracer()
    tracer.configure(writer=writer)
    try:
        for _ in range(3):
            _traced(tracer, "hostile")
        _flush_bounded(writer)
        stats = writer.stats()
        counted = stats["sent_traces"] + sum(stats["dropped_traces"].values())
        assert counted == 3, stats
        assert stats["sent_traces"] == (3 if sent else 0), stats
        # The writer's own thread is alive and sends what comes next.
        assert writer._thread is not None and writer._thread.is_alive()
        _traced(tracer, "after")
        deadline = time.monotonic() + HANG
        while writer.stats()["sent_traces"] < (4 if sent else 1):
            assert time.monotonic() < deadline, writer.stats()
            time.sleep(0.01)
    finally:
        writer.stop(timeout=HANG)


# ---------------------------------------------------------------- settings out of range

OUT_OF_RANGE = {
    "DD_TRACE_WRITER_INTERVAL_SECONDS": ("1e10", "_trace_writer_interval_seconds", 1.0),
    "DD_TRACE_AGENT_TIMEOUT_SECONDS": ("1e10", "_agent_timeout_seconds", 2.0),
    "DD_TRACE_WRITER_BUFFER_SIZE_BYTES": ("99999999999999999999999", "_trace_writer_buffer_size", 20 << 20),
    "DD_TRACE_WRITER_MAX_PAYLOAD_SIZE_BYTES": ("99999999999999999999999", "_trace_writer_payload_size", 20 << 20),
    "DD_TRACE_PARTIAL_FLUSH_MIN_SPANS": ("99999999999999999999999", "_partial_flush_min_spans", 300),
}


@pytest.mark.parametrize("variable", sorted(OUT_OF_RANGE))
def test_out_of_range_setting_warns_and_uses_the_default(variable, caplog):
    raw, attr, default = OUT_OF_RANGE[variable]
    cfg = Config(environ={variable: raw})
    with caplog.at_level("WARNING", logger="ddtrace.settings"):
        assert getattr(cfg, attr) == default
    warnings = [r.getMessage() for r in caplog.records if variable in r.getMessage()]
    assert len(warnings) == 1 and "using the default" in warnings[0], warnings


SEND_ONE = """
from ddtrace import tracer
with tracer.trace("one"):
    pass
tracer.flush()
stats = tracer._writer.stats()
print(stats["sent_traces"], stats["dropped_traces"])
"""


@pytest.mark.parametrize("variable", sorted(OUT_OF_RANGE))
def test_out_of_range_setting_still_sends(variable, agent_session):
    """The issue's values: each used to kill the writer thread or lose every trace."""
    env = python_env(**{variable: OUT_OF_RANGE[variable][0]})
    env.update(agent_session.env())
    proc = run_python(SEND_ONE, env=env, timeout=HANG * 2)
    assert check(proc).split()[0] == "1", proc.stderr
    assert [line for line in proc.stderr.splitlines() if variable in line], proc.stderr
    assert len(agent_session.wait_for_traces(1)) == 1


@pytest.mark.parametrize(
    "kwargs",
    [{"interval": 1e10}, {"timeout": 1e10}, {"timeout": 0}, {"buffer_size": 10**23}, {"max_payload_size": 10**23}],
)
def test_out_of_range_writer_arguments(kwargs, caplog):
    with caplog.at_level("WARNING", logger="ddtrace.internal.writer"):
        writer = AgentWriter(agent_url="http://127.0.0.1:1", **kwargs)
    (name,) = kwargs
    assert getattr(writer, "_" + name) == {
        "interval": 1.0,
        "timeout": 2.0,
        "buffer_size": 20 << 20,
        "max_payload_size": 20 << 20,
    }[name]
    assert any("invalid AgentWriter %s" % name in r.getMessage() for r in caplog.records)


# ---------------------------------------------------------------- the drop summary at exit

MANY_DROPS = """
import time
from ddtrace import tracer
written = 0
for batch in range(4):
    for i in range(3000):
        with tracer.trace("dropped"):
            pass
        written += 1
    time.sleep(0.3)  # the writer reports once; later reports fall under the log rate limit
print(written)
"""


def test_exit_summary_shows_the_true_totals():
    """Agent down: every trace is dropped, and the last line says how many in all (the
    per-call-site log limit swallowed it, leaving an earlier, partial count last)."""
    env = python_env(DD_TRACE_WRITER_INTERVAL_SECONDS="0.05", DD_TRACE_WRITER_BUFFER_SIZE_BYTES=str(1 << 20))
    proc = run_python(MANY_DROPS, env=env, timeout=HANG * 2)
    written = int(check(proc))
    reports = [line for line in proc.stderr.splitlines() if "not sent to the Datadog Agent" in line]
    assert len(reports) >= 2, proc.stderr  # a periodic report, then the summary
    last = re.search(r"in all, dropped (\d+) trace\(s\) \((\d+) spans\)", reports[-1])
    assert last, reports[-1]
    assert int(last.group(1)) == int(last.group(2)) == written, reports


def test_no_second_summary_when_one_report_said_it_all():
    env = python_env()
    proc = run_python("from ddtrace import tracer\ntracer.trace('x').finish()\ntracer.flush()\n", env=env)
    check(proc)
    reports = [line for line in proc.stderr.splitlines() if "not sent to the Datadog Agent" in line]
    assert len(reports) == 1, proc.stderr


def test_redacted_agent_url_in_drop_warnings_and_startup_logs():
    env = python_env(DD_TRACE_STARTUP_LOGS="true")
    env["DD_TRACE_AGENT_URL"] = env["DD_TRACE_AGENT_URL"].replace("http://", "http://user:s3cret@")
    proc = run_python("from ddtrace import tracer\ntracer.trace('x').finish()\ntracer.flush()\n", env=env)
    check(proc)
    assert "s3cret" not in proc.stderr and "user" not in proc.stderr, proc.stderr
    assert "http://***@127.0.0.1:" in proc.stderr
    startup = [line for line in proc.stderr.splitlines() if "DATADOG TRACER CONFIGURATION" in line]
    assert startup and json.loads(startup[0].split(" - ", 1)[1])["agent_url"].startswith("http://***@")
