"""AgentWriter against a local fake agent: protocol, retries, drops, bounds, threads."""
import sys
import threading

import pytest

from ddtrace.internal import writer as writer_module
from ddtrace.internal.writer import AgentWriter
from ddtrace.internal.writer import create_default_writer
from ddtrace.settings import config
from ddtrace.trace import Tracer
from ddtrace.version import __version__

# Generous: a test that needs it has hung, which is the failure being tested for.
HANG = 30


def make_writer(url, **kwargs):
    kwargs.setdefault("interval", 3600)  # only explicit flushes send, unless a test wants the thread
    kwargs.setdefault("timeout", 5)
    kwargs.setdefault("headers", {})
    return AgentWriter(agent_url=url, **kwargs)


@pytest.fixture
def writers():
    made = []

    def make(url, **kwargs):
        w = make_writer(url, **kwargs)
        made.append(w)
        return w

    yield make
    for w in made:
        w.stop(timeout=5)


@pytest.fixture
def no_log_rate_limit(monkeypatch):
    from ddtrace.internal import logger

    monkeypatch.setattr(logger, "RATE_LIMIT_SECONDS", 0)


def tracer_with(writer):
    t = Tracer()
    t.configure(writer=writer)
    return t


def make_trace(tracer, name="op", children=0, service="svc"):
    with tracer.trace(name, service=service) as root:
        for i in range(children):
            with tracer.trace("%s.child%d" % (name, i)):
                pass
    return root


def run_bounded(fn, *args):
    """Run ``fn`` on a thread; fail if it does not return within HANG seconds (it hung)."""
    result = {}

    def target():
        try:
            result["value"] = fn(*args)
        except BaseException as e:  # pragma: no cover - reported below
            result["error"] = e

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(HANG)
    assert not t.is_alive(), "%r blocked" % (fn,)
    if "error" in result:
        raise result["error"]
    return result.get("value")


def closed_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- construction


def test_default_writer_is_an_agent_writer_from_config(monkeypatch):
    monkeypatch.setattr(config, "_trace_agent_url", "http://agent.example:1234")
    monkeypatch.setattr(config, "_trace_api", "v0.4")
    monkeypatch.setattr(config, "_agent_timeout_seconds", 7.5)
    monkeypatch.setattr(config, "_trace_writer_interval_seconds", 0.25)
    w = create_default_writer()
    assert isinstance(w, AgentWriter)
    assert w._agent_url == "http://agent.example:1234"
    assert w._api_version == "v0.4"
    assert w._timeout == 7.5 and w._interval == 0.25
    assert w._buffer_size == config._trace_writer_buffer_size
    assert w._max_payload_size == config._trace_writer_payload_size


def test_no_thread_before_the_first_write(fake_agent):
    agent = fake_agent()
    before = set(threading.enumerate())
    w = make_writer(agent.url)
    assert w._thread is None
    assert set(threading.enumerate()) == before
    tracer_with(w)
    assert set(threading.enumerate()) == before
    w.stop()


def test_thread_starts_on_first_write_and_is_daemon(fake_agent, writers):
    agent = fake_agent()
    w = writers(agent.url)
    make_trace(tracer_with(w))
    assert isinstance(w._thread, threading.Thread)
    assert w._thread.daemon and w._thread.is_alive()


def test_invalid_settings_fall_back_to_config(fake_agent):
    agent = fake_agent()
    w = AgentWriter(agent_url=agent.url, api_version="v9", buffer_size="lots", timeout=-1, interval="x")
    assert w._api_version == "v0.5"
    assert w._buffer_size == config._trace_writer_buffer_size
    assert w._timeout == config._agent_timeout_seconds
    assert w._interval == config._trace_writer_interval_seconds


def test_additional_headers_from_environment(monkeypatch, fake_agent, writers):
    monkeypatch.setenv(writer_module.ADDITIONAL_HEADERS_ENV, "X-One: 1, X-Two:b:c,broken")
    agent = fake_agent()
    w = AgentWriter(agent_url=agent.url, interval=3600)
    make_trace(tracer_with(w))
    w.flush_queue()
    w.stop()
    (req,) = agent.requests
    assert req.header("X-One") == "1" and req.header("X-Two") == "b:c"


def test_recreate_keeps_the_arguments(fake_agent):
    w = make_writer("http://127.0.0.1:1", api_version="v0.4", buffer_size=1 << 16)
    w2 = w.recreate()
    assert w2 is not w and isinstance(w2, AgentWriter)
    assert (w2._agent_url, w2._api_version, w2._buffer_size) == ("http://127.0.0.1:1", "v0.4", 1 << 16)


# ---------------------------------------------------------------- protocol


@pytest.mark.parametrize("api", ["v0.4", "v0.5"])
def test_payload_path_headers_and_content(api, fake_agent, writers):
    agent = fake_agent()
    w = writers(agent.url, api_version=api, headers={"X-Extra": "yes"})
    t = tracer_with(w)
    roots = [make_trace(t, "op%d" % i, children=2) for i in range(3)]
    t.flush()
    (req,) = agent.requests
    assert req.method == "PUT" and req.path == "/%s/traces" % api
    assert req.header("Content-Type") == "application/msgpack"
    assert req.header("X-Datadog-Trace-Count") == "3"
    assert req.header("Datadog-Meta-Lang") == "python"
    assert req.header("Datadog-Meta-Lang-Version") == "%d.%d.%d" % sys.version_info[:3]
    assert req.header("Datadog-Meta-Lang-Interpreter") == "CPython"
    assert req.header("Datadog-Meta-Tracer-Version") == __version__
    assert req.header("Datadog-Client-Computed-Top-Level") == "yes"
    assert req.header("X-Extra") == "yes"
    traces = req.traces()
    assert len(traces) == 3
    for root, trace in zip(roots, traces):
        by_name = {s["name"]: s for s in trace}
        sent_root = by_name[root.name]
        assert sent_root["span_id"] == root.span_id
        assert sent_root["trace_id"] == root.trace_id & 0xFFFFFFFFFFFFFFFF
        assert sent_root["parent_id"] == 0
        assert len(trace) == 3
        assert all(s["parent_id"] == root.span_id for s in trace if s is not sent_root)
    assert w.stats()["sent_traces"] == 3 and w.stats()["sent_payloads"] == 1


def test_background_thread_sends_without_flush(fake_agent, writers):
    agent = fake_agent()
    w = writers(agent.url, interval=0.01)
    make_trace(tracer_with(w))
    assert agent.received.wait(HANG)
    assert len(agent.requests[0].traces()) == 1


def test_queue_past_threshold_wakes_the_thread(fake_agent, writers):
    agent = fake_agent()
    # 64 KiB -> 256 spans queued at most; an eighth of that wakes the thread early.
    w = writers(agent.url, buffer_size=1 << 16, interval=3600)
    t = tracer_with(w)
    for _ in range(40):
        make_trace(t)
    assert agent.received.wait(HANG), "the interval is an hour: only the early wake-up can send"


def test_keep_alive_reuses_one_connection(fake_agent, writers):
    agent = fake_agent()
    w = writers(agent.url)
    t = tracer_with(w)
    for _ in range(3):
        make_trace(t)
        t.flush()
    assert len(agent.requests) == 3
    assert agent.connections == 1


def test_payloads_are_split_at_max_payload_size(fake_agent, writers):
    agent = fake_agent()
    w = writers(agent.url, max_payload_size=2000)
    t = tracer_with(w)
    for i in range(40):
        make_trace(t, "op%d" % i, children=1)
    t.flush()
    assert len(agent.requests) > 1
    assert all(len(r.body) <= 2000 for r in agent.requests)
    assert all(int(r.header("X-Datadog-Trace-Count")) == len(r.traces()) for r in agent.requests)
    names = sorted(s["name"] for tr in agent.traces() for s in tr if s["parent_id"] == 0)
    assert names == sorted("op%d" % i for i in range(40))


def test_trace_larger_than_a_payload_is_dropped_alone(fake_agent, writers):
    agent = fake_agent()
    w = writers(agent.url, max_payload_size=600)
    t = tracer_with(w)
    make_trace(t, "small")
    make_trace(t, "huge", children=40)
    make_trace(t, "small2")
    t.flush()
    assert sorted(s["name"] for tr in agent.traces() for s in tr) == ["small", "small2"]
    stats = w.stats()
    assert stats["dropped_traces"] == {"trace_too_large": 1}
    assert stats["dropped_spans"] == {"trace_too_large": 41}


def test_trace_larger_than_the_buffer_is_dropped_at_write(fake_agent, writers):
    agent = fake_agent()
    w = writers(agent.url, buffer_size=writer_module.SPAN_SIZE_ESTIMATE * 10)
    t = tracer_with(w)
    make_trace(t, "huge", children=20)
    assert w.stats()["dropped_traces"] == {"trace_too_large": 1}
    assert w.stats()["queued_traces"] == 0


# ---------------------------------------------------------------- agent answers


def test_rate_by_service_goes_to_the_callback(fake_agent, writers):
    rates = {"service:web,env:prod": 0.5, "service:,env:": 1.0}
    agent = fake_agent(lambda r: (200, {"rate_by_service": rates}))
    got = []
    w = writers(agent.url, on_rate_by_service=got.append)
    t = tracer_with(w)
    make_trace(t)
    t.flush()
    assert got == [rates]


def test_rate_by_service_goes_to_the_owning_tracers_sampler(fake_agent, writers):
    from ddtrace.trace.sampler import DatadogSampler

    class RecordingSampler(DatadogSampler):
        def __init__(self):
            super().__init__()
            self.updates = []

        def update_rate_by_service_sample_rates(self, rate_by_service):
            self.updates.append(rate_by_service)
            return super().update_rate_by_service_sample_rates(rate_by_service)

    rates = {"service:web,env:prod": 0.25}
    agent = fake_agent(lambda r: (200, {"rate_by_service": rates}))
    w = writers(agent.url)
    t = tracer_with(w)
    sampler = RecordingSampler()
    t.configure(sampler=sampler)
    make_trace(t)
    t.flush()
    assert sampler.updates == [rates]


def test_rate_by_service_reaches_the_sampler_through_the_default_writer(fake_agent, monkeypatch):
    # The writer a tracer creates for itself is bound to that tracer's sampler.
    rates = {"service:web,env:prod": 0.25}
    agent = fake_agent(lambda r: (200, {"rate_by_service": rates}))
    monkeypatch.setattr(config, "_trace_agent_url", agent.url)
    t = Tracer()
    got = []
    t._sampler.update_rate_by_service_sample_rates = got.append
    make_trace(t)
    t.flush()
    t.shutdown(timeout=2)
    assert got == [rates]


@pytest.mark.parametrize("body", [b"not json", b"OK", b"[1, 2]", b'{"rate_by_service": 3}', b""])
def test_odd_answers_are_accepted_and_ignored(body, fake_agent, writers):
    agent = fake_agent(lambda r: (200, body))
    got = []
    w = writers(agent.url, on_rate_by_service=got.append)
    t = tracer_with(w)
    make_trace(t)
    t.flush()
    assert got == []
    assert w.stats()["sent_traces"] == 1 and w.stats()["dropped_traces"] == {}


def test_failing_rate_callback_is_an_internal_error_not_a_crash(fake_agent, writers, internal_errors):
    internal_errors.allowed = True
    agent = fake_agent()

    def boom(rates):
        raise RuntimeError("sampler bug")

    w = writers(agent.url, on_rate_by_service=boom)
    t = tracer_with(w)
    make_trace(t)
    t.flush()
    assert w.stats()["sent_traces"] == 1
    assert [what for what, _ in internal_errors.errors] == ["passing the agent's sample rates to the sampler"]


@pytest.mark.parametrize("status", [404, 415])
def test_v05_not_found_falls_back_to_v04_for_good(status, fake_agent, writers):
    agent = fake_agent(lambda r: (status, b"no") if "/v0.5/" in r.path else (200, {}))
    w = writers(agent.url, api_version="v0.5")
    t = tracer_with(w)
    root = make_trace(t, "first", children=1)
    t.flush()
    assert [r.path for r in agent.requests] == ["/v0.5/traces", "/v0.4/traces"]
    (trace,) = agent.requests[1].traces()
    assert {s["span_id"] for s in trace if s["parent_id"] == 0} == {root.span_id}
    assert agent.requests[1].header("X-Datadog-Trace-Count") == "1"
    make_trace(t, "second")
    t.flush()
    assert [r.path for r in agent.requests] == ["/v0.5/traces", "/v0.4/traces", "/v0.4/traces"]
    stats = w.stats()
    assert stats["api_version"] == "v0.4" and stats["sent_traces"] == 2 and stats["dropped_traces"] == {}


def test_fallback_resends_every_payload_of_the_flush(fake_agent, writers):
    agent = fake_agent(lambda r: (404, b"") if "/v0.5/" in r.path else (200, {}))
    w = writers(agent.url, max_payload_size=1500)
    t = tracer_with(w)
    for i in range(30):
        make_trace(t, "op%d" % i)
    t.flush()
    v04 = [tr for r in agent.requests if r.path == "/v0.4/traces" for tr in r.traces()]
    assert sorted(tr[0]["name"] for tr in v04) == sorted("op%d" % i for i in range(30))
    assert w.stats()["sent_traces"] == 30


def test_v04_not_found_is_dropped_without_retry(fake_agent, writers):
    agent = fake_agent(lambda r: (404, b"nope"))
    w = writers(agent.url, api_version="v0.4")
    t = tracer_with(w)
    make_trace(t)
    t.flush()
    assert len(agent.requests) == 1
    assert w.stats()["dropped_traces"] == {"rejected_by_agent": 1}


@pytest.mark.parametrize("status", [400, 413])
def test_client_errors_drop_without_retry(status, fake_agent, writers, caplog, no_log_rate_limit):
    agent = fake_agent(lambda r: (status, b"bad payload"))
    w = writers(agent.url)
    t = tracer_with(w)
    make_trace(t, children=2)
    with caplog.at_level("ERROR", logger="ddtrace"):
        t.flush()
    assert len(agent.requests) == 1
    stats = w.stats()
    assert stats["dropped_traces"] == {"rejected_by_agent": 1}
    assert stats["dropped_spans"] == {"rejected_by_agent": 3}
    assert "HTTP %d" % status in stats["agent_error"]
    assert any("rejected" in r.getMessage() and str(status) in r.getMessage() for r in caplog.records)


def test_server_errors_are_retried_then_dropped(fake_agent, writers, monkeypatch):
    monkeypatch.setattr(writer_module, "RETRY_BASE_DELAY", 0.001)
    agent = fake_agent(lambda r: (500, b"oops"))
    w = writers(agent.url)
    t = tracer_with(w)
    make_trace(t)
    t.flush()
    assert len(agent.requests) == writer_module.MAX_SEND_ATTEMPTS
    assert w.stats()["dropped_traces"] == {"send_failed": 1}


def test_server_error_then_success_delivers_once(fake_agent, writers, monkeypatch):
    monkeypatch.setattr(writer_module, "RETRY_BASE_DELAY", 0.001)
    answers = iter([(503, b"busy"), (200, {})])
    agent = fake_agent(lambda r: next(answers))
    w = writers(agent.url)
    t = tracer_with(w)
    make_trace(t)
    t.flush()
    assert len(agent.requests) == 2
    assert agent.requests[0].body == agent.requests[1].body
    stats = w.stats()
    assert stats["sent_traces"] == 1 and stats["dropped_traces"] == {} and stats["agent_error"] is None


# ---------------------------------------------------------------- faults: the app is unaffected


def test_agent_not_running(writers, monkeypatch):
    monkeypatch.setattr(writer_module, "RETRY_BASE_DELAY", 0.001)
    w = writers("http://127.0.0.1:%d" % closed_port())
    t = tracer_with(w)
    for _ in range(5):
        make_trace(t)
    run_bounded(t.flush)
    stats = w.stats()
    assert stats["dropped_traces"] == {"send_failed": 5}
    assert "ConnectionRefusedError" in stats["agent_error"]


def test_invalid_agent_url_drops_and_logs(writers, caplog, no_log_rate_limit):
    w = writers("ftp://nowhere")
    t = tracer_with(w)
    make_trace(t)
    with caplog.at_level("WARNING", logger="ddtrace"):
        t.flush()
    assert w.stats()["dropped_traces"] == {"send_failed": 1}
    assert any("unsupported agent URL scheme" in r.getMessage() for r in caplog.records)


def test_write_never_waits_for_an_agent_that_never_answers(fake_agent, writers):
    release = threading.Event()

    def hang(request):
        release.wait(HANG * 2)
        return 200, {}

    agent = fake_agent(hang)
    try:
        w = writers(agent.url, interval=0.001, timeout=HANG * 2)
        t = tracer_with(w)
        make_trace(t, "first")
        # The writer thread is now inside a request that only ends when ``release`` is set.
        assert agent.received.wait(HANG)

        def more_writes():
            for i in range(1000):
                make_trace(t, "later%d" % i)

        # Would hang past HANG if write() waited for the network.
        run_bounded(more_writes)
        assert w.stats()["queued_traces"] == 1000
    finally:
        release.set()


def test_flush_is_bounded_by_its_timeout_when_the_agent_never_answers(fake_agent, writers, monkeypatch):
    monkeypatch.setattr(writer_module, "RETRY_BASE_DELAY", 0.001)
    release = threading.Event()
    agent = fake_agent(lambda r: (release.wait(HANG * 2), (200, {}))[1])
    try:
        w = writers(agent.url, timeout=0.05)
        t = tracer_with(w)
        make_trace(t)
        run_bounded(w.flush_queue)
        stats = w.stats()
        assert stats["dropped_traces"] == {"send_failed": 1}
        assert "timed out" in stats["agent_error"]
        assert len(agent.requests) == writer_module.MAX_SEND_ATTEMPTS
    finally:
        release.set()


def test_flush_timeout_bounds_waiting_for_a_send_in_progress(fake_agent, writers):
    release = threading.Event()
    agent = fake_agent(lambda r: (release.wait(HANG * 2), (200, {}))[1])
    try:
        w = writers(agent.url, interval=0.001, timeout=HANG * 2)
        t = tracer_with(w)
        make_trace(t, "first")
        assert agent.received.wait(HANG)  # the thread holds the send lock now
        make_trace(t, "second")
        run_bounded(w.flush_queue, 0.05)
        assert w.stats()["queued_traces"] == 1, "left queued for the thread, not dropped"
    finally:
        release.set()


def test_connection_closed_mid_request(writers, monkeypatch):
    import socket

    monkeypatch.setattr(writer_module, "RETRY_BASE_DELAY", 0.001)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted = []

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            accepted.append(conn)
            conn.recv(100)  # part of the request line and headers, then hang up
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        w = writers("http://127.0.0.1:%d" % server.getsockname()[1])
        t = tracer_with(w)
        make_trace(t, children=50)
        run_bounded(t.flush)
    finally:
        server.close()
    assert len(accepted) == writer_module.MAX_SEND_ATTEMPTS
    assert w.stats()["dropped_traces"] == {"send_failed": 1}


def test_reconnects_when_the_agent_closed_the_idle_connection(writers):
    """A keep-alive connection closed by the agent is not an error: one fresh retry."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted = []

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            accepted.append(conn)
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            lines = head.lower().split(b"\r\n")
            (length,) = [int(ln.split(b":")[1]) for ln in lines if ln.startswith(b"content-length")]
            while len(body) < length:
                body += conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
            conn.close()  # without saying Connection: close, like an idle timeout would

    threading.Thread(target=serve, daemon=True).start()
    try:
        w = writers("http://127.0.0.1:%d" % server.getsockname()[1])
        t = tracer_with(w)
        for _ in range(3):
            make_trace(t)
            run_bounded(t.flush)
    finally:
        server.close()
    stats = w.stats()
    assert stats["sent_traces"] == 3 and stats["dropped_traces"] == {}
    assert len(accepted) == 3


def test_burst_with_a_tiny_buffer_is_bounded_and_counted(fake_agent, writers):
    release = threading.Event()
    agent = fake_agent(lambda r: (release.wait(HANG * 2), (200, {}))[1])
    try:
        # 64 spans' worth of buffer -> at most 64 spans wait; the agent holds the first
        # payload, so the rest of the burst can only be queued up to that bound or dropped.
        w = writers(agent.url, buffer_size=writer_module.SPAN_SIZE_ESTIMATE * 64, interval=0.001, timeout=HANG * 2)
        t = tracer_with(w)
        total = 100_000
        biggest = 0

        def burst():
            nonlocal biggest
            for i in range(total):
                with t.trace("burst"):
                    pass
                if i % 1000 == 0:
                    biggest = max(biggest, w._trace_queue.spans)

        run_bounded(burst)
        biggest = max(biggest, w._trace_queue.spans)
        assert biggest <= w._max_queued_spans == 64
        stats = w.stats()
        assert stats["dropped_traces"]["buffer_full"] > total - 200
    finally:
        release.set()
    w.flush_queue()
    stats = w.stats()
    assert stats["sent_traces"] + stats["dropped_traces"]["buffer_full"] == total
    assert stats["sent_traces"] == len(agent.traces())


def test_drops_are_summarised_in_a_warning(fake_agent, writers, caplog, no_log_rate_limit):
    agent = fake_agent(lambda r: (400, b"bad"))
    w = writers(agent.url, buffer_size=writer_module.SPAN_SIZE_ESTIMATE * 2)
    t = tracer_with(w)
    for _ in range(5):
        make_trace(t)
    with caplog.at_level("WARNING", logger="ddtrace"):
        t.flush()
    (msg,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "dropped 5 trace(s)" in msg
    assert "queue full" in msg and "3 trace(s)" in msg
    assert "rejected by the agent" in msg and "2 trace(s)" in msg


# ---------------------------------------------------------------- lifecycle


def test_stop_flushes_then_drops_later_writes(fake_agent):
    agent = fake_agent()
    w = make_writer(agent.url)
    t = tracer_with(w)
    make_trace(t, "before")
    thread = w._thread
    w.stop()
    assert not thread.is_alive()
    assert [tr[0]["name"] for tr in agent.traces()] == ["before"]
    w.write([object()])
    assert w.stats()["dropped_traces"] == {"writer_stopped": 1}
    w.flush_queue()
    assert len(agent.requests) == 1


def test_flush_queue_on_an_unused_writer_sends_nothing(fake_agent, writers):
    agent = fake_agent()
    w = writers(agent.url)
    w.flush_queue()
    assert agent.requests == [] and w._thread is None


def test_write_never_raises(fake_agent, writers, internal_errors):
    internal_errors.allowed = True
    agent = fake_agent()
    w = writers(agent.url)
    w.write(None)  # not a sequence
    w.write([])
    assert [what for what, _ in internal_errors.errors] == ["queueing a trace for the agent"]


def test_unencodable_trace_is_dropped_and_reported(fake_agent, writers, internal_errors):
    internal_errors.allowed = True
    agent = fake_agent()
    w = writers(agent.url)
    t = tracer_with(w)
    w.write([object()])
    make_trace(t, "fine")
    t.flush()
    assert [tr[0]["name"] for tr in agent.traces()] == ["fine"]
    assert w.stats()["dropped_traces"] == {"encoding_error": 1}
    assert [what for what, _ in internal_errors.errors] == ["encoding a trace"]


def test_exit_flush_sends_what_is_queued(fake_agent):
    agent = fake_agent()
    w = make_writer(agent.url)
    t = tracer_with(w)
    make_trace(t, "at-exit")
    assert w in writer_module._started_writers
    writer_module._flush_at_exit()
    assert [tr[0]["name"] for tr in agent.traces()] == ["at-exit"]
    w.stop()
    assert w not in writer_module._started_writers


def test_exit_flush_gives_up_on_a_send_in_progress(fake_agent, monkeypatch):
    monkeypatch.setattr(writer_module, "EXIT_FLUSH_SECONDS", 0.05)
    release = threading.Event()
    agent = fake_agent(lambda r: (release.wait(HANG * 2), (200, {}))[1])
    w = make_writer(agent.url, interval=0.001, timeout=HANG * 2)
    try:
        t = tracer_with(w)
        make_trace(t, "stuck")
        assert agent.received.wait(HANG)
        make_trace(t, "left")
        run_bounded(writer_module._flush_at_exit)
        assert w.stats()["dropped_traces"] == {"exit_timeout": 1}
    finally:
        release.set()
        w.stop(timeout=HANG)


def test_agent_outage_shrinks_the_queue_until_a_payload_goes_through(fake_agent, writers):
    failing = [True]
    agent = fake_agent(lambda r: (500, {}) if failing[0] else (200, {}))
    w = writers(agent.url, interval=3600)
    t = tracer_with(w)
    full = w._trace_queue.max_spans
    assert full == w._max_queued_spans
    make_trace(t, "during-outage")
    t.flush()
    assert w._trace_queue.max_spans == max(1, full // writer_module.OUTAGE_QUEUE_DIVISOR)
    assert w.stats()["dropped_traces"] == {"send_failed": 1}
    failing[0] = False
    make_trace(t, "after-outage")
    t.flush()
    assert w._trace_queue.max_spans == full and w._trace_queue.wake_spans == w._wake_spans
    assert w.stats()["sent_traces"] == 1
