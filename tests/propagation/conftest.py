import pytest

from ddtrace.settings import config

ALL_STYLES = ["datadog", "tracecontext", "b3multi", "b3", "baggage"]


@pytest.fixture
def styles(monkeypatch):
    """``styles(extract=[...], inject=[...], first=False)`` sets the propagation config."""

    def set_styles(extract=None, inject=None, first=False):
        if extract is not None:
            monkeypatch.setattr(config, "_propagation_style_extract", list(extract))
        if inject is not None:
            monkeypatch.setattr(config, "_propagation_style_inject", list(inject))
        monkeypatch.setattr(config, "_propagation_extract_first", first)

    return set_styles


class FixedSampler:
    """Decides every trace with one priority (the real sampler has its own tests)."""

    def __init__(self, priority=1, decision_maker="-0"):
        self.priority = priority
        self.decision_maker = decision_maker
        self.calls = 0

    def sample(self, span):
        self.calls += 1
        span.context.sampling_priority = self.priority
        if self.priority > 0:
            span.context._meta["_dd.p.dm"] = self.decision_maker
        else:
            span.context._meta.pop("_dd.p.dm", None)


@pytest.fixture
def tracer(tracer):
    """The suite's fresh in-memory tracer, with a sampler whose decision is known."""
    tracer.configure(sampler=FixedSampler())
    return tracer
