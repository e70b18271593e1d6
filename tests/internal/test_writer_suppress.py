"""The tracer's own requests are never traced (``ddtrace.internal.suppress``)."""
import asyncio
import http.client
import threading

from ddtrace.internal.suppress import is_suppressed
from ddtrace.internal.suppress import suppress_current_thread
from ddtrace.internal.suppress import suppressed
from ddtrace.internal.writer import AgentWriter
from ddtrace.trace import Tracer


def test_suppressed_is_scoped_and_reentrant():
    assert not is_suppressed()
    with suppressed():
        assert is_suppressed()
        with suppressed():
            assert is_suppressed()
        assert is_suppressed()
    assert not is_suppressed()


def test_suppressed_is_restored_on_error():
    try:
        with suppressed():
            raise KeyError
    except KeyError:
        pass
    assert not is_suppressed()


def test_other_threads_are_not_suppressed():
    seen = []
    with suppressed():
        t = threading.Thread(target=lambda: seen.append(is_suppressed()))
        t.start()
        t.join()
    assert seen == [False]


def test_suppress_current_thread_lasts_for_the_thread_only():
    seen = []

    def run():
        suppress_current_thread()
        seen.append(is_suppressed())

    t = threading.Thread(target=run)
    t.start()
    t.join()
    assert seen == [True]
    assert not is_suppressed()


def test_asyncio_tasks_do_not_leak_the_flag():
    async def inside():
        with suppressed():
            await asyncio.sleep(0)
            return is_suppressed()

    async def outside():
        await asyncio.sleep(0)
        return is_suppressed()

    async def main():
        return await asyncio.gather(inside(), outside())

    assert asyncio.run(main()) == [True, False]


def test_writer_requests_are_not_traced(fake_agent, monkeypatch):
    """A stand-in http.client integration traces only what is not suppressed."""
    app_tracer = Tracer()
    from ddtrace.internal.writer import InMemoryWriter

    app_spans = InMemoryWriter()
    app_tracer.configure(writer=app_spans)
    calls = []
    original = http.client.HTTPConnection.request

    def traced_request(self, method, url, *args, **kwargs):
        calls.append((threading.current_thread().name, is_suppressed()))
        if is_suppressed():
            return original(self, method, url, *args, **kwargs)
        with app_tracer.trace("http.request", resource="%s %s" % (method, url)):
            return original(self, method, url, *args, **kwargs)

    monkeypatch.setattr(http.client.HTTPConnection, "request", traced_request)
    agent = fake_agent()
    w = AgentWriter(agent_url=agent.url, interval=0.001, headers={})
    t = Tracer()
    t.configure(writer=w)
    try:
        with t.trace("background"):
            pass
        assert agent.received.wait(30)  # sent by the writer thread
        with t.trace("flushed"):
            pass
        t.flush()  # sent from this thread
    finally:
        w.stop(timeout=10)
    # The integration saw both requests, always suppressed: no span for them.
    assert len(calls) >= 2 and all(flag for _, flag in calls)
    assert {name for name, _ in calls} >= {"ddtrace.internal.writer", threading.current_thread().name}
    assert app_spans.pop() == []
    sent = sorted(tr[0]["name"] for tr in agent.traces())
    assert sent == ["background", "flushed"]
    # Outside the writer the stand-in does trace (so the check above can fail).
    conn = http.client.HTTPConnection("127.0.0.1", int(agent.url.rsplit(":", 1)[1]), timeout=5)
    conn.request("GET", "/info")
    conn.getresponse().read()
    conn.close()
    assert [s.name for s in app_spans.pop()] == ["http.request"]
