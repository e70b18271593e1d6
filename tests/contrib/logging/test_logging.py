"""Log correlation: dd.* attributes on logging records."""
import io
import json
import logging
import textwrap

import pytest

from ddtrace.settings import config
from ddtrace.trace import tracer
from tests.contrib.kit import check
from tests.contrib.kit import lifecycle_tests
from tests.contrib.kit import python_env
from tests.contrib.kit import run_python


@pytest.fixture
def injection(monkeypatch):
    monkeypatch.setattr(config, "_logs_injection", True)
    monkeypatch.setattr(config, "service", "shop")
    monkeypatch.setattr(config, "env", "prod")
    monkeypatch.setattr(config, "version", "2.0")


def _capture(fmt, style="%"):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(fmt, style=style))
    logger = logging.getLogger("tests.logging.%d" % id(stream))
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return logger, stream


PERCENT = "%(message)s %(dd.trace_id)s %(dd.span_id)s %(dd.service)s %(dd.env)s %(dd.version)s"
BRACES = "{message} {dd.trace_id} {dd.span_id} {dd.service} {dd.env} {dd.version}"


@pytest.mark.parametrize("fmt,style", [(PERCENT, "%"), (BRACES, "{")])
def test_ids_in_a_span(patched, spans, injection, fmt, style):
    logger, stream = _capture(fmt, style)
    with tracer.trace("op") as span:
        logger.info("hello")
    words = stream.getvalue().split()
    assert words == ["hello", "%032x" % span.trace_id, str(span.span_id), "shop", "prod", "2.0"]


@pytest.mark.parametrize("fmt,style", [(PERCENT, "%"), (BRACES, "{")])
def test_zero_outside_spans(patched, injection, fmt, style):
    logger, stream = _capture(fmt, style)
    logger.info("hello")
    assert stream.getvalue().split() == ["hello", "0", "0", "shop", "prod", "2.0"]


def test_64_bit_logging(patched, spans, injection, monkeypatch):
    monkeypatch.setattr(config, "_128_bit_trace_id_logging_enabled", False)
    logger, stream = _capture("%(message)s %(dd.trace_id)s")
    with tracer.trace("op") as span:
        logger.info("x")
    assert stream.getvalue().split() == ["x", str(span.trace_id & 0xFFFFFFFFFFFFFFFF)]


def test_injection_off_adds_nothing(patched, monkeypatch):
    monkeypatch.setattr(config, "_logs_injection", False)
    record = logging.getLogger("t").makeRecord("t", logging.INFO, "f", 1, "m", (), None)
    assert not hasattr(record, "dd") and "dd.trace_id" not in record.__dict__


def test_extra_keeps_the_users_values(patched, injection):
    logger, stream = _capture("%(message)s %(dd.service)s %(dd.span_id)s")
    logger.info("x", extra={"dd.service": "override", "dd": "mine"})
    assert stream.getvalue().split() == ["x", "override", "0"]


def test_json_style_serialisation(patched, injection):
    record = logging.getLogger("t").makeRecord("t", logging.INFO, "f", 1, "m", (), None)
    assert json.loads(json.dumps(record.dd)) == {
        "trace_id": "0",
        "span_id": "0",
        "service": "shop",
        "env": "prod",
        "version": "2.0",
    }


def test_unpatched_records_have_no_ids(injection):
    from ddtrace.contrib.logging import patch as logging_patch

    assert not logging_patch.integration.is_patched()
    record = logging.getLogger("t").makeRecord("t", logging.INFO, "f", 1, "m", (), None)
    assert "dd.trace_id" not in record.__dict__


def test_internal_error_does_not_break_logging(patched, injection, monkeypatch, internal_errors):
    internal_errors.allowed = True

    def broken(*args, **kwargs):
        raise RuntimeError("no context")

    monkeypatch.setattr(tracer, "get_log_correlation_context", broken)
    logger, stream = _capture("%(message)s")
    logger.info("still logged")
    assert stream.getvalue().strip() == "still logged"
    assert [w for w, _ in internal_errors.errors] == ["adding trace ids to a log record"]


test_lifecycle = lifecycle_tests(
    "logging",
    span="injected",
    count=1,
    env={"DD_LOGS_INJECTION": "true"},
    exercise="""
        import io
        stream = io.StringIO()
        h = logging.StreamHandler(stream)
        h.setFormatter(logging.Formatter("%(message)s %(dd.span_id)s"))
        log = logging.getLogger("x"); log.propagate = False; log.addHandler(h)
        try:
            with tracer.trace("op") as span:
                log.warning("w")
        except Exception:
            pass
        if stream.getvalue().split() == ["w", str(span.span_id)]:
            tracer.trace("injected").finish()
    """,
)


def test_logging_first_imported_by_another_module_under_patch_all():
    # concurrent.futures imports logging: its hook runs while concurrent.futures is
    # half-initialised, where importing wrapt 2.x (which imports asyncio, which imports
    # concurrent.futures) used to fail and leave logging unpatched.
    code = """
import ddtrace._monkey as m
m.patch_all()
import concurrent.futures
import logging
from ddtrace.trace import tracer
record = logging.getLogger("x").makeRecord("x", logging.INFO, "f", 1, "msg", (), None)
print("logging" in m.get_patched_modules(), hasattr(record, "dd.trace_id"))
"""
    proc = run_python(code, env=python_env(DD_LOGS_INJECTION="true"))
    assert check(proc).split() == ["True", "True"]
    assert "internal error" not in proc.stderr
