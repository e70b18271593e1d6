import math
import sys

import pytest

from ddtrace.constants import AUTO_KEEP
from ddtrace.constants import USER_KEEP
from ddtrace.constants import USER_REJECT
from ddtrace.trace import Span
from ddtrace.trace import SpanLink


def test_defaults():
    s = Span("web.request")
    assert s.name == "web.request"
    assert s.resource == "web.request"
    assert s.service is None and s.span_type is None
    assert s.parent_id == 0
    assert 0 < s.span_id < 2**64
    assert s.trace_id >= 2**64  # 128-bit by default
    assert s.error == 0
    assert s.duration_ns is None and s.duration is None
    assert not s.finished
    assert abs(s.start - s.start_ns / 1e9) < 1e-6


def test_explicit_fields():
    s = Span("n", service="svc", resource="r", span_type="web", trace_id=7, span_id=8, parent_id=9, start=100.5)
    assert (s.service, s.resource, s.span_type, s.trace_id, s.span_id, s.parent_id) == ("svc", "r", "web", 7, 8, 9)
    assert s.start_ns == 100_500_000_000


def test_finish_sets_duration_once():
    s = Span("n")
    s.finish()
    first = s.duration_ns
    assert first is not None and first >= 0
    s.finish()
    assert s.duration_ns == first
    assert s.finished


def test_finish_time_in_seconds():
    s = Span("n", start=10.0)
    s.finish(12.5)
    assert s.duration_ns == 2_500_000_000
    assert s.duration == 2.5


def test_finish_before_start_clamps_to_zero():
    s = Span("n", start=10.0)
    s.finish(9.0)
    assert s.duration_ns == 0


def test_finish_with_bad_time_uses_now():
    s = Span("n")
    s.finish("later")
    assert s.duration_ns is not None and s.duration_ns >= 0


def test_set_tag_strings_go_to_meta_numbers_to_metrics():
    s = Span("n")
    s.set_tag("s", "v")
    s.set_tag("i", 3)
    s.set_tag("f", 1.5)
    s.set_tag("b", True)
    s.set_tag("o", object)
    assert s.get_tag("s") == "v"
    assert s.get_metric("i") == 3 and s.get_metric("f") == 1.5
    assert s.get_tag("b") == "True" and s.get_metric("b") is None
    assert s.get_tag("o") == str(object)
    assert s.get_tag("i") is None


def test_set_tag_str_keeps_str_subclasses_as_plain_text():
    class Safe(str):  # like Django's SafeString, whose __str__ returns itself
        def __str__(self):
            return self

    s = Span("n")
    s.set_tag_str("template", Safe("book.html"))
    s.set_tag_str(Safe("key"), "v")
    s.set_tag_str("n", 5)
    assert s.get_tag("template") == "book.html" and type(s.get_tag("template")) is str
    assert s.get_tag("key") == "v"
    assert s.get_tag("n") == "5"


def test_set_tag_switching_type_moves_the_key():
    s = Span("n")
    s.set_tag("k", 1)
    s.set_tag("k", "one")
    assert s.get_tag("k") == "one" and s.get_metric("k") is None
    s.set_tag("k", 2)
    assert s.get_metric("k") == 2 and s.get_tag("k") is None


def test_status_code_and_huge_ints_are_strings():
    s = Span("n")
    s.set_tag("http.status_code", 404)
    s.set_tag("big", 2**70)
    assert s.get_tag("http.status_code") == "404"
    assert s.get_tag("big") == str(2**70)
    assert s.get_metrics() == {}


def test_set_tag_none_removes():
    s = Span("n")
    s.set_tag("k", "v")
    s.set_tag("k", None)
    assert s.get_tag("k") is None


def test_unstringable_value_is_dropped_not_raised():
    class Bad:
        def __str__(self):
            raise RuntimeError("no")

    s = Span("n")
    s.set_tag("k", Bad())
    assert s.get_tag("k") is None


def test_non_str_key_is_converted():
    s = Span("n")
    s.set_tag(42, "v")
    assert s.get_tag("42") == "v"


def test_special_tags():
    s = Span("n")
    s.set_tag("service.name", "other")
    s.set_tag("span.type", "web")
    assert s.service == "other" and s.span_type == "web"
    assert "service.name" not in s.get_tags()


def test_set_tags_and_get_tags_are_copies():
    s = Span("n")
    s.set_tags({"a": "1", "b": 2})
    tags = s.get_tags()
    tags["a"] = "changed"
    assert s.get_tag("a") == "1" and s.get_metric("b") == 2


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), "abc", None])
def test_set_metric_rejects_non_finite_or_non_numbers(value):
    s = Span("n")
    s.set_metric("m", value)
    assert s.get_metric("m") is None


def test_set_metric_converts_numeric_strings():
    s = Span("n")
    s.set_metric("m", "2.5")
    s.set_metrics({"x": 1})
    assert s.get_metric("m") == 2.5 and s.get_metric("x") == 1


def test_set_exc_info():
    s = Span("n")
    try:
        raise ValueError("bad input")
    except ValueError:
        s.set_exc_info(*sys.exc_info())
    assert s.error == 1
    assert s.get_tag("error.type") == "builtins.ValueError"
    assert s.get_tag("error.message") == "bad input"
    assert "test_set_exc_info" in s.get_tag("error.stack")
    assert "ValueError: bad input" in s.get_tag("error.stack")


def test_set_exc_info_with_unprintable_message():
    class Weird(Exception):
        def __str__(self):
            raise RuntimeError("nope")

    s = Span("n")
    s.set_exc_info(Weird, Weird(), None)
    assert s.error == 1
    assert s.get_tag("error.type").endswith("Weird")


def test_context_manager_records_exception_and_reraises():
    s = Span("n")
    with pytest.raises(KeyError):
        with s:
            raise KeyError("k")
    assert s.finished and s.error == 1
    assert s.get_tag("error.type") == "builtins.KeyError"


def test_context_manager_ignores_generator_exit():
    s = Span("n")
    with pytest.raises(GeneratorExit):
        with s:
            raise GeneratorExit()
    assert s.error == 0


def test_set_traceback_without_exception_records_stack():
    s = Span("n")
    s.set_traceback()
    assert "test_set_traceback_without_exception_records_stack" in s.get_tag("error.stack")
    assert s.error == 0


def test_links():
    s = Span("n")
    s.set_link(trace_id=2**100 + 5, span_id=6, tracestate="dd=s:1", flags=1, attributes={"k": "v"})
    assert s._links == [SpanLink(2**100 + 5, 6, tracestate="dd=s:1", flags=1, attributes={"k": "v"})]
    other = Span("o")
    s.link_span(other.context, attributes={"reason": "x"})
    assert s._links[1].trace_id == other.trace_id and s._links[1].span_id == other.span_id
    with pytest.raises(TypeError):
        SpanLink("1", 2)


def test_manual_keep_and_drop(tracer):
    with tracer.trace("a") as s:
        s.set_tag("manual.drop")
    with tracer.trace("b") as s:
        s.set_tag("manual.keep")
    with tracer.trace("c") as s:
        s.set_tag("sampling.priority", "1")
    a, b, c = tracer.pop()
    assert a.get_metric("_sampling_priority_v1") == USER_REJECT
    assert "_dd.p.dm" not in a.get_tags()
    assert b.get_metric("_sampling_priority_v1") == USER_KEEP and b.get_tag("_dd.p.dm") == "-4"
    assert c.get_metric("_sampling_priority_v1") == AUTO_KEEP


def test_context_of_hand_made_span():
    s = Span("n", trace_id=5, span_id=6)
    ctx = s.context
    assert (ctx.trace_id, ctx.span_id, ctx.sampling_priority, ctx.dd_origin) == (5, 6, None, None)
    assert s.context is ctx


def test_repr_mentions_name():
    assert "web.request" in repr(Span("web.request"))


def test_metrics_accept_int_subclasses():
    import enum

    class Level(enum.IntEnum):
        HIGH = 3

    s = Span("n")
    s.set_tag("lvl", Level.HIGH)
    assert s.get_metric("lvl") == 3
    assert not math.isnan(s.get_metric("lvl"))


@pytest.mark.parametrize("value", [None, 5, "not-a-mapping", [1, 2]])
def test_set_tags_and_metrics_never_raise(value):
    span = Span("x")
    span.set_tags(value)
    span.set_metrics(value)
    assert span.get_tags() == {} and span.get_metrics() == {}


def test_set_tags_accepts_pairs_and_mappings():
    span = Span("x")
    span.set_tags([("a", "b")])
    span.set_tags({"c": 1})
    span.set_metrics([("m", 2)])
    assert span.get_tags() == {"a": "b"} and span.get_metrics() == {"c": 1, "m": 2}


def test_tracer_set_tags_none(tracer):
    tracer.set_tags(None)
    with tracer.trace("x"):
        pass
    assert tracer.pop()[0].get_tag("x") is None
