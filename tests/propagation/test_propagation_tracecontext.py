import pytest

from ddtrace.propagation.http import HTTPPropagator
from ddtrace.trace import Context

TRACE_HEX = "0af7651916cd43dd8448eb211c80319c"
TRACE_ID = int(TRACE_HEX, 16)
PARENT_HEX = "b7ad6b7169203331"
PARENT_ID = int(PARENT_HEX, 16)


@pytest.fixture(autouse=True)
def tracecontext_only(styles):
    styles(extract=["tracecontext"], inject=["tracecontext"])


def inject(ctx):
    headers = {}
    HTTPPropagator.inject(ctx, headers)
    return headers


def extract(traceparent, tracestate=None):
    headers = {"traceparent": traceparent}
    if tracestate is not None:
        headers["tracestate"] = tracestate
    return HTTPPropagator.extract(headers)


# ---------------------------------------------------------------- inject


@pytest.mark.parametrize("priority, flags", [(None, "00"), (-1, "00"), (0, "00"), (1, "01"), (2, "01")])
def test_inject_traceparent_flags(priority, flags):
    headers = inject(Context(trace_id=TRACE_ID, span_id=PARENT_ID, sampling_priority=priority))
    assert headers["traceparent"] == "00-%s-%s-%s" % (TRACE_HEX, PARENT_HEX, flags)


def test_inject_64_bit_trace_id_is_zero_padded():
    headers = inject(Context(trace_id=1, span_id=2))
    assert headers["traceparent"] == "00-00000000000000000000000000000001-0000000000000002-00"
    assert headers["tracestate"] == "dd=p:0000000000000002"


def test_inject_tracestate_dd_member():
    ctx = Context(
        trace_id=TRACE_ID,
        span_id=PARENT_ID,
        sampling_priority=2,
        dd_origin="synthetics",
        meta={"_dd.p.dm": "-4", "_dd.p.usr.id": "baz64==", "_dd.p.tid": "0af7651916cd43dd", "other": "no"},
    )
    assert inject(ctx)["tracestate"] == "dd=s:2;o:synthetics;p:%s;t.dm:-4;t.usr.id:baz64~~" % PARENT_HEX


@pytest.mark.parametrize(
    "origin, encoded",
    [("a,b;c~d=e", "a_b_c_d~e"), ("with space", "with_space"), ("tab\there", "tab_here"), ("ünï", "_n_")],
)
def test_inject_origin_sanitised(origin, encoded):
    headers = inject(Context(trace_id=1, span_id=2, dd_origin=origin))
    assert headers["tracestate"] == "dd=o:%s;p:0000000000000002" % encoded


def test_inject_tag_key_and_value_sanitised():
    ctx = Context(trace_id=1, span_id=2, meta={"_dd.p.a:b=c": "v,1;2~3 =é", "_dd.p.z": "trail  "})
    state = inject(ctx)["tracestate"]
    assert state == "dd=p:0000000000000002;t.a_b_c:v_1_2_3 ~_;t.z:trail__"


def test_inject_dd_member_at_most_256_chars():
    meta = {"_dd.p.k%02d" % i: "v" * 20 for i in range(20)}
    state = inject(Context(trace_id=1, span_id=2, sampling_priority=1, meta=meta))["tracestate"]
    assert state.startswith("dd=s:1;p:0000000000000002;t.k00:")
    assert len(state) - 3 <= 256
    assert len(state) - 3 > 256 - 28  # as many tags as fit


def test_inject_huge_origin_dropped_not_ids():
    state = inject(Context(trace_id=1, span_id=2, sampling_priority=1, dd_origin="o" * 300))["tracestate"]
    assert state == "dd=s:1;p:0000000000000002"


def test_inject_keeps_other_vendors_after_dd():
    received = "congo=t61rcWkgMzE,dd=s:0;p:0000000000000009,rojo=00f067aa0ba902b7"
    ctx = Context(trace_id=1, span_id=2, sampling_priority=1, meta={"tracestate": received})
    assert inject(ctx)["tracestate"] == "dd=s:1;p:0000000000000002,congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"


def test_inject_at_most_32_members():
    others = ",".join("v%d=x" % i for i in range(40))
    state = inject(Context(trace_id=1, span_id=2, meta={"tracestate": others}))["tracestate"]
    members = state.split(",")
    assert len(members) == 32
    assert members[0].startswith("dd=") and members[-1] == "v30=x"


def test_inject_needs_span_id():
    assert inject(Context(trace_id=1)) == {}


# ---------------------------------------------------------------- extract


def test_extract_traceparent_only():
    ctx = extract("00-%s-%s-01" % (TRACE_HEX, PARENT_HEX))
    assert (ctx.trace_id, ctx.span_id, ctx.sampling_priority) == (TRACE_ID, PARENT_ID, 1)
    assert ctx._meta == {}
    assert ctx.is_remote


def test_extract_with_dd_tracestate():
    ctx = extract(
        "00-%s-%s-01" % (TRACE_HEX, PARENT_HEX),
        "dd=s:2;o:rum~x;p:00f067aa0ba902b7;t.dm:-4;t.usr.id:baz64~~;t.tid:ffffffffffffffff;zz:ignored"
        ",congo=t61rcWkgMzE",
    )
    assert ctx.sampling_priority == 2
    assert ctx.dd_origin == "rum=x"
    assert ctx._meta["_dd.p.dm"] == "-4"
    assert ctx._meta["_dd.p.usr.id"] == "baz64=="
    assert ctx._meta["_dd.parent_id"] == "00f067aa0ba902b7"
    assert "_dd.p.tid" not in ctx._meta
    assert ctx.trace_id == TRACE_ID
    assert ctx._meta["tracestate"].endswith(",congo=t61rcWkgMzE")


@pytest.mark.parametrize(
    "flags, s, priority, dm",
    [
        ("01", None, 1, None),
        ("00", None, 0, None),
        ("01", "2", 2, "-4"),
        ("01", "1", 1, "-4"),
        ("01", "0", 1, "-0"),
        ("01", "-1", 1, "-0"),
        ("00", "0", 0, "-4"),
        ("00", "-1", -1, "-4"),
        ("00", "1", 0, None),
        ("00", "2", 0, None),
        ("03", "2", 2, "-4"),  # only the sampled bit counts
        ("01", "junk", 1, "-4"),
    ],
)
def test_extract_sampling_from_flags_and_state(flags, s, priority, dm):
    state = "dd=t.dm:-4" if s is None else "dd=s:%s;t.dm:-4" % s
    ctx = extract("00-%s-%s-%s" % (TRACE_HEX, PARENT_HEX, flags), state)
    assert ctx.sampling_priority == priority
    assert ctx._meta.get("_dd.p.dm") == (dm if s is not None else "-4")


@pytest.mark.parametrize(
    "traceparent",
    [
        "",
        "00-%s-%s-0" % (TRACE_HEX, PARENT_HEX),
        "00-%s-%s-01-extra" % (TRACE_HEX, PARENT_HEX),
        "ff-%s-%s-01" % (TRACE_HEX, PARENT_HEX),
        "0G-%s-%s-01" % (TRACE_HEX, PARENT_HEX),
        "0A-%s-%s-01" % (TRACE_HEX, PARENT_HEX),
        "00-%s-%s-01" % (TRACE_HEX.upper(), PARENT_HEX),
        "00-%s-%s-01" % (TRACE_HEX, PARENT_HEX.upper()),
        "00-%s-%s-0X" % (TRACE_HEX, PARENT_HEX),
        "00-%s-%s-01" % ("0" * 32, PARENT_HEX),
        "00-%s-%s-01" % (TRACE_HEX, "0" * 16),
        "00-%s-%s-01" % ("1" + "0" * 31, PARENT_HEX),  # low 64 bits zero
        "00-%s-%s-01" % (TRACE_HEX[:-1], PARENT_HEX + "0"),
        "00_%s_%s_01" % (TRACE_HEX, PARENT_HEX),
        "00-%s-%s-01" % (TRACE_HEX[:-2] + "-1", PARENT_HEX),
        "01-%s-%s-01x" % (TRACE_HEX, PARENT_HEX),
    ],
)
def test_extract_invalid_traceparent(traceparent):
    ctx = extract(traceparent, "dd=s:2")
    assert ctx.trace_id is None and ctx.span_id is None and ctx.sampling_priority is None


@pytest.mark.parametrize("version", ["01", "cc", "fe"])
def test_extract_future_versions(version):
    ctx = extract("%s-%s-%s-01-what-the-future-brings" % (version, TRACE_HEX, PARENT_HEX))
    assert (ctx.trace_id, ctx.span_id, ctx.sampling_priority) == (TRACE_ID, PARENT_ID, 1)
    ctx = extract("%s-%s-%s-00" % (version, TRACE_HEX, PARENT_HEX))
    assert (ctx.trace_id, ctx.sampling_priority) == (TRACE_ID, 0)


def test_extract_surrounding_whitespace():
    ctx = extract(" \t00-%s-%s-01 " % (TRACE_HEX, PARENT_HEX))
    assert ctx.trace_id == TRACE_ID


@pytest.mark.parametrize(
    "tracestate",
    [
        "dd=s:2,dd=s:1",  # duplicate key
        "dd=s:2,Upper=x",
        "dd=s:2,foo",
        "dd=s:2,foo=bar=baz",
        "dd=s:2,foo=" + "x" * 257,
        "dd=s:2,foo=a\x01b",
        "dd=s:2,1abc=x",
        "dd=s:2,ünï=x",
    ],
)
def test_extract_invalid_tracestate_is_ignored_but_traceparent_kept(tracestate):
    ctx = extract("00-%s-%s-01" % (TRACE_HEX, PARENT_HEX), tracestate)
    assert ctx.trace_id == TRACE_ID
    assert ctx.sampling_priority == 1
    assert "tracestate" not in ctx._meta


def test_extract_tracestate_valid_forms():
    state = "  ,dd=s:1 , a@b=1, 0tenant@sys=x y,  ,key-_*/=v"
    ctx = extract("00-%s-%s-01" % (TRACE_HEX, PARENT_HEX), state)
    assert ctx._meta["tracestate"] == "dd=s:1,a@b=1,0tenant@sys=x y,key-_*/=v"


def test_extract_tracestate_over_32_members_truncated():
    state = ",".join("k%d=v" % i for i in range(40))
    ctx = extract("00-%s-%s-01" % (TRACE_HEX, PARENT_HEX), state)
    assert ctx._meta["tracestate"].split(",") == ["k%d=v" % i for i in range(32)]


def test_extract_zero_p_not_recorded():
    ctx = extract("00-%s-%s-01" % (TRACE_HEX, PARENT_HEX), "dd=p:0000000000000000")
    assert "_dd.parent_id" not in ctx._meta


@pytest.mark.parametrize("field", ["p:XYZ", "p:00F067AA0BA902B7", "s:", "t.:x", "t.a b:1", ":", ";;", "o:"])
def test_extract_bad_dd_fields_ignored(field):
    ctx = extract("00-%s-%s-01" % (TRACE_HEX, PARENT_HEX), "dd=" + field)
    assert ctx.trace_id == TRACE_ID and ctx.sampling_priority == 1
    assert set(ctx._meta) == {"tracestate"}
