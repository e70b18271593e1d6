"""HTTPPropagator as a whole: style selection, combining styles, API edges."""
import types

import pytest

from ddtrace.propagation import http
from ddtrace.propagation.http import HTTPPropagator
from ddtrace.settings import config
from ddtrace.trace import Context
from ddtrace.trace import Span
from ddtrace.trace.links import SpanLink

from .conftest import ALL_STYLES
from .conftest import FixedSampler

TC_TRACE = "0af7651916cd43dd8448eb211c80319c"
TC_PARENT = "b7ad6b7169203331"


class RecordingLog:
    def __init__(self):
        self.warnings = []

    def warning(self, msg, *args, **kwargs):
        self.warnings.append(msg % args)

    def debug(self, *args, **kwargs):
        pass


@pytest.fixture
def recording_log(monkeypatch):
    rec = RecordingLog()
    monkeypatch.setattr(http, "log", rec)
    monkeypatch.setattr(http, "_warned_styles", set())
    monkeypatch.setattr(http, "_styles_cache", {})
    return rec


# ---------------------------------------------------------------- style selection


def test_default_styles_from_config():
    # The placeholder (and the real loader) default to datadog,tracecontext,baggage.
    assert http._styles(["datadog", "tracecontext", "baggage"]) == ("datadog", "tracecontext", "baggage")


def test_styles_read_at_call_time(styles):
    ctx = Context(trace_id=1, span_id=2, sampling_priority=1)
    styles(inject=["datadog"])
    headers = {}
    HTTPPropagator.inject(ctx, headers)
    assert set(headers) == {"x-datadog-trace-id", "x-datadog-parent-id", "x-datadog-sampling-priority"}
    styles(inject=["b3"])
    headers = {}
    HTTPPropagator.inject(ctx, headers)
    assert set(headers) == {"b3"}


def test_all_inject_styles(styles):
    styles(inject=ALL_STYLES)
    headers = {}
    HTTPPropagator.inject(Context(trace_id=1, span_id=2, sampling_priority=1, baggage={"a": "b"}), headers)
    assert set(headers) == {
        "x-datadog-trace-id",
        "x-datadog-parent-id",
        "x-datadog-sampling-priority",
        "traceparent",
        "tracestate",
        "x-b3-traceid",
        "x-b3-spanid",
        "x-b3-sampled",
        "b3",
        "baggage",
    }


@pytest.mark.parametrize("names", [["none"], [], None, ["None"]])
def test_none_style(styles, names, monkeypatch):
    monkeypatch.setattr(config, "_propagation_style_inject", names)
    monkeypatch.setattr(config, "_propagation_style_extract", names)
    headers = {}
    HTTPPropagator.inject(Context(trace_id=1, span_id=2, baggage={"a": "b"}), headers)
    assert headers == {}
    ctx = HTTPPropagator.extract({"x-datadog-trace-id": "1", "traceparent": "00-%s-%s-01" % (TC_TRACE, TC_PARENT)})
    assert ctx.trace_id is None


def test_unknown_styles_warn_once_and_are_ignored(styles, recording_log):
    styles(inject=["datadog", "jaeger", "JAEGER"], extract=["jaeger", "b3multi"])
    for _ in range(3):
        headers = {}
        HTTPPropagator.inject(Context(trace_id=1, span_id=2), headers)
        assert set(headers) == {"x-datadog-trace-id", "x-datadog-parent-id"}
        HTTPPropagator.extract(headers)
    assert len(recording_log.warnings) == 1
    assert "'jaeger'" in recording_log.warnings[0]


def test_style_names_normalised(recording_log):
    names = [" Datadog ", "TRACECONTEXT", "b3  single   header", "datadog"]
    assert http._styles(names) == ("datadog", "tracecontext", "b3")
    # A loader that split the legacy name on spaces still means the b3 single style.
    assert http._styles(["b3", "single", "header", "baggage"]) == ("b3", "baggage")
    assert http._styles("datadog,b3multi") == ("datadog", "b3multi")
    assert recording_log.warnings == []


def test_unhashable_style_list_still_works():
    assert http._styles([["datadog"], "b3"]) == ("b3",)


# ---------------------------------------------------------------- combining extracted styles


def dd_headers(trace_id, parent_id, priority=None):
    h = {"x-datadog-trace-id": str(trace_id), "x-datadog-parent-id": str(parent_id)}
    if priority is not None:
        h["x-datadog-sampling-priority"] = str(priority)
    return h


def test_first_style_wins_and_others_become_links(styles):
    styles(extract=["datadog", "tracecontext", "b3multi"])
    headers = dd_headers(1, 2, 1)
    headers["traceparent"] = "00-%s-%s-01" % (TC_TRACE, TC_PARENT)
    headers["tracestate"] = "dd=s:2,congo=x"
    headers["x-b3-traceid"] = "00000000000000000000000000000001"  # same trace as datadog
    headers["x-b3-spanid"] = "0000000000000009"
    ctx = HTTPPropagator.extract(headers)
    assert (ctx.trace_id, ctx.span_id, ctx.sampling_priority) == (1, 2, 1)
    assert ctx._span_links == [
        SpanLink(
            int(TC_TRACE, 16),
            int(TC_PARENT, 16),
            tracestate="dd=s:2,congo=x",
            flags=1,
            attributes={"reason": "terminated_context", "context_headers": "tracecontext"},
        )
    ]


def test_conflicting_b3_link_without_tracestate(styles):
    styles(extract=["tracecontext", "b3"])
    headers = {"traceparent": "00-%s-%s-00" % (TC_TRACE, TC_PARENT), "b3": "0000000000000005-0000000000000006-0"}
    ctx = HTTPPropagator.extract(headers)
    assert ctx.trace_id == int(TC_TRACE, 16)
    (link,) = ctx._span_links
    assert (link.trace_id, link.span_id, link.flags, link.tracestate) == (5, 6, 0, None)
    assert link.attributes == {"reason": "terminated_context", "context_headers": "b3"}


def test_conflicting_context_without_span_id_not_linked(styles):
    styles(extract=["tracecontext", "datadog"])
    headers = {"traceparent": "00-%s-%s-01" % (TC_TRACE, TC_PARENT), "x-datadog-trace-id": "77"}
    ctx = HTTPPropagator.extract(headers)
    assert ctx.trace_id == int(TC_TRACE, 16) and ctx._span_links is None


def test_extract_first_stops_at_first_context(styles):
    styles(extract=["datadog", "tracecontext"], first=True)
    headers = dd_headers(1, 2)
    headers["traceparent"] = "00-%s-%s-01" % (TC_TRACE, TC_PARENT)
    headers["tracestate"] = "congo=x"
    ctx = HTTPPropagator.extract(headers)
    assert (ctx.trace_id, ctx.span_id) == (1, 2)
    assert ctx._span_links is None
    assert "tracestate" not in ctx._meta


def test_extract_first_skips_styles_that_yield_nothing(styles):
    styles(extract=["datadog", "tracecontext"], first=True)
    ctx = HTTPPropagator.extract({"x-datadog-trace-id": "junk", "traceparent": "00-%s-%s-01" % (TC_TRACE, TC_PARENT)})
    assert ctx.trace_id == int(TC_TRACE, 16)


def test_w3c_proxy_parent_preferred_with_dd_parent_recorded(styles):
    styles(extract=["datadog", "tracecontext"])
    headers = dd_headers(int(TC_TRACE[16:], 16), 0xABC, 2)
    headers["x-datadog-tags"] = "_dd.p.tid=" + TC_TRACE[:16] + ",_dd.p.dm=-4"
    headers["traceparent"] = "00-%s-%s-01" % (TC_TRACE, TC_PARENT)
    headers["tracestate"] = "congo=t61rcWkgMzE"
    ctx = HTTPPropagator.extract(headers)
    assert ctx.trace_id == int(TC_TRACE, 16)
    assert ctx.span_id == int(TC_PARENT, 16)
    assert ctx._meta["_dd.parent_id"] == "0000000000000abc"
    assert ctx.sampling_priority == 2
    assert ctx._meta["_dd.p.dm"] == "-4"
    assert ctx._meta["tracestate"] == "congo=t61rcWkgMzE"
    assert ctx._span_links is None


def test_w3c_proxy_tracestate_p_wins_over_dd_header(styles):
    styles(extract=["datadog", "tracecontext"])
    headers = dd_headers(int(TC_TRACE, 16) & (2**64 - 1), 0xABC)
    headers["traceparent"] = "00-%s-%s-01" % (TC_TRACE, TC_PARENT)
    headers["tracestate"] = "dd=s:1;p:0000000000000def"
    ctx = HTTPPropagator.extract(headers)
    # The datadog headers only knew the low 64 bits: same trace, and the full id is kept.
    assert ctx.trace_id == int(TC_TRACE, 16)
    assert ctx.span_id == int(TC_PARENT, 16)
    assert ctx._meta["_dd.parent_id"] == "0000000000000def"


def test_same_parent_no_reparenting(styles):
    styles(extract=["datadog", "tracecontext"])
    headers = dd_headers(1, int(TC_PARENT, 16))
    headers["traceparent"] = "00-%s-%s-01" % ("0" * 31 + "1", TC_PARENT)
    ctx = HTTPPropagator.extract(headers)
    assert ctx.span_id == int(TC_PARENT, 16)
    assert "_dd.parent_id" not in ctx._meta


def test_proxy_inject_after_extract_keeps_other_vendors(styles):
    styles(extract=["datadog", "tracecontext"], inject=["tracecontext"])
    headers = dd_headers(1, 2, 1)
    headers["traceparent"] = "00-%s-%s-01" % ("0" * 31 + "1", "0000000000000002")
    headers["tracestate"] = "dd=s:1;p:0000000000000002,rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"
    ctx = HTTPPropagator.extract(headers)
    out = {}
    HTTPPropagator.inject(ctx, out)
    assert out["tracestate"] == "dd=s:1;p:0000000000000002,rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"


def test_no_context_returns_empty_context_with_baggage(styles):
    styles(extract=ALL_STYLES)
    ctx = HTTPPropagator.extract({"baggage": "a=b", "x-datadog-trace-id": "0"})
    assert ctx.trace_id is None and ctx.span_id is None and ctx.sampling_priority is None
    assert ctx._baggage == {"a": "b"}
    assert ctx.is_remote


# ---------------------------------------------------------------- API edges


class Exploding:
    def items(self):
        raise RuntimeError("boom")


@pytest.mark.parametrize("headers", [None, 42, "x-datadog-trace-id", Exploding(), [("x-datadog-trace-id", "1")], {}])
def test_extract_bad_carriers(headers):
    ctx = HTTPPropagator.extract(headers)
    assert isinstance(ctx, Context) and ctx.trace_id is None


def test_extract_mapping_types(styles):
    styles(extract=["datadog"])
    proxy = types.MappingProxyType({"X-Datadog-Trace-Id": "3"})
    assert HTTPPropagator.extract(proxy).trace_id == 3


@pytest.mark.parametrize("what", [None, "span", 42, {}])
def test_inject_bad_subject(what):
    headers = {}
    HTTPPropagator.inject(what, headers)
    assert headers == {}


def test_inject_read_only_carrier_does_not_raise(internal_errors):
    internal_errors.allowed = True
    HTTPPropagator.inject(Context(trace_id=1, span_id=2), types.MappingProxyType({}))
    assert [what for what, _ in internal_errors.errors] == ["injecting trace context into headers"]


def test_inject_span_samples_first(tracer, styles):
    styles(inject=["datadog"])
    sampler = FixedSampler(priority=2, decision_maker="-4")
    tracer.configure(sampler=sampler)
    span = tracer.start_span("client")
    assert span.context.sampling_priority is None
    headers = {}
    HTTPPropagator.inject(span, headers)
    assert sampler.calls == 1
    assert headers["x-datadog-sampling-priority"] == "2"
    assert "_dd.p.dm=-4" in headers["x-datadog-tags"]
    assert headers["x-datadog-parent-id"] == str(span.span_id)
    HTTPPropagator.inject(span, {})
    assert sampler.calls == 1  # decided once per trace


def test_inject_context_does_not_sample(tracer, styles):
    styles(inject=["datadog"])
    sampler = FixedSampler()
    tracer.configure(sampler=sampler)
    span = tracer.start_span("client")
    headers = {}
    HTTPPropagator.inject(span.context, headers)
    assert sampler.calls == 0
    assert "x-datadog-sampling-priority" not in headers
    HTTPPropagator.inject(span.context, headers, non_active_span=span)
    assert sampler.calls == 1
    assert headers["x-datadog-sampling-priority"] == "1"


def test_inject_span_whose_sampler_fails(tracer, styles, internal_errors):
    class Broken:
        def sample(self, span):
            raise ValueError("broken sampler")

    internal_errors.allowed = True
    styles(inject=["datadog"])
    tracer.configure(sampler=Broken())
    span = tracer.start_span("client")
    headers = {}
    HTTPPropagator.inject(span, headers)
    assert headers["x-datadog-parent-id"] == str(span.span_id)
    assert [what for what, _ in internal_errors.errors] == ["making the sampling decision before propagating a trace"]


def test_inject_hand_built_span(styles):
    styles(inject=["datadog"])
    span = Span("manual", trace_id=5, span_id=6)
    headers = {}
    HTTPPropagator.inject(span, headers)
    assert headers == {"x-datadog-trace-id": "5", "x-datadog-parent-id": "6"}


def test_header_constants():
    assert http.HTTP_HEADER_TRACE_ID == "x-datadog-trace-id"
    assert http.HTTP_HEADER_PARENT_ID == "x-datadog-parent-id"
    assert http.HTTP_HEADER_SAMPLING_PRIORITY == "x-datadog-sampling-priority"
    assert http.HTTP_HEADER_ORIGIN == "x-datadog-origin"


@pytest.mark.parametrize(
    "headers",
    [
        {"x-datadog-trace-id": b"123", "x-datadog-parent-id": b"456", "x-datadog-sampling-priority": b"1"},
        {b"x-datadog-trace-id": b"123", b"x-datadog-parent-id": b"456"},
        {"traceparent": b"00-0000000000000000000000000000007b-00000000000001c8-01", "tracestate": b"dd=s:1"},
        {"x-b3-traceid": bytearray(b"000000000000007b"), "x-b3-spanid": memoryview(b"00000000000001c8")},
    ],
)
def test_extract_bytes_values(headers, styles):
    """Message headers (Kafka and the like) carry bytes: they are read as text."""
    styles(extract=["datadog", "tracecontext", "b3multi", "baggage"])
    ctx = HTTPPropagator.extract(headers)
    assert (ctx.trace_id, ctx.span_id) == (123, 456)


def test_extract_bytes_baggage():
    ctx = HTTPPropagator.extract({"baggage": b"user=alice,k=v%20w", "x-datadog-trace-id": b"1"})
    assert ctx.get_all_baggage_items() == {"user": "alice", "k": "v w"}
