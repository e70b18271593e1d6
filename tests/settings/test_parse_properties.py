"""Property tests: no environment value makes the configuration raise."""
import string

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from ddtrace.settings import Config
from ddtrace.settings import _config
from ddtrace.settings import _env
from ddtrace.settings import _parse

ALL_NAMES = sorted(_env.env_name(var) for _, var in _env.declared(_env.TracerEnv))

env_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)


def _ignore(*args):
    pass


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(ALL_NAMES), env_text, max_size=8))
def test_any_environment_loads_with_well_typed_settings(environ):
    c = Config(environ=environ)
    sources = c._sources()
    assert set(sources) == set(_config.SAFE_DEFAULTS)
    for name, default in _config.SAFE_DEFAULTS.items():
        value = getattr(c, name)
        if default is None:
            assert value is None or isinstance(value, (str, float))
        else:
            assert isinstance(value, type(default)) or isinstance(default, type(value)), name
    assert 0.0 <= (c._trace_sample_rate if c._trace_sample_rate is not None else 0.0) <= 1.0
    assert c._partial_flush_min_spans >= 1
    assert c._trace_api in ("v0.4", "v0.5")
    assert c._trace_agent_url.split("://")[0] in ("http", "https", "unix")


@given(env_text)
def test_parsers_raise_only_value_error(raw):
    parsers = [
        _parse.parse_bool,
        _parse.parse_float,
        _parse.parse_int,
        _parse.parse_trace_api,
        _parse.parse_agent_url,
        lambda r: _parse.parse_key_values(r, "X", _ignore),
        lambda r: _parse.parse_status_codes(r, "X", _ignore),
        lambda r: _parse.parse_propagation_styles(r, "X", _ignore),
    ]
    for parse in parsers:
        try:
            parse(raw)
        except ValueError:
            pass


key_text = st.text(string.ascii_letters + string.digits + "._-/", min_size=1, max_size=10)
value_text = st.text(string.ascii_letters + string.digits + "._-/:@ ", max_size=10).map(str.strip)


@given(st.dictionaries(key_text, value_text, max_size=6))
def test_key_values_round_trip_with_commas(tags):
    # A comma anywhere (here a trailing one) makes commas the separator, so values keep spaces.
    raw = ",".join("%s:%s" % kv for kv in tags.items()) + ","
    assert _parse.parse_key_values(raw, "DD_TAGS", _ignore) == tags


@given(st.dictionaries(key_text, value_text.map(lambda v: v.replace(" ", "")), max_size=6))
def test_key_values_round_trip_with_spaces(tags):
    raw = "  ".join("%s:%s" % kv for kv in tags.items())
    assert _parse.parse_key_values(raw, "DD_TAGS", _ignore) == tags


@given(st.lists(st.tuples(st.integers(100, 999), st.integers(0, 30)), max_size=5))
def test_status_code_ranges(ranges):
    raw = ",".join("%d-%d" % (a, min(a + n, 999)) for a, n in ranges)
    expected = set()
    for a, n in ranges:
        expected.update(range(a, min(a + n, 999) + 1))
    parsed = _parse.parse_status_codes(raw, "X", _ignore) if raw else frozenset()
    assert set(parsed) == expected
    # The compact form names the same codes.
    if parsed:
        assert set(_parse.parse_status_codes(repr(parsed), "X", _ignore)) == expected
