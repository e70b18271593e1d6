import math

from hypothesis import given
from hypothesis import strategies as st
import pytest

from ddtrace.trace import Span
from ddtrace.trace.sampling_rule import SamplingRule
from ddtrace.trace.sampling_rule import _Glob
from ddtrace.trace.sampling_rule import keeps
from ddtrace.trace.sampling_rule import sampling_threshold

KNUTH = 1111111111111111111
MAX64 = 2**64 - 1


def formula(trace_id, rate):
    """The keep test exactly as WIRE.md writes it, evaluated by Python."""
    return ((trace_id & MAX64) * KNUTH) % 2**64 <= rate * (2**64 - 1)


# (trace id, hash of its low 64 bits) worked out by hand:
# K = 1111111111111111111 is odd, so 2**63 * K = 2**63 (mod 2**64), and
# (2**64 - 1) * K = -K = 2**64 - K (mod 2**64).
HASHES = [
    (1, KNUTH),
    (2**63, 2**63),
    (2**64 - 1, 2**64 - KNUTH),
    ((0x640CFD8D << 64) | 1, KNUTH),
    ((0xFFFFFFFFFFFFFFFF << 64) | (2**63), 2**63),
    ((1 << 64) | (2**64 - 1), 2**64 - KNUTH),
]


@pytest.mark.parametrize("trace_id,expected_hash", HASHES)
def test_hash_vectors(trace_id, expected_hash):
    assert ((trace_id & MAX64) * KNUTH) % 2**64 == expected_hash


@pytest.mark.parametrize(
    "trace_id,rate,kept",
    [
        (1, 0.0, False),
        (1, 0.5, True),  # K ~ 0.06 * 2**64
        (1, 1.0, True),
        (1, 0.061, True),  # K / 2**64 = 0.0602...
        (1, 0.06, False),
        # 2**63 sits on the 0.5 threshold: 0.5 * (2**64 - 1) rounds to 2**63 as a float.
        (2**63, 0.0, False),
        (2**63, 0.5, True),
        (2**63, 0.49, False),
        (2**63, 1.0, True),
        (2**64 - 1, 0.0, False),
        (2**64 - 1, 0.5, False),
        (2**64 - 1, 0.93, False),
        (2**64 - 1, 0.95, True),
        (2**64 - 1, 1.0, True),
        # 128-bit ids: only the low 64 bits count.
        ((0x640CFD8D << 64) | 1, 0.5, True),
        ((0x640CFD8D << 64) | (2**64 - 1), 0.5, False),
        ((1 << 127) | (2**63), 0.5, True),
    ],
)
def test_keep_vectors(trace_id, rate, kept):
    assert formula(trace_id, rate) is kept
    assert keeps(trace_id, sampling_threshold(rate)) is kept
    assert SamplingRule(rate).sample(Span("op", trace_id=trace_id)) is kept


def test_rate_zero_drops_even_the_zero_hash():
    # A low-64 of zero hashes to 0, which the bare formula keeps at rate 0; a rate of 0
    # must mean "keep nothing", so it is the one deliberate exception.
    assert formula(1 << 64, 0.0)
    assert not keeps(1 << 64, sampling_threshold(0.0))
    assert keeps(1 << 64, sampling_threshold(1e-9))


@given(trace_id=st.integers(min_value=1, max_value=2**128 - 1), rate=st.floats(min_value=0.0, max_value=1.0))
def test_keep_matches_formula(trace_id, rate):
    if trace_id & MAX64 == 0 and rate == 0.0:
        return
    assert keeps(trace_id, sampling_threshold(rate)) == formula(trace_id, rate)


@given(
    trace_id=st.integers(min_value=0, max_value=2**128 - 1),
    low=st.floats(min_value=0.0, max_value=1.0),
    high=st.floats(min_value=0.0, max_value=1.0),
)
def test_keep_is_monotonic_in_rate(trace_id, low, high):
    low, high = min(low, high), max(low, high)
    if keeps(trace_id, sampling_threshold(low)):
        assert keeps(trace_id, sampling_threshold(high))


def test_rate_is_roughly_honoured_over_sequential_ids():
    kept = sum(keeps(i, sampling_threshold(0.25)) for i in range(1, 20001))
    assert 4500 < kept < 5500


# ---------------------------------------------------------------- globs


def reference_glob(pattern, value):
    """A slow, obviously-correct glob matcher to check the compiled one against."""
    pattern, value = pattern.lower(), value.lower()

    def go(p, v):
        if p == len(pattern):
            return v == len(value)
        c = pattern[p]
        if c == "*":
            return any(go(p + 1, k) for k in range(v, len(value) + 1))
        if v == len(value):
            return False
        if c == "?" or c == value[v]:
            return go(p + 1, v + 1)
        return False

    return go(0, 0)


@pytest.mark.parametrize(
    "pattern,value,matched",
    [
        ("web", "web", True),
        ("web", "WEB", True),
        ("Web", "wEb", True),
        ("web", "web2", False),
        ("web", "my-web", False),
        ("web*", "web", True),
        ("web*", "web-api", True),
        ("*api", "web-api", True),
        ("*api", "web-api-2", False),
        ("w?b", "wob", True),
        ("w?b", "wb", False),
        ("w?b", "wooob", False),
        ("*-*-*", "a-b-c", True),
        ("*-*-*", "a-b", False),
        ("a.b", "a.b", True),
        ("a.b", "axb", False),  # regex metacharacters are literal
        ("[ab]", "[ab]", True),
        ("[ab]", "a", False),
        ("a+", "aa", False),
        ("(x)|y", "(x)|y", True),
        ("^$", "^$", True),
        ("a\\b", "a\\b", True),
        ("GET /users/?", "get /users/1", True),
        ("GET /users/?", "GET /users/12", False),
        ("line*", "line1\nline2", True),
        ("", "", True),
        ("", "x", False),
        ("?", "é", True),
        ("Ünïcode*", "üNÏCODE-x", True),
    ],
)
def test_glob(pattern, value, matched):
    assert _Glob(pattern).match(value) is matched
    assert reference_glob(pattern, value) is matched


@given(
    pattern=st.text(alphabet="ab*?.", max_size=8),
    value=st.text(alphabet="abAB.", max_size=8),
)
def test_glob_agrees_with_reference(pattern, value):
    assert _Glob(pattern).match(value) == reference_glob(pattern, value)


# ---------------------------------------------------------------- rules


def span(name="web.request", service="web", resource="GET /", meta=None, metrics=None):
    s = Span(name, service=service, resource=resource, trace_id=1)
    for k, v in (meta or {}).items():
        s._meta[k] = v
    for k, v in (metrics or {}).items():
        s._metrics[k] = v
    return s


def test_rule_without_patterns_matches_everything():
    rule = SamplingRule(0.5)
    assert rule.matches(span())
    assert rule.matches(span(service=None, resource=""))


@pytest.mark.parametrize(
    "kwargs,matched",
    [
        ({"service": "web"}, True),
        ({"service": "WEB"}, True),
        ({"service": "db"}, False),
        ({"service": "w*"}, True),
        ({"name": "web.*"}, True),
        ({"name": "web.request"}, True),
        ({"name": "web.requests"}, False),
        ({"resource": "GET *"}, True),
        ({"resource": "POST *"}, False),
        ({"service": "web", "name": "web.*", "resource": "GET ?"}, True),
        ({"service": "web", "name": "db.*"}, False),  # every pattern must match
        ({"service": "*", "name": "**", "resource": "***"}, True),
    ],
)
def test_rule_fields(kwargs, matched):
    assert SamplingRule(1.0, **kwargs).matches(span()) is matched


def test_missing_service_only_matches_catch_all_or_empty():
    s = span(service=None)
    assert SamplingRule(1, service="*").matches(s)
    assert SamplingRule(1, service="").matches(s)
    assert not SamplingRule(1, service="?*").matches(s)
    assert not SamplingRule(1, service="web").matches(s)


@pytest.mark.parametrize(
    "tags,matched",
    [
        ({"http.method": "GET"}, True),
        ({"http.method": "get"}, True),
        ({"http.method": "POST"}, False),
        ({"http.method": "G*"}, True),
        ({"http.status_code": "200"}, True),  # integer-valued float metric
        ({"http.status_code": "2??"}, True),
        ({"http.status_code": "200.0"}, False),
        ({"http.status_code": "5*"}, False),
        ({"retries": "3"}, True),  # int metric
        ({"retries": 3}, True),  # numeric pattern, as JSON rules may carry
        ({"ratio": "0.5"}, False),  # non-integer metric: only "*" matches
        ({"ratio": "0*"}, False),
        ({"ratio": "*"}, True),
        ({"absent": "x"}, False),
        ({"absent": "?*"}, False),
        ({"absent": "*"}, True),  # an all-* pattern places no constraint
        ({"HTTP.METHOD": "GET"}, False),  # tag names are exact
        ({"http.method": "GET", "http.status_code": "2*"}, True),
        ({"http.method": "GET", "http.status_code": "4*"}, False),
    ],
)
def test_rule_tags(tags, matched):
    s = span(meta={"http.method": "GET"}, metrics={"http.status_code": 200.0, "retries": 3, "ratio": 0.5})
    assert SamplingRule(1.0, tags=tags).matches(s) is matched


def test_string_tag_wins_over_metric_of_same_name():
    s = span(meta={"code": "abc"}, metrics={"code": 1})
    assert SamplingRule(1, tags={"code": "abc"}).matches(s)
    assert not SamplingRule(1, tags={"code": "1"}).matches(s)


def test_big_and_negative_integer_metrics():
    s = span(metrics={"big": float(2**60), "neg": -4.0})
    assert SamplingRule(1, tags={"big": str(2**60)}).matches(s)
    assert SamplingRule(1, tags={"neg": "-4"}).matches(s)


def test_non_finite_metric_does_not_match():
    s = span(metrics={"x": math.inf})
    assert not SamplingRule(1, tags={"x": "inf*"}).matches(s)


def test_rule_sample_uses_trace_id():
    assert SamplingRule(0.5).sample(Span("op", trace_id=1))
    assert not SamplingRule(0.5).sample(Span("op", trace_id=2**64 - 1))
    assert not SamplingRule(0).sample(Span("op", trace_id=1))


@pytest.mark.parametrize("rate", [1.5, -0.1, math.nan, math.inf])
def test_rule_rejects_out_of_range_rates(rate):
    with pytest.raises(ValueError):
        SamplingRule(rate)


@pytest.mark.parametrize("rate", ["0.5", None, True, [0.5]])
def test_rule_rejects_non_numbers(rate):
    with pytest.raises(TypeError):
        SamplingRule(rate)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"service": ["web"]},
        {"name": 1.5},
        {"resource": object()},
        {"tags": ["a"]},
        {"tags": {"a": []}},
        {"tags": {1: "x"}},
    ],
)
def test_rule_rejects_bad_patterns(kwargs):
    with pytest.raises(TypeError):
        SamplingRule(1.0, **kwargs)


def test_rule_repr_and_equality():
    a = SamplingRule(0.5, service="web", tags={"k": "v"})
    assert a == SamplingRule(0.5, service="web", tags={"k": "v"})
    assert a != SamplingRule(0.5, service="db", tags={"k": "v"})
    assert "service='web'" in repr(a) and "0.5" in repr(a)
