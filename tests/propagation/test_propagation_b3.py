import pytest

from ddtrace.propagation.http import HTTPPropagator
from ddtrace.trace import Context

T64 = "463ac35c9f6413ad"
T128 = "80f198ee56343ba864fe8b2a57d3eff7"
SPAN = "e457b5a2e4d86bd1"


def inject(ctx):
    headers = {}
    HTTPPropagator.inject(ctx, headers)
    return headers


# ---------------------------------------------------------------- b3multi


@pytest.fixture
def multi(styles):
    styles(extract=["b3multi"], inject=["b3multi"])


@pytest.mark.parametrize(
    "priority, expected",
    [
        (None, {}),
        (-1, {"x-b3-sampled": "0"}),
        (0, {"x-b3-sampled": "0"}),
        (1, {"x-b3-sampled": "1"}),
        (2, {"x-b3-sampled": "1", "x-b3-flags": "1"}),
    ],
)
def test_multi_inject(multi, priority, expected):
    headers = inject(Context(trace_id=int(T64, 16), span_id=int(SPAN, 16), sampling_priority=priority))
    assert headers == dict({"x-b3-traceid": T64, "x-b3-spanid": SPAN}, **expected)


def test_multi_inject_128(multi):
    headers = inject(Context(trace_id=int(T128, 16), span_id=1))
    assert headers["x-b3-traceid"] == T128
    assert headers["x-b3-spanid"] == "0000000000000001"


def test_multi_inject_needs_span_id(multi):
    assert inject(Context(trace_id=1)) == {}


@pytest.mark.parametrize(
    "extra, priority",
    [
        ({}, None),
        ({"x-b3-sampled": "1"}, 1),
        ({"x-b3-sampled": "0"}, 0),
        ({"x-b3-sampled": "true"}, 1),
        ({"x-b3-sampled": "False"}, 0),
        ({"x-b3-sampled": "maybe"}, None),
        ({"x-b3-flags": "1"}, 2),
        ({"x-b3-flags": "1", "x-b3-sampled": "0"}, 2),
        ({"x-b3-flags": "0", "x-b3-sampled": "1"}, 1),
    ],
)
def test_multi_extract_sampling(multi, extra, priority):
    ctx = HTTPPropagator.extract(dict({"X-B3-TraceId": T64, "X-B3-SpanId": SPAN}, **extra))
    assert (ctx.trace_id, ctx.span_id, ctx.sampling_priority) == (int(T64, 16), int(SPAN, 16), priority)


@pytest.mark.parametrize("trace", [T128, T128.upper(), "0000000000000000" + T64])
def test_multi_extract_128(multi, trace):
    ctx = HTTPPropagator.extract({"x-b3-traceid": trace, "x-b3-spanid": SPAN})
    assert ctx.trace_id == int(trace, 16)


@pytest.mark.parametrize(
    "trace, span",
    [
        ("", SPAN),
        ("abc", SPAN),  # wrong length
        (T64 + "0", SPAN),
        (T64, SPAN[:-1]),
        (T64, SPAN + "00"),
        ("0" * 16, SPAN),
        (T64, "0" * 16),
        ("1" + "0" * 31, SPAN),  # low 64 bits zero
        ("0x" + T64[2:], SPAN),
        ("+" + T64[1:], SPAN),
        (T64, "g" + SPAN[1:]),
    ],
)
def test_multi_extract_invalid(multi, trace, span):
    assert HTTPPropagator.extract({"x-b3-traceid": trace, "x-b3-spanid": span}).trace_id is None


def test_multi_extract_needs_both(multi):
    assert HTTPPropagator.extract({"x-b3-traceid": T64}).trace_id is None
    assert HTTPPropagator.extract({"x-b3-spanid": SPAN}).trace_id is None


# ---------------------------------------------------------------- b3 single


@pytest.fixture
def single(styles):
    styles(extract=["b3"], inject=["b3"])


@pytest.mark.parametrize("priority, suffix", [(None, ""), (-1, "-0"), (0, "-0"), (1, "-1"), (2, "-d")])
def test_single_inject(single, priority, suffix):
    headers = inject(Context(trace_id=int(T128, 16), span_id=int(SPAN, 16), sampling_priority=priority))
    assert headers == {"b3": "%s-%s%s" % (T128, SPAN, suffix)}


def test_single_inject_64(single):
    assert inject(Context(trace_id=int(T64, 16), span_id=1, sampling_priority=1)) == {"b3": T64 + "-0000000000000001-1"}


@pytest.mark.parametrize(
    "value, trace, priority",
    [
        ("%s-%s" % (T64, SPAN), T64, None),
        ("%s-%s-1" % (T128, SPAN), T128, 1),
        ("%s-%s-0" % (T64, SPAN), T64, 0),
        ("%s-%s-d" % (T64, SPAN), T64, 2),
        ("%s-%s-1-%s" % (T64, SPAN, "05e3ac9a4f6e3b90"), T64, 1),
        (" %s-%s-1 " % (T64, SPAN), T64, 1),
    ],
)
def test_single_extract(single, value, trace, priority):
    ctx = HTTPPropagator.extract({"B3": value})
    assert (ctx.trace_id, ctx.span_id, ctx.sampling_priority) == (int(trace, 16), int(SPAN, 16), priority)


@pytest.mark.parametrize(
    "value",
    [
        "0",
        "1",
        "d",
        "",
        "garbage",
        "%s" % T64,
        "%s-%s-x" % (T64, SPAN),
        "%s-%s-1-zz" % (T64, SPAN),
        "%s-%s-1-%s-more" % (T64, SPAN, SPAN),
        "%s--1" % T64,
        "-%s-1" % SPAN,
        "%s-%s" % ("0" * 16, SPAN),
    ],
)
def test_single_extract_without_ids(single, value):
    ctx = HTTPPropagator.extract({"b3": value})
    assert ctx.trace_id is None and ctx.span_id is None and ctx.sampling_priority is None


def test_legacy_single_header_name(styles):
    styles(extract=["b3 single header"], inject=["B3 Single Header"])
    headers = inject(Context(trace_id=1, span_id=2, sampling_priority=1))
    assert headers == {"b3": "0000000000000001-0000000000000002-1"}
    assert HTTPPropagator.extract(headers).span_id == 2
