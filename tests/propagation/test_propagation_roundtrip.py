"""inject → extract gives back what was sent, for every style and style combination."""
import itertools

import pytest

from ddtrace.propagation.http import HTTPPropagator
from ddtrace.trace import Context

from .conftest import ALL_STYLES

TRACE_STYLES = ["datadog", "tracecontext", "b3multi", "b3"]
COMBINATIONS = [list(c) for n in (1, 2) for c in itertools.permutations(ALL_STYLES, n)] + [
    ALL_STYLES,
    list(reversed(ALL_STYLES)),
    ["tracecontext", "baggage", "datadog"],
]

TRACE_IDS = [1, 2**64 - 1, 0x1234, (0x640CFD8D00000000 << 64) | 1, 2**128 - 1]
SPAN_IDS = [1, 0xB7AD6B7169203331, 2**64 - 1]
BAGGAGE = {"user.id": "alice", "emoji 😀": "a,b;c=d %20 \"q\" \\ ✓", "ключ": "", "k=": " padded "}


def b3_priority(priority):
    # B3 only knows keep / drop / debug.
    return None if priority is None else (2 if priority == 2 else (1 if priority > 0 else 0))


def expected(style, ctx):
    """(trace_id, span_id, priority, origin, tags) that survive one style."""
    tags = {k: v for k, v in ctx._meta.items() if k.startswith("_dd.p.")}
    if style in ("b3multi", "b3"):
        return ctx.trace_id, ctx.span_id, b3_priority(ctx.sampling_priority), None, {}
    if style == "tracecontext" and ctx.sampling_priority is None:
        # The traceparent flag cannot say "undecided": unsampled is what arrives.
        return ctx.trace_id, ctx.span_id, 0, ctx.dd_origin, tags
    return ctx.trace_id, ctx.span_id, ctx.sampling_priority, ctx.dd_origin, tags


def observed(ctx):
    tags = {k: v for k, v in ctx._meta.items() if k.startswith("_dd.p.")}
    return ctx.trace_id, ctx.span_id, ctx.sampling_priority, ctx.dd_origin, tags


def roundtrip(styles_fixture, style_list, ctx):
    styles_fixture(extract=style_list, inject=style_list)
    headers = {}
    HTTPPropagator.inject(ctx, headers)
    for name, value in headers.items():
        assert value.isascii() and value.isprintable(), (name, value)
    return headers, HTTPPropagator.extract(headers)


@pytest.mark.parametrize("style_list", COMBINATIONS, ids=lambda s: "+".join(s))
@pytest.mark.parametrize("trace_id", [TRACE_IDS[0], TRACE_IDS[3]], ids=["64bit", "128bit"])
@pytest.mark.parametrize("priority", [None, -1, 0, 1, 2])
def test_roundtrip_combinations(styles, style_list, trace_id, priority):
    ctx = Context(
        trace_id=trace_id,
        span_id=0xB7AD6B7169203331,
        sampling_priority=priority,
        dd_origin="synthetics-browser",
        meta={"_dd.p.dm": "-4", "_dd.p.usr.id": "dXNlcg=="},
        baggage=BAGGAGE,
    )
    _, got = roundtrip(styles, style_list, ctx)
    trace_styles = [s for s in style_list if s != "baggage"]
    if trace_styles:
        assert observed(got) == expected(trace_styles[0], ctx)
    else:
        assert (got.trace_id, got.span_id, got.sampling_priority) == (None, None, None)
    assert got._span_links is None  # all styles name the same trace
    assert got._baggage == (BAGGAGE if "baggage" in style_list else {})
    assert got.is_remote


@pytest.mark.parametrize("style", TRACE_STYLES)
@pytest.mark.parametrize("trace_id", TRACE_IDS)
@pytest.mark.parametrize("span_id", SPAN_IDS)
def test_roundtrip_ids(styles, style, trace_id, span_id):
    _, got = roundtrip(styles, [style], Context(trace_id=trace_id, span_id=span_id, sampling_priority=1))
    assert (got.trace_id, got.span_id) == (trace_id, span_id)


@pytest.mark.parametrize("style", ["datadog", "tracecontext"])
@pytest.mark.parametrize("origin", ["rum", "synthetics", "ciapp-test", "lambda", "a=b", "x:y/z.1"])
def test_roundtrip_origins(styles, style, origin):
    _, got = roundtrip(styles, [style], Context(trace_id=5, span_id=6, dd_origin=origin))
    assert got.dd_origin == origin


def test_tracecontext_origin_lossy_chars(styles):
    _, got = roundtrip(styles, ["tracecontext"], Context(trace_id=5, span_id=6, dd_origin="a b,c;d~e"))
    assert got.dd_origin == "a_b_c_d_e"


@pytest.mark.parametrize("style", ["datadog", "tracecontext"])
def test_roundtrip_many_tags(styles, style):
    meta = {"_dd.p.dm": "-3", "_dd.p.usr.id": "a=b=c", "_dd.p.ts": "02", "_dd.p.with-dash": "v:1/2"}
    _, got = roundtrip(styles, [style], Context(trace_id=5, span_id=6, meta=meta))
    assert {k: v for k, v in got._meta.items() if k.startswith("_dd.p.")} == meta


def test_roundtrip_baggage_only_context(styles):
    _, got = roundtrip(styles, ALL_STYLES, Context(baggage={"a": "1"}))
    assert got.trace_id is None and got._baggage == {"a": "1"}


def test_roundtrip_wsgi_environ(styles):
    """Headers as a WSGI server hands them to the application."""
    ctx = Context(trace_id=(7 << 64) | 8, span_id=9, sampling_priority=2, meta={"_dd.p.dm": "-4"}, baggage={"k": "v w"})
    headers, _ = roundtrip(styles, ALL_STYLES, ctx)
    environ = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    environ["wsgi.input"] = object()
    got = HTTPPropagator.extract(environ)
    assert observed(got) == expected("datadog", ctx)
    assert got._baggage == {"k": "v w"}
