"""Suite-wide fixtures.

``_fail_on_swallowed_internal_errors`` (autouse): the tracer never raises into the
application; it reports what it swallowed through ``report_internal_error``. Here every
such report fails the test, so a guard can never hide a bug.
"""
import os

import pytest

from ddtrace.internal import logger as _logger

_here = os.path.dirname(__file__)
if os.path.exists(os.path.join(_here, "testagent.py")):
    pytest_plugins = ["tests.testagent", "tests.utils.snapshot"]


class _Collector:
    def __init__(self):
        self.errors = []
        self.allowed = False

    def __call__(self, exc, what):
        self.errors.append((what, exc))


@pytest.fixture
def internal_errors():
    """The swallowed-errors collector; a test that provokes one on purpose sets ``.allowed = True``."""
    return _COLLECTOR


_COLLECTOR = _Collector()


@pytest.fixture(autouse=True)
def _fail_on_swallowed_internal_errors():
    _COLLECTOR.errors = []
    _COLLECTOR.allowed = False
    _logger.internal_error_hooks.append(_COLLECTOR)
    try:
        yield _COLLECTOR
    finally:
        _logger.internal_error_hooks.remove(_COLLECTOR)
    if _COLLECTOR.errors and not _COLLECTOR.allowed:
        details = "; ".join("%s: %r" % (what, exc) for what, exc in _COLLECTOR.errors)
        pytest.fail("the tracer swallowed internal error(s): " + details, pytrace=False)


@pytest.fixture
def tracer():
    """A fresh Tracer writing to memory (``tracer.pop_traces()`` / ``tracer.pop()``)."""
    from ddtrace.internal.writer import InMemoryWriter
    from ddtrace.trace import Tracer

    t = Tracer()
    writer = InMemoryWriter()
    t.configure(writer=writer)
    t.pop = writer.pop
    t.pop_traces = writer.pop_traces
    yield t
    t._aggregator.enabled = False


@pytest.fixture(autouse=True)
def _no_active_span_leaks():
    """Each test starts with no active span, whatever the previous one left behind."""
    from ddtrace.trace._span import _active

    token = _active.set(None)
    yield
    _active.reset(token)
