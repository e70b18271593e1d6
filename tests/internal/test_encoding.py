"""The trace payload encoders (``ddtrace.internal.encoding``): compiled and pure-Python.

Payloads are checked by decoding them with the ``msgpack`` package and comparing with
an independent model of the documented coercion rules (``expected_span``), and the two
implementations are checked to produce the very same bytes.
"""
import math
import os
import threading

import msgpack
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from ddtrace.internal import _encoding
from ddtrace.internal import _encoding_py
from ddtrace.internal import encoding
from ddtrace.internal.encoding import BufferFull
from ddtrace.internal.encoding import BufferItemTooLarge
from ddtrace.internal.encoding import EncoderReentered
from ddtrace.internal.encoding import create_encoder
from ddtrace.trace import Span
from ddtrace.trace.links import SpanLink

VERSIONS = ("v0.4", "v0.5")
IMPLS = {"cython": _encoding, "python": _encoding_py}
MASK64 = (1 << 64) - 1


def make(impl, version, max_size=20 << 20, max_item_size=20 << 20):
    cls = IMPLS[impl].MsgpackEncoderV04 if version == "v0.4" else IMPLS[impl].MsgpackEncoderV05
    return cls(max_size, max_item_size)


@pytest.fixture(params=VERSIONS)
def version(request):
    return request.param


@pytest.fixture(params=sorted(IMPLS))
def impl(request):
    return request.param


# ---------------------------------------------------------------- decoding and the model


def decode(payload, version):
    """The traces of a payload as lists of span dicts shaped alike for v0.4 and v0.5."""
    data = msgpack.unpackb(payload, raw=False, strict_map_key=False)
    if version == "v0.4":
        out = []
        for trace in data:
            spans = []
            for s in trace:
                s = dict(s)
                s.setdefault("type", None)
                s["type"] = s["type"] or None
                spans.append(s)
            out.append(spans)
        return out
    table, traces = data
    assert table[0] == ""
    keys = ("service", "name", "resource", "trace_id", "span_id", "parent_id", "start", "duration", "error")
    out = []
    for trace in traces:
        spans = []
        for arr in trace:
            assert len(arr) == 12
            s = dict(zip(keys, arr[:9]))
            for k in ("service", "name", "resource"):
                s[k] = table[s[k]]
            s["meta"] = {table[k]: table[v] for k, v in arr[9].items()}
            s["metrics"] = {table[k]: v for k, v in arr[10].items()}
            s["type"] = table[arr[11]] or None
            spans.append(s)
        out.append(spans)
    return out


def model_text(v):
    if isinstance(v, str):
        s = "".join(v)  # an exact str with the same characters
    else:
        s = str(v)
    if len(s) > 25000:
        s = s[:24997] + "..."
    return s.encode("utf-8", "replace").decode("utf-8")


_DROP = object()


def model_metric(v):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        v = int(v)
        return v if -(2**63) <= v <= 2**64 - 1 else _DROP
    try:
        f = float(v)
    except Exception:
        return _DROP
    return f if math.isfinite(f) else _DROP


def model_field(v):
    if v is None:
        return ""
    try:
        return model_text(v)
    except Exception:
        return ""


def expected_span(span, version):
    meta = {}
    for k, v in span._meta.items():
        try:
            k, v = model_text(k), model_text(v)
        except Exception:
            continue
        meta[k] = v
    metrics = {}
    for k, v in span._metrics.items():
        try:
            k = model_text(k)
        except Exception:
            continue
        v = model_metric(v)
        if v is not _DROP:
            metrics[k] = v
    d = {
        "trace_id": span.trace_id & MASK64,
        "span_id": span.span_id,
        "parent_id": span.parent_id,
        "service": model_field(span.service),
        "name": model_field(span.name),
        "resource": model_field(span.resource),
        "type": model_field(span.span_type) or None,
        "start": span.start_ns,
        "duration": span.duration_ns if span.duration_ns is not None else 0,
        "error": span.error,
        "meta": meta,
        "metrics": metrics,
    }
    if span._links:
        if version == "v0.4":
            d["span_links"] = [_model_link(link) for link in span._links]
        else:
            import json

            meta["_dd.span_links"] = json.dumps([link.to_dict() for link in span._links], separators=(",", ":"))
    return d


def _model_link(link):
    d = {"trace_id": link.trace_id & MASK64, "trace_id_high": link.trace_id >> 64, "span_id": link.span_id}
    if link.attributes:
        d["attributes"] = {model_text(k): model_text(v) for k, v in link.attributes.items()}
    if link.tracestate:
        d["tracestate"] = link.tracestate
    if link.flags is not None:
        d["flags"] = link.flags | (1 << 31)
    return d


def finished_span(name="op", **kw):
    s = Span(name, **kw)
    s.finish()
    return s


def sample_trace(i=0, service="svc"):
    root = Span("web.request", service=service, resource="GET /x/%d" % i, span_type="web", trace_id=(7 << 64) | (100 + i))
    child = Span("db.query", service="db", resource="SELECT 1", trace_id=root.trace_id, parent_id=root.span_id)
    root.set_tag("http.method", "GET")
    root.set_tag("_dd.p.tid", "0000000000000007")
    root.set_metric("_sampling_priority_v1", 1)
    child.set_tag("component", "sqlite")
    child.set_metric("rows", 3)
    root.finish()
    child.finish()
    return [root, child]


def both_payloads(version, traces):
    out = []
    for name in sorted(IMPLS):
        enc = make(name, version)
        for t in traces:
            enc.put(t)
        out.append(enc.encode())
    return out


class Unprintable:
    def __str__(self):
        raise RuntimeError("no string form")

    def __float__(self):
        raise RuntimeError("no number either")


class Stringy:
    def __str__(self):
        return "stringy!"


class MyStr(str):
    def __str__(self):
        return "overridden"


# ---------------------------------------------------------------- selection


def test_the_compiled_extension_is_used():
    assert encoding.ENCODER_IMPLEMENTATION == "cython"
    assert os.path.splitext(_encoding.__file__)[1] in (".so", ".pyd")
    assert type(create_encoder("v0.4")) is _encoding.MsgpackEncoderV04
    assert type(create_encoder("v0.5")) is _encoding.MsgpackEncoderV05
    assert type(create_encoder()) is _encoding.MsgpackEncoderV05


def test_encoder_attributes(impl, version):
    enc = make(impl, version, max_size=1000, max_item_size=500)
    assert (enc.max_size, enc.max_item_size) == (1000, 500)
    assert enc.api_version == version
    assert enc.content_type == "application/msgpack"
    assert len(enc) == 0


def test_create_encoder_rejects_unknown_version():
    with pytest.raises(ValueError):
        create_encoder("v0.3")


# ---------------------------------------------------------------- round trips


def test_round_trip(impl, version):
    enc = make(impl, version)
    traces = [sample_trace(i) for i in range(3)]
    for t in traces:
        enc.put(t)
    assert len(enc) == 3
    payload, n = enc.encode()
    assert n == 3
    assert decode(payload, version) == [[expected_span(s, version) for s in t] for t in traces]
    assert len(enc) == 0


def test_size_is_the_payload_size(impl, version):
    enc = make(impl, version)
    for i in range(20):
        enc.put(sample_trace(i))
        expected = enc.size
    payload, _ = enc.encode()
    assert len(payload) == expected


def test_empty_encoder(impl, version):
    enc = make(impl, version)
    assert enc.encode() == (None, 0)
    enc.put([])
    assert len(enc) == 0
    assert enc.encode() == (None, 0)


def test_trace_as_tuple_or_iterable(impl, version):
    enc = make(impl, version)
    t = sample_trace()
    enc.put(tuple(t))
    enc.put(iter(t))
    payload, n = enc.encode()
    assert n == 2
    assert decode(payload, version) == [[expected_span(s, version) for s in t]] * 2


def test_v05_string_table_is_deduplicated():
    enc = make("cython", "v0.5")
    for i in range(5):
        enc.put(sample_trace(0))
    table, traces = msgpack.unpackb(enc.encode()[0], strict_map_key=False)
    assert table[0] == ""
    assert len(table) == len(set(table))
    assert len(traces) == 5


def test_none_fields(impl, version):
    s = Span("op")
    s.name = None
    s.resource = None
    s.finish()
    enc = make(impl, version)
    enc.put([s])
    (decoded,) = decode(enc.encode()[0], version)[0]
    assert (decoded["service"], decoded["name"], decoded["resource"], decoded["type"]) == ("", "", "", None)


def test_v04_type_key_only_when_set(impl):
    enc = make(impl, "v0.4")
    enc.put([finished_span("a"), finished_span("b", span_type="web")])
    raw = msgpack.unpackb(enc.encode()[0])[0]
    assert "type" not in raw[0]
    assert raw[1]["type"] == "web"


def test_unfinished_span_has_zero_duration(impl, version):
    enc = make(impl, version)
    enc.put([Span("running")])
    assert decode(enc.encode()[0], version)[0][0]["duration"] == 0


def test_non_span_items_are_refused_and_leave_the_buffer(version):
    enc = make("cython", version)
    good = sample_trace(1)
    enc.put(good)
    before = enc.size
    with pytest.raises(TypeError):
        enc.put([finished_span("new-name"), {"name": "not a span"}])
    assert (len(enc), enc.size) == (1, before)
    assert decode(enc.encode()[0], version) == [[expected_span(s, version) for s in good]]


# ---------------------------------------------------------------- ids


def test_128_bit_trace_ids(impl, version, tracer, monkeypatch):
    from ddtrace.settings import config

    monkeypatch.setattr(config, "_128_bit_trace_id_enabled", True)
    with tracer.trace("root"):
        with tracer.trace("child"):
            pass
    (trace,) = tracer.pop_traces()
    root = [s for s in trace if s.parent_id == 0][0]
    assert root.trace_id > MASK64
    enc = make(impl, version)
    enc.put(trace)
    (decoded,) = decode(enc.encode()[0], version)
    by_id = {s["span_id"]: s for s in decoded}
    for s in trace:
        assert by_id[s.span_id]["trace_id"] == root.trace_id & MASK64
    assert by_id[root.span_id]["meta"]["_dd.p.tid"] == "%016x" % (root.trace_id >> 64)


@pytest.mark.parametrize("tid", [0, 1, MASK64, (1 << 127) | 5, -1, True])
def test_trace_id_low_bits(impl, version, tid):
    s = finished_span(trace_id=tid, span_id=MASK64, parent_id=1)
    enc = make(impl, version)
    enc.put([s])
    (decoded,) = decode(enc.encode()[0], version)[0]
    assert decoded["trace_id"] == int(tid) & MASK64
    assert (decoded["span_id"], decoded["parent_id"]) == (MASK64, 1)


def test_odd_trace_id_and_duration(impl, version):
    s = finished_span()
    s.trace_id = "not an id"
    s.duration_ns = 2**70
    enc = make(impl, version)
    enc.put([s])
    (decoded,) = decode(enc.encode()[0], version)[0]
    assert (decoded["trace_id"], decoded["duration"]) == (0, 0)


# ---------------------------------------------------------------- values


def test_meta_and_metrics_coercion(impl, version):
    s = finished_span()
    s._meta.update({"n": 42, "f": 1.5, "none": None, "obj": Stringy(), "bad": Unprintable(), 7: "int key"})
    s._meta[Unprintable()] = "bad key"
    s._meta["sub"] = MyStr("plain")
    s._metrics.update(
        {
            "i": 3,
            "neg": -(2**63),
            "u64": 2**64 - 1,
            "too_big": 2**64,
            "too_small": -(2**63) - 1,
            "nan": float("nan"),
            "inf": float("inf"),
            "ninf": float("-inf"),
            "true": True,
            "numeric_str": "2.5",
            "word": "abc",
            "none": None,
            "bad": Unprintable(),
            9: 1.25,
        }
    )
    enc = make(impl, version)
    enc.put([s])
    (decoded,) = decode(enc.encode()[0], version)[0]
    assert decoded["meta"] == {
        "n": "42",
        "f": "1.5",
        "none": "None",
        "obj": "stringy!",
        "7": "int key",
        "sub": "plain",
    }
    assert decoded["metrics"] == {"i": 3, "neg": -(2**63), "u64": 2**64 - 1, "true": 1, "numeric_str": 2.5, "9": 1.25}
    assert type(decoded["metrics"]["true"]) is int


def test_long_strings_are_truncated(impl, version):
    exact = "a" * 25000
    long = "é" * 25001
    s = finished_span(exact, resource=long)
    s.set_tag("k", "x" * 100000)
    enc = make(impl, version)
    enc.put([s])
    (decoded,) = decode(enc.encode()[0], version)[0]
    assert decoded["name"] == exact
    assert decoded["resource"] == "é" * 24997 + "..."
    assert decoded["meta"]["k"] == "x" * 24997 + "..."


@pytest.mark.parametrize("text", ["\udc80", "a\ud800b", "\ud83d\ude00", "😀 ünïcødé \x00 \u2028", "\udfff" * 40])
def test_unicode_never_breaks_a_payload(impl, version, text):
    s = finished_span(text, service=text)
    s.set_tag(text, text)
    s.set_metric(text + "#", 1)
    enc = make(impl, version)
    enc.put([s])
    payload, _ = enc.encode()
    (decoded,) = decode(payload, version)[0]  # strict UTF-8 decoding
    want = text.encode("utf-8", "replace").decode("utf-8")
    assert decoded["name"] == decoded["service"] == want
    assert decoded["meta"] == {want: want}
    assert decoded["metrics"] == {want + "#": 1}


def test_identical_bytes_for_odd_values(version):
    s = finished_span("\udc80" * 3, service=Stringy(), resource=12, span_type=MyStr("web"))
    s._meta.update({1: "one", "1": "uno", "\udc80": "a", "?": "b", "big": "z" * 70000, "mid": "y" * 300})
    s._metrics.update({"a": 1, "b": 200, "c": 70000, "d": 2**33, "e": -1, "f": -100, "g": -30000, "h": -(2**40)})
    s._metrics.update({"x": 0.1, "y": True, "z": 2**64 - 1})
    s.set_link((3 << 64) | 4, 5, tracestate="dd=s:1", flags=0, attributes={"\udc80": 1, "?": 2, "k": ["a", "b"]})
    traces = [[s], sample_trace(1)] + [sample_trace(i) for i in range(20)]
    (c, nc), (p, np_) = both_payloads(version, traces)
    assert c == p
    assert nc == np_ == 22


# ---------------------------------------------------------------- span links


def test_span_links(impl, version):
    s = finished_span()
    s.set_link((1 << 64) | 2, 3, tracestate="dd=s:2", flags=1, attributes={"link.kind": "follows", "n": 1})
    s.set_link(9, 10)
    enc = make(impl, version)
    enc.put([s])
    (decoded,) = decode(enc.encode()[0], version)[0]
    assert decoded == expected_span(s, version)
    if version == "v0.4":
        assert decoded["span_links"][0] == {
            "trace_id": 2,
            "trace_id_high": 1,
            "span_id": 3,
            "attributes": {"link.kind": "follows", "n": "1"},
            "tracestate": "dd=s:2",
            "flags": 1 | (1 << 31),
        }
        assert decoded["span_links"][1] == {"trace_id": 9, "trace_id_high": 0, "span_id": 10}
    else:
        import json

        links = json.loads(decoded["meta"]["_dd.span_links"])
        assert links[0]["trace_id"] == "00000000000000010000000000000002"
        assert links[0]["span_id"] == "0000000000000003"
        assert links[1] == {"trace_id": "0000000000000000000000000000000" + "9", "span_id": "000000000000000a"}


def test_v05_links_replace_an_existing_span_links_tag(impl):
    s = finished_span()
    s._meta["_dd.span_links"] = "stale"
    s.set_link(1, 2)
    enc = make(impl, "v0.5")
    enc.put([s])
    table, traces = msgpack.unpackb(enc.encode()[0], strict_map_key=False)
    meta = traces[0][0][9]
    assert [table[k] for k in meta] == ["_dd.span_links"]
    assert "stale" not in [table[v] for v in meta.values()]


def test_broken_link_is_dropped(impl, version):
    s = finished_span()
    s.set_link(1, 2)
    s._links.append("not a link")
    enc = make(impl, version)
    enc.put([s])
    (decoded,) = decode(enc.encode()[0], version)[0]
    if version == "v0.4":
        assert decoded["span_links"] == [{"trace_id": 1, "trace_id_high": 0, "span_id": 2}]
    else:
        assert decoded["meta"]["_dd.span_links"] == '[{"trace_id":"00000000000000000000000000000001","span_id":"0000000000000002"}]'


# ---------------------------------------------------------------- limits


def test_buffer_full_leaves_the_buffer_untouched(impl, version):
    enc = make(impl, version, max_size=2000)
    accepted = []
    i = 0
    while True:
        t = sample_trace(i, service="svc-%d" % i)  # new strings each time (v0.5 table)
        size_before, len_before = enc.size, len(enc)
        try:
            enc.put(t)
        except BufferFull:
            assert (enc.size, len(enc)) == (size_before, len_before)
            break
        accepted.append(t)
        i += 1
    assert len(accepted) >= 2
    # A smaller trace still fits, and the rolled-back strings are gone from the table.
    payload, n = enc.encode()
    assert n == len(accepted)
    reference = make(impl, version)
    for t in accepted:
        reference.put(t)
    assert payload == reference.encode()[0]
    assert decode(payload, version) == [[expected_span(s, version) for s in t] for t in accepted]


def test_item_too_large(impl, version):
    enc = make(impl, version, max_size=1 << 20, max_item_size=500)
    enc.put(sample_trace(0))
    before = (enc.size, len(enc))
    big = finished_span(resource="r" * 1000)
    with pytest.raises(BufferItemTooLarge):
        enc.put([big])
    assert (enc.size, len(enc)) == before
    enc.put(sample_trace(1))
    payload, n = enc.encode()
    assert n == 2
    assert [t[0]["resource"] for t in decode(payload, version)] == ["GET /x/0", "GET /x/1"]


def test_trace_bigger_than_an_empty_buffer_is_too_large(impl, version):
    enc = make(impl, version, max_size=300, max_item_size=1 << 20)
    with pytest.raises(BufferItemTooLarge):
        enc.put([finished_span(resource="r" * 1000)])
    assert enc.encode() == (None, 0)


def test_rolled_back_strings_can_be_added_again(impl):
    enc = make(impl, "v0.5", max_size=1 << 20, max_item_size=200)
    with pytest.raises(BufferItemTooLarge):
        enc.put([finished_span("shared-name", resource="q" * 300)])
    enc.put([finished_span("shared-name")])
    table, traces = msgpack.unpackb(enc.encode()[0], strict_map_key=False)
    assert table == ["", "shared-name"]
    assert table[traces[0][0][1]] == "shared-name"


def test_many_cycles_do_not_grow(version):
    enc = make("cython", version)
    t = sample_trace(0)
    first = None
    capacity = enc._capacity
    for _ in range(300):
        for _ in range(10):
            enc.put(t)
        payload, n = enc.encode()
        if first is None:
            first = payload
        assert payload == first and n == 10
        assert enc._capacity == capacity


def test_big_payload_buffer_shrinks_back(version):
    enc = make("cython", version)
    capacity = enc._capacity
    for i in range(200):
        enc.put([finished_span(resource="%05d" % i + "r" * 20000)])
    assert enc._capacity > capacity
    payload, n = enc.encode()
    assert n == 200 and len(payload) > 200 * 20000
    assert enc._capacity == capacity
    enc.put(sample_trace(0))
    assert decode(enc.encode()[0], version)[0][0]["resource"] == "GET /x/0"


# ---------------------------------------------------------------- threads and fork


def test_after_fork_empties(impl, version):
    enc = make(impl, version)
    enc.put(sample_trace(0))
    enc._after_fork()
    assert len(enc) == 0
    assert enc.encode() == (None, 0)
    enc.put(sample_trace(1))
    payload, n = enc.encode()
    assert n == 1 and decode(payload, version)[0][0]["resource"] == "GET /x/1"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_after_fork_in_a_real_child(version):
    enc = make("cython", version)
    enc.put(sample_trace(0))
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        try:
            enc._after_fork()
            enc.put(sample_trace(5))
            payload, n = enc.encode()
            ok = n == 1 and decode(payload, version)[0][0]["resource"] == "GET /x/5"
            os.write(w, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(w)
    assert os.read(r, 1) == b"1"
    os.close(r)
    os.waitpid(pid, 0)
    assert len(enc) == 1  # the parent's buffer is its own


def test_concurrent_puts_and_encodes(impl, version):
    enc = make(impl, version)
    n_threads, per_thread = 4, 200
    payloads = []
    done = threading.Event()

    def producer(k):
        for i in range(per_thread):
            enc.put(sample_trace(i, service="svc-%d" % k))

    def consumer():
        while not done.is_set():
            p, _ = enc.encode()
            if p is not None:
                payloads.append(p)

    c = threading.Thread(target=consumer)
    c.start()
    threads = [threading.Thread(target=producer, args=(k,)) for k in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    c.join()
    p, _ = enc.encode()
    if p is not None:
        payloads.append(p)
    traces = [t for p in payloads for t in decode(p, version)]
    assert len(traces) == n_threads * per_thread
    services = sorted(t[0]["service"] for t in traces)
    assert services == sorted("svc-%d" % k for k in range(n_threads) for _ in range(per_thread))


def test_reentrant_put_is_refused(impl, version):
    enc = make(impl, version)
    inner_errors = []

    class Tracing:
        def __str__(self):
            try:
                enc.put(sample_trace(9))
            except EncoderReentered as e:
                inner_errors.append(e)
                raise
            return "unreachable"

    s = finished_span()
    s._meta["sneaky"] = Tracing()
    s._meta["kept"] = "yes"
    enc.put([s])
    assert len(inner_errors) == 1
    assert isinstance(inner_errors[0], BufferItemTooLarge)  # writers drop such a trace
    payload, n = enc.encode()
    assert n == 1
    assert decode(payload, version)[0][0]["meta"] == {"kept": "yes"}


# ---------------------------------------------------------------- property-based

any_text = st.text(st.characters(exclude_categories=()), max_size=40) | st.sampled_from(
    ["", "web", "svc", "x" * 31, "x" * 32, "y" * 255, "y" * 256, "\udc80", "é" * 16]
)
tag_keys = any_text | st.integers(-5, 5)
meta_values = any_text | st.integers() | st.floats() | st.none() | st.booleans() | st.just(Unprintable())
metric_values = (
    st.integers(min_value=-(2**70), max_value=2**70)
    | st.sampled_from([0, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63, 2**64 - 1, 2**64])
    | st.sampled_from([-32, -33, -128, -129, -32768, -32769, -(2**31), -(2**31) - 1, -(2**63), -(2**63) - 1])
    | st.floats()
    | st.booleans()
    | st.none()
    | st.sampled_from(["1.5", "nan", "abc"])
)
ids = st.integers(min_value=0, max_value=MASK64)


@st.composite
def spans(draw):
    s = Span(
        draw(any_text | st.none()),
        service=draw(any_text | st.none()),
        resource=draw(any_text | st.none()),
        span_type=draw(any_text | st.none()),
        trace_id=draw(st.integers(min_value=0, max_value=(1 << 128) - 1)),
        span_id=draw(ids),
        parent_id=draw(ids),
    )
    s.start_ns = draw(st.integers(min_value=-(2**63), max_value=2**63 - 1))
    s.duration_ns = draw(st.none() | st.integers(min_value=0, max_value=2**63 - 1))
    s.error = draw(st.sampled_from([0, 1]))
    for k, v in draw(st.lists(st.tuples(tag_keys, meta_values), max_size=6)):
        s._meta[k] = v
    for k, v in draw(st.lists(st.tuples(tag_keys, metric_values), max_size=6)):
        s._metrics[k] = v
    for tid, sid, flags, attrs in draw(
        st.lists(
            st.tuples(
                st.integers(min_value=0, max_value=(1 << 128) - 1),
                ids,
                st.none() | st.integers(0, 255),
                st.dictionaries(any_text, any_text, max_size=2),
            ),
            max_size=2,
        )
    ):
        s.set_link(tid, sid, flags=flags, attributes=attrs)
    return s


traces_strategy = st.lists(st.lists(spans(), min_size=1, max_size=4), min_size=1, max_size=3)


@settings(max_examples=150, deadline=None)
@given(traces=traces_strategy)
def test_property_round_trip_and_identical_bytes(traces):
    for version in VERSIONS:
        (c, nc), (p, np_) = both_payloads(version, traces)
        assert c == p
        assert nc == np_ == len(traces)
        assert decode(c, version) == [[expected_span(s, version) for s in t] for t in traces]


@settings(max_examples=60, deadline=None)
@given(traces=traces_strategy, limit=st.integers(min_value=50, max_value=3000))
def test_property_full_buffers_roll_back(traces, limit):
    for version in VERSIONS:
        for name in sorted(IMPLS):
            enc = make(name, version, max_size=limit, max_item_size=limit // 2 + 1)
            accepted = []
            for t in traces:
                try:
                    enc.put(t)
                except (BufferFull, BufferItemTooLarge):
                    continue
                accepted.append(t)
            payload, n = enc.encode()
            assert n == len(accepted)
            if accepted:
                assert len(payload) <= limit
                reference = make(name, version)
                for t in accepted:
                    reference.put(t)
                assert payload == reference.encode()[0]
            else:
                assert payload is None
