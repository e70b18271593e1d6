import asyncio
import contextvars
import os
import threading

import pytest

from ddtrace.constants import AUTO_KEEP
from ddtrace.settings import config
from ddtrace.trace import Context
from ddtrace.trace import Span
from ddtrace.trace import TraceFilter
from ddtrace.trace import Tracer


def test_trace_nests_and_restores_parent(tracer):
    with tracer.trace("root", service="svc") as root:
        assert tracer.current_span() is root
        with tracer.trace("child") as child:
            assert tracer.current_span() is child
            assert tracer.current_root_span() is root
            with tracer.trace("grandchild") as gc:
                pass
            assert tracer.current_span() is child
        assert tracer.current_span() is root
    assert tracer.current_span() is None
    assert child.parent_id == root.span_id and gc.parent_id == child.span_id
    assert root.parent_id == 0
    assert child.trace_id == root.trace_id == gc.trace_id
    assert child.service == "svc" and gc.service == "svc"
    (trace,) = tracer.pop_traces()
    assert {s.name for s in trace} == {"root", "child", "grandchild"}


def test_trace_arguments(tracer):
    with tracer.trace("op", service="s", resource="res", span_type="web") as s:
        pass
    assert (s.name, s.service, s.resource, s.span_type) == ("op", "s", "res", "web")


def test_root_service_defaults_to_config_service(tracer, monkeypatch):
    monkeypatch.setattr(config, "service", "from-config")
    with tracer.trace("op") as s:
        pass
    assert s.service == "from-config"


def test_start_span_is_root_unless_child_of(tracer):
    with tracer.trace("active"):
        s = tracer.start_span("independent")
        assert s.parent_id == 0
        assert tracer.current_span().name == "active"
        s.finish()


def test_start_span_child_of_span_and_context(tracer):
    parent = tracer.start_span("parent")
    child = tracer.start_span("child", child_of=parent)
    assert child.parent_id == parent.span_id and child.trace_id == parent.trace_id
    remote = Context(trace_id=123, span_id=456, sampling_priority=2, dd_origin="synthetics", meta={"_dd.p.dm": "-4"})
    from_remote = tracer.start_span("server", child_of=remote)
    assert from_remote.trace_id == 123 and from_remote.parent_id == 456
    assert from_remote.context.sampling_priority == 2
    assert from_remote.context.dd_origin == "synthetics"
    child.finish()
    parent.finish()
    from_remote.finish()
    traces = tracer.pop_traces()
    assert len(traces) == 2
    server = traces[1][0]
    assert server.get_metric("_sampling_priority_v1") == 2
    assert server.get_tag("_dd.origin") == "synthetics"
    assert server.get_tag("_dd.p.dm") == "-4"
    # Changing the local trace never changes the remote context object.
    assert remote._metrics == {"_sampling_priority_v1": 2}


def test_start_span_rejects_bad_child_of(tracer):
    with pytest.raises(TypeError):
        tracer.start_span("x", child_of="nope")


def test_start_span_activate(tracer):
    s = tracer.start_span("x", activate=True)
    assert tracer.current_span() is s
    s.finish()
    assert tracer.current_span() is None


def test_activated_remote_context_is_parent_of_next_trace(tracer):
    ctx = Context(trace_id=2**64 + 99, span_id=77)
    tracer.context_provider.activate(ctx)
    assert tracer.current_trace_context() is ctx
    assert tracer.current_span() is None
    with tracer.trace("server") as s:
        assert tracer.current_trace_context().span_id == s.span_id
    assert s.trace_id == 2**64 + 99 and s.parent_id == 77
    (span,) = tracer.pop()
    assert span.get_tag("_dd.p.tid") == "%016x" % 1


def test_current_trace_context_shares_trace_state(tracer):
    with tracer.trace("root"):
        with tracer.trace("child") as child:
            ctx = tracer.current_trace_context()
            assert ctx.span_id == child.span_id
            ctx.sampling_priority = 2
            ctx.set_baggage_item("user", "42")
    (trace,) = tracer.pop_traces()
    root = [s for s in trace if s.name == "root"][0]
    assert root.get_metric("_sampling_priority_v1") == 2
    assert root.context.get_baggage_item("user") == "42"


def test_threads_have_their_own_active_span(tracer):
    seen = {}

    def worker():
        seen["before"] = tracer.current_span()
        with tracer.trace("in-thread") as s:
            seen["inside"] = tracer.current_span() is s

    with tracer.trace("main"):
        t = threading.Thread(target=worker)
        t.start()
        t.join()
    assert seen == {"before": None, "inside": True}


def test_copy_context_carries_the_active_span(tracer):
    with tracer.trace("main") as main:
        ctx = contextvars.copy_context()
        child = ctx.run(lambda: tracer.trace("in-copied-context"))
        # Activation inside the copy does not leak out of it.
        assert tracer.current_span() is main
        assert ctx.run(tracer.current_span) is child
        child.finish()
        assert ctx.run(tracer.current_span) is main
    assert child.parent_id == main.span_id
    # Once the parent is finished, a copied context no longer hands it out as a parent.
    late = ctx.run(lambda: tracer.trace("late"))
    assert late.parent_id == 0
    late.finish()


def test_asyncio_tasks_inherit_and_isolate(tracer):
    async def job(name):
        with tracer.trace(name) as s:
            await asyncio.sleep(0)
            assert tracer.current_span() is s
            return s

    async def main():
        with tracer.trace("root") as root:
            a, b = await asyncio.gather(job("a"), job("b"))
            assert tracer.current_span() is root
        return root, a, b

    root, a, b = asyncio.run(main())
    assert a.parent_id == root.span_id and b.parent_id == root.span_id
    (trace,) = tracer.pop_traces()
    assert len(trace) == 3


def test_span_finished_on_another_thread(tracer):
    span = tracer.trace("handoff")
    t = threading.Thread(target=span.finish)
    t.start()
    t.join()
    assert span.finished
    # The starting thread still had it active: a finished span is never returned.
    assert tracer.current_span() is None
    with tracer.trace("next") as nxt:
        pass
    assert nxt.parent_id == 0
    assert len(tracer.pop_traces()) == 2


def test_child_finished_after_parent_from_other_thread(tracer):
    root = tracer.trace("root")
    child = tracer.trace("child")
    root.finish()
    assert tracer.pop_traces() == []  # child still open
    t = threading.Thread(target=child.finish)
    t.start()
    t.join()
    (trace,) = tracer.pop_traces()
    assert {s.name for s in trace} == {"root", "child"}


def test_many_threads_finishing_one_trace_flush_it_once(tracer):
    root = tracer.start_span("root")
    children = [tracer.start_span("c%d" % i, child_of=root) for i in range(200)]
    barrier = threading.Barrier(8)

    def finish(chunk):
        barrier.wait()
        for c in chunk:
            c.finish()

    threads = [threading.Thread(target=finish, args=(children[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    root.finish()
    traces = tracer.pop_traces()
    assert sum(len(t) for t in traces) == 201
    assert len({id(s) for t in traces for s in t}) == 201


def test_partial_flush(tracer):
    tracer.configure(partial_flush_enabled=True, partial_flush_min_spans=5)
    with tracer.trace("root") as root:
        for i in range(12):
            with tracer.trace("child%d" % i):
                pass
    chunks = tracer.pop_traces()
    assert [len(c) for c in chunks] == [5, 5, 3]
    # Every chunk carries the sampling decision on its first span; the root carries its own tags.
    for chunk in chunks:
        tagged = [s for s in chunk if s.get_metric("_sampling_priority_v1") is not None]
        assert tagged, chunk
    assert root.get_tag("language") == "python"


def test_partial_flush_disabled(tracer):
    tracer.configure(partial_flush_enabled=False, partial_flush_min_spans=2)
    with tracer.trace("root"):
        for i in range(5):
            with tracer.trace("c"):
                pass
    assert [len(c) for c in tracer.pop_traces()] == [6]


def test_partial_flush_min_spans_validated(tracer):
    with pytest.raises(ValueError):
        tracer.configure(partial_flush_min_spans=0)


def test_trace_level_tags(tracer, monkeypatch):
    monkeypatch.setattr(config, "service", "web")
    monkeypatch.setattr(config, "env", "prod")
    monkeypatch.setattr(config, "version", "1.2.3")
    monkeypatch.setattr(config, "tags", {"team": "core"})
    with tracer.trace("request") as root:
        with tracer.trace("db", service="postgres") as db:
            with tracer.trace("inner"):
                pass
    spans = {s.name: s for s in tracer.pop()}
    r, d, i = spans["request"], spans["db"], spans["inner"]
    assert r.get_metric("_sampling_priority_v1") == AUTO_KEEP
    assert r.get_tag("_dd.p.dm") == "-0"
    assert r.get_tag("language") == "python"
    assert r.get_metric("process_id") == os.getpid()
    assert len(r.get_tag("runtime-id")) == 36
    assert r.get_tag("_dd.p.tid") == "%016x" % (root.trace_id >> 64)
    assert r.get_metric("_dd.top_level") == 1 and d.get_metric("_dd.top_level") == 1
    assert i.get_metric("_dd.top_level") is None
    for s in (r, d, i):
        assert s.get_tag("env") == "prod" and s.get_tag("team") == "core"
    assert r.get_tag("version") == "1.2.3"
    assert d.get_tag("version") is None  # client span on its own service
    assert d.get_tag("_dd.base_service") == "web" and r.get_tag("_dd.base_service") is None
    assert d.get_tag("language") is None


def test_service_mapping(tracer, monkeypatch):
    monkeypatch.setattr(config, "service_mapping", {"postgres": "billing-db"})
    with tracer.trace("q", service="postgres") as s:
        pass
    tracer.pop()
    assert s.service == "billing-db"


def test_64_bit_ids(monkeypatch):
    from ddtrace.internal.writer import InMemoryWriter

    monkeypatch.setattr(config, "_128_bit_trace_id_enabled", False)
    t = Tracer()
    t.configure(writer=InMemoryWriter())
    with t.trace("x") as s:
        pass
    assert 0 < s.trace_id < 2**64
    assert t._writer.pop()[0].get_tag("_dd.p.tid") is None


def test_128_bit_id_layout(tracer):
    import time

    before = int(time.time())
    with tracer.trace("x") as s:
        pass
    high = s.trace_id >> 64
    assert before <= (high >> 32) <= int(time.time()) + 1
    assert high & 0xFFFFFFFF == 0
    assert s.trace_id & (2**64 - 1) != 0


def test_ids_are_unique(tracer):
    ids = set()
    for _ in range(20000):
        s = tracer.start_span("x")
        ids.add(s.span_id)
        ids.add(s.trace_id & (2**64 - 1))
    assert len(ids) == 40000


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_ids_differ_after_fork():
    from ddtrace.trace._span import rand64bits

    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(w, str(rand64bits()).encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child_id = int(os.read(r, 100))
    assert child_id != rand64bits()


def test_filters_edit_drop_and_survive_errors(tracer, caplog):
    class Rename(TraceFilter):
        def process_trace(self, trace):
            for s in trace:
                s.resource = "renamed"
            return trace

    class DropHealth(TraceFilter):
        def process_trace(self, trace):
            return None if any(s.name == "health" for s in trace) else trace

    class Broken(TraceFilter):
        def process_trace(self, trace):
            raise RuntimeError("filter bug")

    tracer.configure(trace_processors=[Broken(), Rename(), DropHealth()])
    with tracer.trace("health"):
        pass
    with tracer.trace("work"):
        pass
    (span,) = tracer.pop()
    assert span.name == "work" and span.resource == "renamed"


def test_configure_rejects_objects_without_process_trace(tracer):
    with pytest.raises(TypeError):
        tracer.configure(trace_processors=[object()])


def test_disabled_tracer_sends_nothing_but_spans_still_work(tracer):
    tracer.enabled = False
    with tracer.trace("x") as s:
        s.set_tag("k", "v")
    assert s.finished and tracer.pop() == []
    tracer.enabled = True
    with tracer.trace("y"):
        pass
    assert len(tracer.pop()) == 1


def test_enabled_follows_config_until_set(monkeypatch):
    t = Tracer()
    monkeypatch.setattr(config, "_tracing_enabled", False)
    assert t.enabled is False
    t.enabled = True
    assert t.enabled is True


def test_set_tags_applies_to_every_span(tracer):
    tracer.set_tags({"region": "eu", "shard": 3})
    with tracer.trace("a"):
        with tracer.trace("b"):
            pass
    for s in tracer.pop():
        assert s.get_tag("region") == "eu" and s.get_tag("shard") == "3"


def test_user_exception_propagates_unchanged(tracer):
    class Mine(Exception):
        pass

    err = Mine("x")
    with pytest.raises(Mine) as info:
        with tracer.trace("op"):
            raise err
    assert info.value is err
    (s,) = tracer.pop()
    assert s.error == 1 and s.get_tag("error.type").endswith("Mine")


def test_shutdown_stops_sending(tracer):
    tracer.shutdown()
    with tracer.trace("late"):
        pass
    assert tracer.pop() == []


def test_flush_calls_writer(tracer):
    calls = []
    tracer._writer.flush_queue = lambda timeout=None: calls.append(timeout)
    tracer.flush()
    assert calls == [None]


def test_log_correlation_context(tracer, monkeypatch):
    monkeypatch.setattr(config, "service", "svc")
    monkeypatch.setattr(config, "env", "prod")
    monkeypatch.setattr(config, "version", "1")
    assert tracer.get_log_correlation_context() == {
        "trace_id": "0", "span_id": "0", "service": "svc", "version": "1", "env": "prod"
    }
    with tracer.trace("x") as s:
        ctx = tracer.get_log_correlation_context()
    assert ctx["trace_id"] == "%032x" % s.trace_id
    assert ctx["span_id"] == str(s.span_id)
    monkeypatch.setattr(config, "_128_bit_trace_id_logging_enabled", False)
    with tracer.trace("x") as s:
        ctx = tracer.get_log_correlation_context()
    assert ctx["trace_id"] == str(s.trace_id & (2**64 - 1))


def test_trace_filter_base_is_abstract():
    with pytest.raises(NotImplementedError):
        TraceFilter().process_trace([])


def test_writer_errors_are_reported_not_raised(tracer, internal_errors):
    class Exploding:
        def write(self, spans):
            raise RuntimeError("disk on fire")

    internal_errors.allowed = True
    tracer.configure(writer=Exploding())
    with tracer.trace("x"):
        pass
    assert [what for what, _ in internal_errors.errors] == ["processing a finished trace"]


def test_custom_context_provider(tracer):
    from ddtrace.trace.provider import BaseContextProvider

    class Box(BaseContextProvider):
        def __init__(self):
            self.value = None

        def active(self):
            return self.value

        def activate(self, ctx):
            self.value = ctx

    box = Box()
    tracer.configure(context_provider=box)
    with tracer.trace("a") as a:
        assert box.value is a
        with tracer.trace("b") as b:
            assert b.parent_id == a.span_id
        assert box.value is a
    assert box.value is None
    assert len(tracer.pop()) == 2


def test_span_class_is_the_public_one(tracer):
    assert type(tracer.trace("x")) is Span
