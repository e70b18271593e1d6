import pytest

from ddtrace.propagation.http import HTTPPropagator
from ddtrace.settings import config
from ddtrace.trace import Context


@pytest.fixture(autouse=True)
def datadog_only(styles):
    styles(extract=["datadog"], inject=["datadog"])


def inject(ctx):
    headers = {}
    HTTPPropagator.inject(ctx, headers)
    return headers


# ---------------------------------------------------------------- inject


def test_inject_64_bit():
    ctx = Context(trace_id=1234, span_id=5678, sampling_priority=1, meta={"_dd.p.dm": "-0"})
    assert inject(ctx) == {
        "x-datadog-trace-id": "1234",
        "x-datadog-parent-id": "5678",
        "x-datadog-sampling-priority": "1",
        "x-datadog-tags": "_dd.p.dm=-0",
    }


def test_inject_128_bit_sends_low_half_and_tid():
    trace_id = (0x640CFD8D00000000 << 64) | 0xFFFFFFFFFFFFFFFF
    headers = inject(Context(trace_id=trace_id, span_id=1, meta={"_dd.p.dm": "-3"}))
    assert headers["x-datadog-trace-id"] == str(2**64 - 1)
    assert headers["x-datadog-tags"] == "_dd.p.dm=-3,_dd.p.tid=640cfd8d00000000"


def test_inject_ignores_stale_tid_in_meta():
    headers = inject(Context(trace_id=7, span_id=1, meta={"_dd.p.tid": "0000000000000001"}))
    assert "x-datadog-tags" not in headers


def test_inject_origin_and_only_propagated_tags():
    ctx = Context(
        trace_id=1, span_id=2, dd_origin="synthetics", meta={"_dd.p.usr.id": "bob", "_dd.parent_id": "x", "env": "prod"}
    )
    headers = inject(ctx)
    assert headers["x-datadog-origin"] == "synthetics"
    assert headers["x-datadog-tags"] == "_dd.p.usr.id=bob"
    assert "x-datadog-sampling-priority" not in headers


def test_inject_without_span_id_sends_trace_id_only():
    headers = inject(Context(trace_id=9))
    assert headers == {"x-datadog-trace-id": "9"}


@pytest.mark.parametrize("trace_id", [None, 0, -1, 2**128, 2**64, "12", 1.5])
def test_inject_invalid_trace_id_sends_nothing(trace_id):
    assert inject(Context(trace_id=trace_id, span_id=1)) == {}


def test_inject_origin_with_control_chars_not_sent():
    headers = inject(Context(trace_id=1, span_id=2, dd_origin="evil\r\nX-Injected: 1"))
    assert "x-datadog-origin" not in headers


def test_inject_max_size_on_span_local_root(tracer):
    root = tracer.start_span("root")
    child = tracer.start_span("child", child_of=root)
    child.context._meta["_dd.p.big"] = "x" * 600
    headers = {}
    HTTPPropagator.inject(child, headers)
    assert "x-datadog-tags" not in headers
    assert headers["x-datadog-trace-id"] == str(root.trace_id & (2**64 - 1))
    assert root.get_tag("_dd.propagation_error") == "inject_max_size"
    assert child.get_tag("_dd.propagation_error") is None
    # Not on the trace-level meta: it would reach other services' traces and later chunks.
    assert "_dd.propagation_error" not in child.context._meta


def test_inject_max_size_with_bare_context_only_logs():
    ctx = Context(trace_id=1, span_id=2, meta={"_dd.p.big": "x" * 600})
    headers = inject(ctx)
    assert "x-datadog-tags" not in headers
    assert "_dd.propagation_error" not in ctx._meta


@pytest.mark.parametrize("limit, sent", [(11, True), (10, False)])
def test_inject_respects_configured_max_length(monkeypatch, tracer, limit, sent):
    monkeypatch.setattr(config, "_x_datadog_tags_max_length", limit)
    monkeypatch.setattr(config, "_128_bit_trace_id_enabled", False)
    span = tracer.start_span("s")
    span.context._meta["_dd.p.dm"] = "-0"  # the encoded header is 11 characters
    headers = {}
    HTTPPropagator.inject(span, headers)
    assert ("x-datadog-tags" in headers) is sent
    assert (span.get_tag("_dd.propagation_error") is None) is sent


def test_inject_tags_disabled_with_zero_length(monkeypatch, tracer):
    monkeypatch.setattr(config, "_x_datadog_tags_max_length", 0)
    span = tracer.start_span("s")
    headers = {}
    HTTPPropagator.inject(span, headers)
    assert "x-datadog-tags" not in headers
    assert span.get_tag("_dd.propagation_error") == "disabled"


def test_inject_unencodable_tag(tracer):
    span = tracer.start_span("s")
    span.context._meta["_dd.p.bad"] = "a,b"
    headers = {}
    HTTPPropagator.inject(span, headers)
    assert "x-datadog-tags" not in headers
    assert span.get_tag("_dd.propagation_error") == "encoding_error"


# ---------------------------------------------------------------- extract


def test_extract_full():
    ctx = HTTPPropagator.extract(
        {
            "x-datadog-trace-id": "1234",
            "x-datadog-parent-id": "5678",
            "x-datadog-sampling-priority": "2",
            "x-datadog-origin": "rum",
            "x-datadog-tags": "_dd.p.dm=-4,_dd.p.tid=640cfd8d00000000,other=dropped",
        }
    )
    assert ctx.trace_id == (0x640CFD8D00000000 << 64) | 1234
    assert ctx.span_id == 5678
    assert ctx.sampling_priority == 2
    assert ctx.dd_origin == "rum"
    assert ctx._meta == {"_dd.p.dm": "-4", "_dd.origin": "rum"}
    assert ctx.is_remote


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Datadog-Trace-Id": "1", "X-DATADOG-PARENT-ID": "2"},
        {"HTTP_X_DATADOG_TRACE_ID": "1", "HTTP_X_DATADOG_PARENT_ID": "2"},
        {"x_datadog_trace_id": "1", "x_datadog_parent_id": "2"},
    ],
)
def test_extract_header_names_case_insensitive(headers):
    ctx = HTTPPropagator.extract(headers)
    assert (ctx.trace_id, ctx.span_id) == (1, 2)


@pytest.mark.parametrize(
    "value",
    ["0", "-1", "abc", "", " ", "1.0", "+5", "1_0", "0x10", str(2**64), "１２", "99999999999999999999999", "1 2"],
)
def test_extract_invalid_trace_id(value):
    ctx = HTTPPropagator.extract({"x-datadog-trace-id": value, "x-datadog-parent-id": "2"})
    assert ctx.trace_id is None and ctx.span_id is None


@pytest.mark.parametrize("value", ["-1", "abc", str(2**64), "1e3"])
def test_extract_invalid_parent_id_rejects_context(value):
    ctx = HTTPPropagator.extract({"x-datadog-trace-id": "1", "x-datadog-parent-id": value})
    assert ctx.trace_id is None


@pytest.mark.parametrize(
    "headers", [{"x-datadog-trace-id": "5"}, {"x-datadog-trace-id": "5", "x-datadog-parent-id": "0"}]
)
def test_extract_without_parent(headers):
    ctx = HTTPPropagator.extract(headers)
    assert ctx.trace_id == 5 and ctx.span_id is None


def test_extract_max_ids_and_whitespace():
    ctx = HTTPPropagator.extract({"x-datadog-trace-id": " 18446744073709551615 ", "x-datadog-parent-id": "\t1"})
    assert (ctx.trace_id, ctx.span_id) == (2**64 - 1, 1)


@pytest.mark.parametrize("value", ["x", "1.5", "", "99999999999"])
def test_extract_bad_priority_keeps_context(value):
    ctx = HTTPPropagator.extract(
        {"x-datadog-trace-id": "1", "x-datadog-parent-id": "2", "x-datadog-sampling-priority": value}
    )
    assert ctx.trace_id == 1
    assert ctx.sampling_priority is None


@pytest.mark.parametrize("priority", [-1, 0, 1, 2])
def test_extract_priorities(priority):
    ctx = HTTPPropagator.extract(
        {"x-datadog-trace-id": "1", "x-datadog-parent-id": "2", "x-datadog-sampling-priority": str(priority)}
    )
    assert ctx.sampling_priority == priority


def test_extract_tags_too_long():
    tags = "_dd.p.dm=-4,_dd.p.x=" + "y" * 600
    ctx = HTTPPropagator.extract({"x-datadog-trace-id": "1", "x-datadog-parent-id": "2", "x-datadog-tags": tags})
    assert ctx.trace_id == 1
    assert ctx._meta == {"_dd.propagation_error": "extract_max_size"}


@pytest.mark.parametrize("tags", ["_dd.p.dm", "_dd.p.dm=-4,,", "=x", "_dd.p.a b=1", "_dd.p.dm=-4,junk", "_dd.p.x=\x01"])
def test_extract_malformed_tags(tags):
    ctx = HTTPPropagator.extract({"x-datadog-trace-id": "1", "x-datadog-parent-id": "2", "x-datadog-tags": tags})
    assert ctx.trace_id == 1
    assert ctx._meta == {"_dd.propagation_error": "decoding_error"}


@pytest.mark.parametrize("tid", ["640CFD8D00000000", "640cfd8d", "zz0cfd8d00000000", "640cfd8d000000000"])
def test_extract_malformed_tid(tid):
    ctx = HTTPPropagator.extract(
        {"x-datadog-trace-id": "1", "x-datadog-parent-id": "2", "x-datadog-tags": "_dd.p.dm=-0,_dd.p.tid=" + tid}
    )
    assert ctx.trace_id == 1
    assert ctx._meta["_dd.p.dm"] == "-0"
    assert ctx._meta["_dd.propagation_error"] == "malformed_tid " + tid
    assert "_dd.p.tid" not in ctx._meta


def test_extract_origin_with_control_chars_ignored():
    ctx = HTTPPropagator.extract({"x-datadog-trace-id": "1", "x-datadog-origin": "a\nb"})
    assert ctx.trace_id == 1 and ctx.dd_origin is None


@pytest.mark.parametrize(
    "headers",
    [
        {"x-datadog-trace-id": None},
        {1: "1", None: "2"},
        {"x-datadog-trace-id": ["1"]},
        {"x-datadog-trace-id": b"\xff\xfe"},  # not UTF-8
    ],
)
def test_extract_non_str_ignored(headers):
    assert HTTPPropagator.extract(headers).trace_id is None


def test_extract_first_spelling_wins():
    ctx = HTTPPropagator.extract({"x-datadog-trace-id": "1", "X-Datadog-Trace-Id": "2"})
    assert ctx.trace_id == 1
