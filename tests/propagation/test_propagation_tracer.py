"""A trace crossing two services through real tracers: client inject → server extract."""
import pytest

from ddtrace.internal.writer import InMemoryWriter
from ddtrace.propagation.http import HTTPPropagator
from ddtrace.trace import Tracer

from .conftest import ALL_STYLES
from .conftest import FixedSampler

MAX64 = 2**64 - 1


@pytest.fixture
def server():
    """Another service: its own tracer, whose sampler would decide differently."""
    t = Tracer()
    t.writer = InMemoryWriter()
    t.sampler = FixedSampler(priority=0)
    t.configure(writer=t.writer, sampler=t.sampler)
    yield t
    t._aggregator.enabled = False


def call(client_span, server):
    """What a traced HTTP call does: inject on the client, extract and serve on the server."""
    headers = {}
    HTTPPropagator.inject(client_span, headers)
    remote = HTTPPropagator.extract(headers)
    with server.start_span("server", child_of=remote, activate=True) as srv:
        with server.trace("server.child") as inner:
            pass
    return headers, srv, inner


@pytest.mark.parametrize(
    "style_list",
    [["datadog"], ["tracecontext"], ["b3multi"], ["b3"], ALL_STYLES, ["tracecontext", "datadog", "baggage"]],
    ids=lambda s: "+".join(s),
)
@pytest.mark.parametrize("priority", [-1, 0, 1, 2])
def test_trace_continues_across_services(tracer, server, styles, style_list, priority):
    styles(extract=style_list, inject=style_list)
    tracer.configure(sampler=FixedSampler(priority=priority, decision_maker="-4"))
    client = tracer.start_span("client")
    _, srv, inner = call(client, server)
    client.finish()

    assert srv.trace_id == client.trace_id  # all 128 bits
    assert srv.trace_id > MAX64
    assert srv.parent_id == client.span_id
    assert inner.parent_id == srv.span_id and inner.trace_id == client.trace_id
    assert server.sampler.calls == 0  # the decision travelled; the server did not resample

    (client_trace,) = tracer.pop_traces()
    (server_trace,) = server.writer.pop_traces()
    sent = client_trace[0].get_metric("_sampling_priority_v1")
    assert sent == priority
    received = server_trace[-1]
    assert received is srv
    if "datadog" in style_list or "tracecontext" in style_list:
        assert received.get_metric("_sampling_priority_v1") == priority
    else:
        # B3 knows only keep / drop / debug.
        assert received.get_metric("_sampling_priority_v1") == (2 if priority == 2 else int(priority > 0))
    if style_list[0] in ("datadog", "tracecontext") and priority > 0:
        assert received.get_tag("_dd.p.dm") == "-4"
    assert received.get_tag("_dd.p.tid") == "%016x" % (client.trace_id >> 64)


def test_origin_and_baggage_travel(tracer, server, styles):
    styles(extract=ALL_STYLES, inject=ALL_STYLES)
    client = tracer.start_span("client")
    client.context.dd_origin = "synthetics"
    client.context.set_baggage_item("session.id", "s p a c e ✓")
    _, srv, inner = call(client, server)
    client.finish()
    assert srv.get_tag("_dd.origin") == "synthetics"
    assert inner.get_tag("_dd.origin") == "synthetics"
    assert srv.context.get_baggage_item("session.id") == "s p a c e ✓"


def test_sampling_decided_at_inject_not_flush(tracer, server, styles):
    styles(extract=["datadog"], inject=["datadog"])
    sampler = FixedSampler(priority=2, decision_maker="-3")
    tracer.configure(sampler=sampler)
    root = tracer.start_span("root")
    child = tracer.start_span("client", child_of=root)
    headers, srv, _ = call(child, server)
    assert sampler.calls == 1
    assert headers["x-datadog-sampling-priority"] == "2"
    assert headers["x-datadog-parent-id"] == str(child.span_id)
    child.finish()
    root.finish()
    assert sampler.calls == 1
    (trace,) = tracer.pop_traces()
    assert trace[-1] is root
    assert root.get_metric("_sampling_priority_v1") == 2


def test_three_hops_keep_one_trace(tracer, server, styles):
    styles(extract=ALL_STYLES, inject=ALL_STYLES)
    third = Tracer()
    third.configure(writer=InMemoryWriter(), sampler=FixedSampler(priority=0))
    client = tracer.start_span("client")
    _, srv, inner = call(client, server)
    _, last, _ = call(inner, third)
    assert last.trace_id == client.trace_id
    assert last.parent_id == inner.span_id
    assert last.context.sampling_priority == 1
    third._aggregator.enabled = False


def test_with_the_default_sampler(styles):
    pytest.importorskip("ddtrace.trace.sampler")
    styles(extract=["datadog", "tracecontext"], inject=["datadog", "tracecontext"])
    client_tracer = Tracer()
    client_tracer.configure(writer=InMemoryWriter())
    server_tracer = Tracer()
    server_tracer.configure(writer=InMemoryWriter())
    client = client_tracer.start_span("client")
    headers = {}
    HTTPPropagator.inject(client, headers)
    decided = client.context.sampling_priority
    assert decided is not None
    assert headers["x-datadog-sampling-priority"] == str(decided)
    assert headers["traceparent"].endswith("-01" if decided > 0 else "-00")
    srv = server_tracer.start_span("server", child_of=HTTPPropagator.extract(headers))
    assert srv.context.sampling_priority == decided
    assert srv.context._meta.get("_dd.p.dm") == client.context._meta.get("_dd.p.dm")
    client_tracer._aggregator.enabled = False
    server_tracer._aggregator.enabled = False
