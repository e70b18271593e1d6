"""Property tests: hostile input never breaks extract(); valid contexts survive a round trip."""
import contextlib

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from ddtrace.propagation.http import HTTPPropagator
from ddtrace.settings import config
from ddtrace.trace import Context
from ddtrace.trace.links import SpanLink

from .conftest import ALL_STYLES

MAX64 = 2**64 - 1
MAX128 = 2**128 - 1

STYLE_SETS = [["datadog"], ["tracecontext"], ["b3multi", "b3", "baggage"], ALL_STYLES, list(reversed(ALL_STYLES))]
HEADER_NAMES = [
    "x-datadog-trace-id",
    "x-datadog-parent-id",
    "x-datadog-sampling-priority",
    "x-datadog-origin",
    "x-datadog-tags",
    "traceparent",
    "tracestate",
    "x-b3-traceid",
    "x-b3-spanid",
    "x-b3-sampled",
    "x-b3-flags",
    "b3",
    "baggage",
]


@contextlib.contextmanager
def use_styles(style_list, first=False):
    # Not the monkeypatch fixture: it would be shared by every hypothesis example.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(config, "_propagation_style_extract", list(style_list))
        mp.setattr(config, "_propagation_style_inject", list(style_list))
        mp.setattr(config, "_propagation_extract_first", first)
        yield


# ---------------------------------------------------------------- valid contexts

trace_ids = st.one_of(st.integers(1, MAX64), st.integers(1, MAX128)).filter(lambda t: t & MAX64)
span_ids = st.integers(1, MAX64)
priorities = st.sampled_from([None, -1, 0, 1, 2])
safe_chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._/:+@!?*=()[]{}<>#$%&'\"|^`"
origins = st.none() | st.text(alphabet=safe_chars, min_size=1, max_size=30)
tag_keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1, max_size=10).map(
    lambda k: "_dd.p." + k
)
tag_values = st.text(alphabet=safe_chars, min_size=1, max_size=16)
tags = st.dictionaries(tag_keys.filter(lambda k: k != "_dd.p.tid"), tag_values, max_size=4)
no_surrogates = st.characters(blacklist_categories=("Cs",))
baggages = st.dictionaries(
    st.text(no_surrogates, min_size=1, max_size=12), st.text(no_surrogates, max_size=20), max_size=10
)


@st.composite
def contexts(draw):
    return Context(
        trace_id=draw(trace_ids),
        span_id=draw(span_ids),
        sampling_priority=draw(priorities),
        dd_origin=draw(origins),
        meta=draw(tags),
        baggage=draw(baggages),
    )


# ---------------------------------------------------------------- hostile headers

header_name = st.sampled_from(HEADER_NAMES).flatmap(
    lambda n: st.sampled_from([n, n.upper(), n.title(), "HTTP_" + n.upper().replace("-", "_")])
)
hex_text = st.text(alphabet="0123456789abcdefABCDEF-xX", max_size=40)
number_text = st.one_of(
    st.integers(-(2**130), 2**130).map(str),
    st.integers(0, 2**130).map(lambda i: "%x" % i),
    st.integers(0, 2**130).map(lambda i: "%032x" % i),
    st.integers(0, 2**70).map(lambda i: "%016x" % i),
)
flags = st.sampled_from(["00", "01", "ff", "0", "1", "d", "true", "FF", "-1", "2"])
traceparent_like = st.builds(
    lambda v, t, p, f, extra: "%s-%s-%s-%s%s" % (v, t, p, f, extra),
    st.sampled_from(["00", "01", "fe", "ff", "0g", "FF"]) | st.text(max_size=3),
    st.one_of(hex_text, number_text),
    st.one_of(hex_text, number_text),
    flags,
    st.sampled_from(["", "-", "-x", " ", "\x00"]) | st.text(max_size=5),
)
dd_field = st.one_of(
    st.builds(
        lambda k, v: "%s:%s" % (k, v),
        st.sampled_from(["s", "o", "p", "t.dm", "t.tid", "t.", "t.a b", ""]),
        st.text(max_size=20),
    ),
    st.text(max_size=20),
)
tracestate_like = st.lists(
    st.one_of(
        st.builds(lambda fs: "dd=" + ";".join(fs), st.lists(dd_field, max_size=6)),
        st.builds(lambda k, v: "%s=%s" % (k, v), st.text(max_size=10), st.text(max_size=20)),
    ),
    max_size=40,
).map(",".join)
tags_like = st.lists(
    st.builds(
        lambda k, v: "%s=%s" % (k, v),
        st.sampled_from(["_dd.p.dm", "_dd.p.tid", "_dd.p.x", "other", ""]) | st.text(max_size=8),
        st.text(max_size=30) | number_text,
    ),
    max_size=30,
).map(",".join)
b3_like = st.lists(st.one_of(hex_text, number_text, flags), max_size=5).map("-".join)
baggage_like = st.lists(
    st.builds(
        lambda k, v, p: "%s=%s%s" % (k, v, p),
        st.text(max_size=10),
        st.text(max_size=20),
        st.sampled_from(["", ";p", ";p=1"]),
    ),
    max_size=80,
).map(",".join) | st.builds(  # oversized headers
    lambda unit, n: unit * n, st.sampled_from(["ab=cd,", "%zz,", "k=%E2%9C%93,", "x"]), st.integers(1000, 3000)
)
header_value = st.one_of(
    st.text(max_size=80),
    st.binary(max_size=40),
    st.none(),
    st.integers(),
    st.lists(st.text(max_size=5), max_size=2),
    number_text,
    traceparent_like,
    tracestate_like,
    tags_like,
    b3_like,
    baggage_like,
)
header_key = st.one_of(header_name, header_name, st.text(max_size=30), st.binary(max_size=10), st.integers(), st.none())
hostile_headers = st.dictionaries(header_key, header_value, max_size=14)


def assert_valid(ctx):
    assert isinstance(ctx, Context)
    assert ctx.is_remote
    if ctx.trace_id is None:
        assert ctx.span_id is None and ctx.sampling_priority is None
    else:
        assert type(ctx.trace_id) is int and 1 <= ctx.trace_id <= MAX128 and ctx.trace_id & MAX64
    if ctx.span_id is not None:
        assert type(ctx.span_id) is int and 1 <= ctx.span_id <= MAX64
    assert ctx.sampling_priority is None or type(ctx.sampling_priority) is int
    for key, value in ctx._meta.items():
        assert type(key) is str and type(value) is str
    for key, value in ctx._baggage.items():
        assert type(key) is str and type(value) is str
    for link in ctx._span_links or ():
        assert isinstance(link, SpanLink)
        assert 1 <= link.trace_id <= MAX128 and link.trace_id & MAX64 and 1 <= link.span_id <= MAX64
        assert link.trace_id != ctx.trace_id
    # Whatever came in, what we send on is well-formed: no header smuggling, no invalid ids.
    out = {}
    HTTPPropagator.inject(ctx, out)
    for name, value in out.items():
        assert type(value) is str and value.isascii() and value.isprintable(), (name, value)


@st.composite
def mutated_text(draw, text):
    """``text`` with a few characters inserted, deleted or replaced."""
    chars = list(text)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(chars)))
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        c = draw(st.characters())
        if op == "insert" or not chars or i == len(chars):
            chars.insert(i, c)
        elif op == "delete":
            del chars[i]
        else:
            chars[i] = c
    return "".join(chars)


@st.composite
def near_valid_headers(draw):
    """Real headers of one or two traces, partly damaged, renamed or dropped, plus junk."""
    first, second = draw(contexts()), draw(contexts())
    split = draw(st.integers(0, len(ALL_STYLES)))
    order = draw(st.permutations(ALL_STYLES))
    headers = {}
    with use_styles(order[:split]):
        HTTPPropagator.inject(first, headers)
    with use_styles(order[split:]):
        HTTPPropagator.inject(second, headers)
    damaged = {}
    for name, value in headers.items():
        action = draw(st.sampled_from(["keep", "keep", "keep", "drop", "mutate", "replace", "rename"]))
        if action == "drop":
            continue
        if action == "mutate":
            value = draw(mutated_text(value))
        elif action == "replace":
            value = draw(header_value)
        elif action == "rename":
            name = draw(st.sampled_from([name.upper(), "HTTP_" + name.upper().replace("-", "_"), name + " "]))
        damaged[name] = value
    damaged.update(draw(st.dictionaries(header_key, header_value, max_size=3)))
    return damaged


@pytest.mark.parametrize("style_list", STYLE_SETS, ids=lambda s: "+".join(s))
@settings(max_examples=100, deadline=None)
@given(headers=st.one_of(hostile_headers, near_valid_headers()), first=st.booleans())
def test_extract_never_raises_and_ids_are_valid(style_list, headers, first):
    with use_styles(style_list, first):
        assert_valid(HTTPPropagator.extract(headers))


@pytest.mark.parametrize("style_list", STYLE_SETS, ids=lambda s: "+".join(s))
@settings(max_examples=50, deadline=None)
@given(value=st.one_of(st.text(), st.binary(), traceparent_like, tracestate_like, tags_like, b3_like, baggage_like))
def test_every_header_alone(style_list, value):
    with use_styles(style_list):
        for name in HEADER_NAMES:
            assert_valid(HTTPPropagator.extract({name: value}))
            valid = {"x-datadog-trace-id": "1", "traceparent": "00-%032x-%016x-01" % (1, 1)}
            assert_valid(HTTPPropagator.extract(dict(valid, **{name: value})))


# ---------------------------------------------------------------- valid contexts round trip


def trace_tags(ctx):
    return {k: v for k, v in ctx._meta.items() if k.startswith("_dd.p.")}


@pytest.mark.parametrize("style", ["datadog", "tracecontext"])
@settings(max_examples=200, deadline=None)
@given(ctx=contexts())
def test_roundtrip_full_fidelity_styles(style, ctx):
    with use_styles([style, "baggage"]):
        headers = {}
        HTTPPropagator.inject(ctx, headers)
        got = HTTPPropagator.extract(headers)
    assert (got.trace_id, got.span_id) == (ctx.trace_id, ctx.span_id)
    priority = ctx.sampling_priority
    if style == "tracecontext" and priority is None:
        priority = 0
    assert got.sampling_priority == priority
    assert got.dd_origin == ctx.dd_origin
    assert trace_tags(got) == trace_tags(ctx)
    assert got._baggage == ctx._baggage


@pytest.mark.parametrize("style", ["b3multi", "b3"])
@settings(max_examples=100, deadline=None)
@given(ctx=contexts())
def test_roundtrip_b3_styles(style, ctx):
    with use_styles([style]):
        headers = {}
        HTTPPropagator.inject(ctx, headers)
        got = HTTPPropagator.extract(headers)
    assert (got.trace_id, got.span_id) == (ctx.trace_id, ctx.span_id)
    p = ctx.sampling_priority
    assert got.sampling_priority == (None if p is None else (2 if p == 2 else int(p > 0)))


@settings(max_examples=100, deadline=None)
@given(ctx=contexts(), order=st.permutations(ALL_STYLES))
def test_roundtrip_all_styles_agree(ctx, order):
    with use_styles(order):
        headers = {}
        HTTPPropagator.inject(ctx, headers)
        got = HTTPPropagator.extract(headers)
    assert (got.trace_id, got.span_id) == (ctx.trace_id, ctx.span_id)
    assert got._span_links is None
    assert got._baggage == ctx._baggage
