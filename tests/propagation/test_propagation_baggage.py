import pytest

from ddtrace.propagation.http import HTTPPropagator
from ddtrace.settings import config
from ddtrace.trace import Context


@pytest.fixture(autouse=True)
def baggage_only(styles):
    styles(extract=["baggage"], inject=["baggage"])


def inject(baggage, trace_id=None):
    headers = {}
    HTTPPropagator.inject(Context(trace_id=trace_id, span_id=1 if trace_id else None, baggage=baggage), headers)
    return headers


def test_inject_plain():
    assert inject({"userId": "alice", "isProduction": "false"}) == {"baggage": "userId=alice,isProduction=false"}


def test_inject_encodes_reserved_and_unicode():
    headers = inject({"server node": "DF 28", "k,=;": 'v,;"\\%=', "ключ": "значение ✓"})
    assert headers["baggage"] == (
        "server%20node=DF%2028,"
        "k%2C%3D%3B=v%2C%3B%22%5C%25=,"
        "%D0%BA%D0%BB%D1%8E%D1%87=%D0%B7%D0%BD%D0%B0%D1%87%D0%B5%D0%BD%D0%B8%D0%B5%20%E2%9C%93"
    )


def test_inject_non_str_items_and_skips():
    headers = inject({1: 2, "": "empty key dropped", "bad\ud800": "x", "ok": "\ud800"})
    assert headers == {"baggage": "1=2"}


def test_inject_without_trace_id_still_sends_baggage():
    assert inject({"a": "b"}) == {"baggage": "a=b"}


def test_inject_nothing_without_baggage():
    assert inject({}, trace_id=5) == {}


def test_inject_item_limit(monkeypatch):
    monkeypatch.setattr(config, "_baggage_max_items", 3)
    headers = inject({"k%d" % i: "v" for i in range(10)})
    assert headers["baggage"] == "k0=v,k1=v,k2=v"


def test_inject_byte_limit(monkeypatch):
    monkeypatch.setattr(config, "_baggage_max_bytes", 20)
    headers = inject({"a": "x" * 8, "b": "y" * 7, "c": "z"})
    assert headers["baggage"] == "a=xxxxxxxx,b=yyyyyyy"  # exactly 20 bytes
    assert len(headers["baggage"].encode()) == 20


def test_default_limits():
    headers = inject({"k%d" % i: "v" for i in range(100)})
    assert len(headers["baggage"].split(",")) == 64
    headers = inject({"k%d" % i: "v" * 1000 for i in range(20)})
    assert len(headers["baggage"]) <= 8192
    assert len(headers["baggage"].split(",")) == 8


def test_extract_plain_with_whitespace_and_properties():
    ctx = HTTPPropagator.extract({"baggage": "key1=value1;property1;property2, key2 = value2 ,key3=value3; p=v"})
    assert ctx.trace_id is None
    assert ctx.get_all_baggage_items() == {"key1": "value1", "key2": "value2", "key3": "value3"}


def test_extract_decodes():
    ctx = HTTPPropagator.extract({"baggage": "server%20node=DF%2028,k%C3%A9=%E2%9C%93,eq=a=b,pct=100%,bad=%ZZ%4"})
    assert ctx.get_all_baggage_items() == {
        "server node": "DF 28",
        "ké": "✓",
        "eq": "a=b",
        "pct": "100%",
        "bad": "%ZZ%4",
    }


def test_extract_invalid_utf8_replaced():
    ctx = HTTPPropagator.extract({"baggage": "k=%FF"})
    assert ctx.get_baggage_item("k") == "\ufffd"


@pytest.mark.parametrize("member", ["noequals", "=novalue", " =x", "a b=c", "k=caf\u00e9", "k=a\x01"])
def test_extract_malformed_members_skipped(member):
    ctx = HTTPPropagator.extract({"baggage": "good=1,%s,also=2" % member})
    assert ctx.get_all_baggage_items() == {"good": "1", "also": "2"}


def test_extract_empty_value_allowed():
    assert HTTPPropagator.extract({"baggage": "k="}).get_all_baggage_items() == {"k": ""}


def test_extract_item_limit():
    value = ",".join("k%d=v" % i for i in range(100))
    assert len(HTTPPropagator.extract({"baggage": value})._baggage) == 64


def test_extract_byte_limit_keeps_whole_members(monkeypatch):
    monkeypatch.setattr(config, "_baggage_max_bytes", 12)
    ctx = HTTPPropagator.extract({"baggage": "a=123,b=456,c=789"})
    assert ctx.get_all_baggage_items() == {"a": "123", "b": "456"}
    ctx = HTTPPropagator.extract({"baggage": "a=" + "x" * 100})
    assert ctx.get_all_baggage_items() == {}


def test_baggage_header_ignored_when_style_off(styles):
    styles(extract=["datadog"])
    ctx = HTTPPropagator.extract({"baggage": "a=b", "x-datadog-trace-id": "1"})
    assert ctx.trace_id == 1 and ctx._baggage == {}


def test_baggage_attached_to_extracted_trace(styles):
    styles(extract=["datadog", "baggage"])
    ctx = HTTPPropagator.extract({"baggage": "a=b", "x-datadog-trace-id": "1", "x-datadog-parent-id": "2"})
    assert (ctx.trace_id, ctx.span_id) == (1, 2)
    assert ctx._baggage == {"a": "b"}


def test_baggage_with_extract_first(styles):
    styles(extract=["datadog", "tracecontext", "baggage"], first=True)
    ctx = HTTPPropagator.extract({"baggage": "a=b", "x-datadog-trace-id": "1"})
    assert ctx._baggage == {"a": "b"}
