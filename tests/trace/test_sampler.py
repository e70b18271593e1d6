import json
import threading

import pytest

from ddtrace.constants import AUTO_KEEP
from ddtrace.constants import AUTO_REJECT
from ddtrace.constants import USER_KEEP
from ddtrace.constants import USER_REJECT
from ddtrace.internal import logger as logger_module
from ddtrace.internal.rate_limiter import RateLimiter
from ddtrace.internal.writer import InMemoryWriter
from ddtrace.settings import config
from ddtrace.trace import Context
from ddtrace.trace import Span
from ddtrace.trace import Tracer
from ddtrace.trace.sampler import DatadogSampler
from ddtrace.trace.sampler import RateSampler
from ddtrace.trace.sampling_rule import SamplingRule

# Low 64 bits 1 hash to K = 0.06 * 2**64; all ones hash to 0.94 * 2**64 (see test_sampling_rules).
KEPT_AT_HALF = 1
DROPPED_AT_HALF = 2**64 - 1
PSR_KEYS = ("_dd.rule_psr", "_dd.limit_psr", "_dd.agent_psr")


@pytest.fixture(autouse=True)
def clean_config(monkeypatch):
    monkeypatch.setattr(config, "_trace_sampling_rules", "")
    monkeypatch.setattr(config, "_trace_sample_rate", None)
    monkeypatch.setattr(config, "_trace_rate_limit", 100)
    monkeypatch.setattr(config, "env", None)
    monkeypatch.setattr(config, "service_mapping", {})
    # Every warning must reach caplog, not just the first per call site and minute.
    monkeypatch.setattr(logger_module, "RATE_LIMIT_SECONDS", 0)


@pytest.fixture
def internal_errors(monkeypatch):
    errors = []
    monkeypatch.setattr(logger_module, "internal_error_hooks", [lambda exc, what: errors.append((exc, what))])
    return errors


class CountingSampler(DatadogSampler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = []

    def sample(self, span):
        self.calls.append(span)
        return super().sample(span)


def make_tracer(sampler):
    tracer = Tracer()
    writer = InMemoryWriter()
    tracer.configure(writer=writer, sampler=sampler)
    return tracer, writer


def run_trace(tracer, writer, trace_id=None, service="web", name="web.request", resource="GET /", tags=None, child_tags=None):
    """Run a root span with one child; return (written root, written child)."""
    parent = None if trace_id is None else Context(trace_id=trace_id, span_id=42)
    root = tracer.start_span(name, child_of=parent, service=service, resource=resource)
    for k, v in (tags or {}).items():
        root.set_tag(k, v)
    child = tracer.start_span("child", child_of=root, service="db")
    for k, v in (child_tags or {}).items():
        child.set_tag(k, v)
    child.finish()
    root.finish()
    spans = writer.pop()
    assert len(spans) == 2
    by_id = {s.span_id: s for s in spans}
    return by_id[root.span_id], by_id[child.span_id]


def decision(root):
    return (
        root.get_metric("_sampling_priority_v1"),
        root.get_tag("_dd.p.dm"),
        {k: root.get_metric(k) for k in PSR_KEYS if root.get_metric(k) is not None},
    )


def warnings_of(caplog):
    return [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and r.name.startswith("ddtrace")]


# ---------------------------------------------------------------- default path


def test_default_keeps_with_dm_0():
    sampler = CountingSampler()
    tracer, writer = make_tracer(sampler)
    root, child = run_trace(tracer, writer)
    assert decision(root) == (AUTO_KEEP, "-0", {})
    assert child.get_metric("_sampling_priority_v1") is None
    assert child.get_tag("_dd.p.dm") is None
    assert [s.span_id for s in sampler.calls] == [root.span_id]  # asked once, with the local root


def test_sample_return_values():
    s = DatadogSampler()
    assert s.sample(Span("op", trace_id=DROPPED_AT_HALF)) is True
    s = DatadogSampler(rules=[SamplingRule(0.5)])
    assert s.sample(Span("op", trace_id=KEPT_AT_HALF)) is True
    assert s.sample(Span("op", trace_id=DROPPED_AT_HALF)) is False


def test_tracer_builds_default_sampler_from_config(monkeypatch):
    monkeypatch.setattr(config, "_trace_sample_rate", 0.0)
    tracer = Tracer()
    writer = InMemoryWriter()
    tracer.configure(writer=writer)
    root, _ = run_trace(tracer, writer)
    assert decision(root) == (USER_REJECT, None, {"_dd.rule_psr": 0.0})


# ---------------------------------------------------------------- rules


@pytest.mark.parametrize(
    "trace_id,expected",
    [
        (KEPT_AT_HALF, (USER_KEEP, "-3", {"_dd.rule_psr": 0.5, "_dd.limit_psr": 1.0})),
        (DROPPED_AT_HALF, (USER_REJECT, None, {"_dd.rule_psr": 0.5})),
        ((0xABCDEF << 64) | KEPT_AT_HALF, (USER_KEEP, "-3", {"_dd.rule_psr": 0.5, "_dd.limit_psr": 1.0})),
        ((0xABCDEF << 64) | DROPPED_AT_HALF, (USER_REJECT, None, {"_dd.rule_psr": 0.5})),
    ],
)
def test_rule_decides(trace_id, expected):
    tracer, writer = make_tracer(DatadogSampler(rules=[SamplingRule(0.5, service="web")]))
    root, child = run_trace(tracer, writer, trace_id=trace_id)
    assert decision(root) == expected
    assert decision(child) == (None, None, {})


def test_rule_rate_zero_and_one():
    tracer, writer = make_tracer(DatadogSampler(rules=[SamplingRule(0.0, service="web"), SamplingRule(1.0)]))
    root, _ = run_trace(tracer, writer, service="web")
    assert decision(root) == (USER_REJECT, None, {"_dd.rule_psr": 0.0})
    root, _ = run_trace(tracer, writer, service="api", trace_id=DROPPED_AT_HALF)
    assert decision(root) == (USER_KEEP, "-3", {"_dd.rule_psr": 1.0, "_dd.limit_psr": 1.0})


def test_dropped_trace_loses_inherited_dm():
    tracer, writer = make_tracer(DatadogSampler(rules=[SamplingRule(0.0)]))
    parent = Context(trace_id=KEPT_AT_HALF, span_id=7, meta={"_dd.p.dm": "-1"})
    span = tracer.start_span("op", child_of=parent)
    span.finish()
    (root,) = writer.pop()
    assert decision(root) == (USER_REJECT, None, {"_dd.rule_psr": 0.0})


def test_first_matching_rule_wins():
    rules = [
        SamplingRule(0.0, service="web", resource="GET /health*"),
        SamplingRule(1.0, service="web"),
        SamplingRule(0.0),
    ]
    tracer, writer = make_tracer(DatadogSampler(rules=rules))
    assert decision(run_trace(tracer, writer, resource="GET /healthz")[0])[0] == USER_REJECT
    assert decision(run_trace(tracer, writer, resource="GET /users")[0])[0] == USER_KEEP
    assert decision(run_trace(tracer, writer, service="api")[0])[0] == USER_REJECT


@pytest.mark.parametrize(
    "rule,kwargs,matched",
    [
        ({"service": "w?b"}, {}, True),
        ({"service": "WEB*"}, {"service": "web-api"}, True),
        ({"service": "api"}, {}, False),
        ({"name": "web.*"}, {}, True),
        ({"name": "db.*"}, {}, False),
        ({"resource": "GET /users/*"}, {"resource": "GET /users/12"}, True),
        ({"resource": "GET /users/*"}, {"resource": "POST /users/12"}, False),
        ({"tags": {"http.status_code": "5??"}}, {"tags": {"http.status_code": 503}}, True),
        ({"tags": {"http.status_code": "5??"}}, {"tags": {"http.status_code": 200}}, False),
        ({"tags": {"customer.tier": "gold"}}, {"tags": {"customer.tier": "Gold"}}, True),
        ({"tags": {"customer.tier": "gold"}}, {}, False),
        # Only the local root's tags count, not its children's.
        ({"tags": {"customer.tier": "gold"}}, {"child_tags": {"customer.tier": "gold"}}, False),
        # ... and the root's own service, not a child's.
        ({"service": "db"}, {}, False),
    ],
)
def test_rule_matching_through_tracer(rule, kwargs, matched):
    tracer, writer = make_tracer(DatadogSampler(rules=[dict(rule, sample_rate=0.0)]))
    root, _ = run_trace(tracer, writer, **kwargs)
    assert decision(root)[0] == (USER_REJECT if matched else AUTO_KEEP)


def test_rules_from_config_json(monkeypatch):
    rules = [
        {"service": "web", "name": "web.*", "resource": "GET /admin*", "sample_rate": 0},
        {"tags": {"http.method": "POST"}, "sample_rate": 1},
        {"tags": [{"key": "plan", "value_glob": "free"}], "sample_rate": 0, "provenance": "customer"},
    ]
    monkeypatch.setattr(config, "_trace_sampling_rules", json.dumps(rules))
    sampler = DatadogSampler()
    assert len(sampler.rules) == 3
    tracer, writer = make_tracer(sampler)
    assert decision(run_trace(tracer, writer, resource="GET /admin/x")[0])[0] == USER_REJECT
    assert decision(run_trace(tracer, writer, tags={"http.method": "POST"})[0])[0] == USER_KEEP
    assert decision(run_trace(tracer, writer, tags={"plan": "free"})[0])[0] == USER_REJECT
    assert decision(run_trace(tracer, writer, resource="GET /")[0]) == (AUTO_KEEP, "-0", {})


def test_rules_argument_accepts_json_string():
    sampler = DatadogSampler(rules='[{"service": "web", "sample_rate": 0.25}]')
    assert sampler.rules == [SamplingRule(0.25, service="web")]


def test_explicit_rules_ignore_config_rules(monkeypatch):
    monkeypatch.setattr(config, "_trace_sampling_rules", '[{"sample_rate": 0}]')
    assert DatadogSampler(rules=[]).rules == []
    assert DatadogSampler().rules == [SamplingRule(0)]


def test_sample_rate_from_config_is_a_catch_all_rule_after_the_rules(monkeypatch):
    monkeypatch.setattr(config, "_trace_sampling_rules", '[{"service": "web", "sample_rate": 1}]')
    monkeypatch.setattr(config, "_trace_sample_rate", 0.5)
    sampler = DatadogSampler()
    assert sampler.rules == [SamplingRule(1, service="web"), SamplingRule(0.5)]
    assert sampler.default_sample_rate == 0.5
    tracer, writer = make_tracer(sampler)
    root, _ = run_trace(tracer, writer, service="web", trace_id=DROPPED_AT_HALF)
    assert decision(root) == (USER_KEEP, "-3", {"_dd.rule_psr": 1.0, "_dd.limit_psr": 1.0})
    root, _ = run_trace(tracer, writer, service="api", trace_id=DROPPED_AT_HALF)
    assert decision(root) == (USER_REJECT, None, {"_dd.rule_psr": 0.5})
    root, _ = run_trace(tracer, writer, service="api", trace_id=KEPT_AT_HALF)
    assert decision(root) == (USER_KEEP, "-3", {"_dd.rule_psr": 0.5, "_dd.limit_psr": 1.0})


def test_default_sample_rate_argument_overrides_config(monkeypatch):
    monkeypatch.setattr(config, "_trace_sample_rate", 1.0)
    sampler = DatadogSampler(default_sample_rate=0.0)
    assert sampler.rules == [SamplingRule(0.0)]


def test_service_mapping_applies_before_matching(monkeypatch):
    monkeypatch.setattr(config, "service_mapping", {"web": "storefront"})
    tracer, writer = make_tracer(DatadogSampler(rules=[SamplingRule(0.0, service="storefront")]))
    root, _ = run_trace(tracer, writer, service="web")
    assert decision(root)[0] == USER_REJECT


# ---------------------------------------------------------------- rate limiter


def test_rate_limiter_caps_rule_kept_traces():
    sampler = DatadogSampler(rules=[SamplingRule(1.0)])
    sampler.limiter = RateLimiter(2, clock=lambda: 5_000_000_000)
    tracer, writer = make_tracer(sampler)
    results = [decision(run_trace(tracer, writer)[0]) for _ in range(4)]
    assert results[0] == (USER_KEEP, "-3", {"_dd.rule_psr": 1.0, "_dd.limit_psr": 1.0})
    assert results[1] == (USER_KEEP, "-3", {"_dd.rule_psr": 1.0, "_dd.limit_psr": 1.0})
    assert results[2] == (USER_REJECT, None, {"_dd.rule_psr": 1.0, "_dd.limit_psr": pytest.approx(2 / 3)})
    assert results[3] == (USER_REJECT, None, {"_dd.rule_psr": 1.0, "_dd.limit_psr": pytest.approx(2 / 4)})


def test_rule_dropped_traces_do_not_use_tokens():
    sampler = DatadogSampler(rules=[SamplingRule(0.5)], rate_limit=1)
    sampler.limiter = RateLimiter(1, clock=lambda: 0)
    tracer, writer = make_tracer(sampler)
    for _ in range(3):
        assert decision(run_trace(tracer, writer, trace_id=DROPPED_AT_HALF)[0])[0] == USER_REJECT
    assert decision(run_trace(tracer, writer, trace_id=KEPT_AT_HALF)[0])[0] == USER_KEEP


def test_rate_limit_zero_rejects_rule_kept_traces():
    tracer, writer = make_tracer(DatadogSampler(rules=[SamplingRule(1.0)], rate_limit=0))
    root, _ = run_trace(tracer, writer)
    assert decision(root) == (USER_REJECT, None, {"_dd.rule_psr": 1.0, "_dd.limit_psr": 0.0})


def test_negative_rate_limit_means_unlimited_and_no_limit_psr():
    tracer, writer = make_tracer(DatadogSampler(rules=[SamplingRule(1.0)], rate_limit=-1))
    for _ in range(150):
        root, _ = run_trace(tracer, writer)
        assert decision(root) == (USER_KEEP, "-3", {"_dd.rule_psr": 1.0})


def test_rate_limit_from_config(monkeypatch):
    monkeypatch.setattr(config, "_trace_rate_limit", 7)
    assert DatadogSampler().limiter.rate_limit == 7
    assert DatadogSampler(rate_limit=3).limiter.rate_limit == 3


def test_limiter_does_not_apply_to_agent_or_default_decisions():
    sampler = DatadogSampler(rate_limit=0)
    tracer, writer = make_tracer(sampler)
    assert decision(run_trace(tracer, writer)[0]) == (AUTO_KEEP, "-0", {})
    sampler.update_rate_by_service_sample_rates({"service:,env:": 1.0})
    assert decision(run_trace(tracer, writer)[0]) == (AUTO_KEEP, "-1", {"_dd.agent_psr": 1.0})


# ---------------------------------------------------------------- agent rates


def test_agent_rates_by_service_and_env(monkeypatch):
    monkeypatch.setattr(config, "env", "prod")
    sampler = DatadogSampler()
    sampler.update_rate_by_service_sample_rates(
        {"service:web,env:prod": 0.5, "service:api,env:prod": 0.0, "service:,env:": 1.0}
    )
    tracer, writer = make_tracer(sampler)
    root, _ = run_trace(tracer, writer, service="web", trace_id=KEPT_AT_HALF)
    assert decision(root) == (AUTO_KEEP, "-1", {"_dd.agent_psr": 0.5})
    root, _ = run_trace(tracer, writer, service="web", trace_id=DROPPED_AT_HALF)
    assert decision(root) == (AUTO_REJECT, None, {"_dd.agent_psr": 0.5})
    root, _ = run_trace(tracer, writer, service="api", trace_id=KEPT_AT_HALF)
    assert decision(root) == (AUTO_REJECT, None, {"_dd.agent_psr": 0.0})
    # Unknown service: the default entry.
    root, _ = run_trace(tracer, writer, service="other", trace_id=DROPPED_AT_HALF)
    assert decision(root) == (AUTO_KEEP, "-1", {"_dd.agent_psr": 1.0})


def test_agent_rates_key_uses_empty_env_when_unset():
    sampler = DatadogSampler()
    sampler.update_rate_by_service_sample_rates({"service:web,env:": 0.0, "service:web,env:prod": 1.0})
    tracer, writer = make_tracer(sampler)
    root, _ = run_trace(tracer, writer, service="web")
    assert decision(root) == (AUTO_REJECT, None, {"_dd.agent_psr": 0.0})


def test_agent_rates_env_tag_on_root_wins_over_config(monkeypatch):
    monkeypatch.setattr(config, "env", "prod")
    sampler = DatadogSampler()
    sampler.update_rate_by_service_sample_rates({"service:web,env:prod": 1.0, "service:web,env:staging": 0.0})
    tracer, writer = make_tracer(sampler)
    root, _ = run_trace(tracer, writer, service="web", tags={"env": "staging"})
    assert decision(root)[0] == AUTO_REJECT


def test_agent_rates_without_match_or_default_fall_back_to_dm_0():
    sampler = DatadogSampler()
    sampler.update_rate_by_service_sample_rates({"service:api,env:": 0.0})
    tracer, writer = make_tracer(sampler)
    root, _ = run_trace(tracer, writer, service="web")
    assert decision(root) == (AUTO_KEEP, "-0", {})


def test_agent_rates_are_replaced_and_can_be_cleared():
    sampler = DatadogSampler()
    tracer, writer = make_tracer(sampler)
    sampler.update_rate_by_service_sample_rates({"service:,env:": 0.0})
    assert decision(run_trace(tracer, writer)[0])[0] == AUTO_REJECT
    sampler.update_rate_by_service_sample_rates({"service:,env:": 1.0})
    assert decision(run_trace(tracer, writer)[0])[0] == AUTO_KEEP
    sampler.update_rate_by_service_sample_rates({})
    assert decision(run_trace(tracer, writer)[0]) == (AUTO_KEEP, "-0", {})
    sampler.update_rate_by_service_sample_rates({"service:,env:": 0.0})
    sampler.update_rate_by_service_sample_rates(None)  # nothing new: keep what we have
    assert decision(run_trace(tracer, writer)[0])[0] == AUTO_REJECT


def test_rules_take_precedence_over_agent_rates():
    sampler = DatadogSampler(rules=[SamplingRule(1.0, service="web")])
    sampler.update_rate_by_service_sample_rates({"service:,env:": 0.0})
    tracer, writer = make_tracer(sampler)
    assert decision(run_trace(tracer, writer, service="web")[0]) == (
        USER_KEEP,
        "-3",
        {"_dd.rule_psr": 1.0, "_dd.limit_psr": 1.0},
    )
    # No rule matches: the agent decides.
    assert decision(run_trace(tracer, writer, service="api")[0]) == (AUTO_REJECT, None, {"_dd.agent_psr": 0.0})


def test_agent_rates_use_mapped_service(monkeypatch):
    monkeypatch.setattr(config, "service_mapping", {"web": "storefront"})
    sampler = DatadogSampler()
    sampler.update_rate_by_service_sample_rates({"service:storefront,env:": 0.0, "service:,env:": 1.0})
    tracer, writer = make_tracer(sampler)
    assert decision(run_trace(tracer, writer, service="web")[0])[0] == AUTO_REJECT


def test_agent_rate_updates_are_atomic_for_concurrent_samplers():
    sampler = DatadogSampler()
    tracer, writer = make_tracer(sampler)
    stop = threading.Event()
    ready = threading.Barrier(5)

    def agent():
        ready.wait()
        i = 0
        while not stop.is_set():
            rate = float(i % 2)
            sampler.update_rate_by_service_sample_rates({"service:web,env:": rate, "service:,env:": rate})
            i += 1

    def worker():
        ready.wait()
        for _ in range(300):
            span = tracer.start_span("op", service="web")
            span.finish()

    agent_thread = threading.Thread(target=agent)
    workers = [threading.Thread(target=worker) for _ in range(4)]
    agent_thread.start()
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    stop.set()
    agent_thread.join()
    spans = writer.pop()
    assert len(spans) == 1200
    for root in spans:
        priority, dm, psr = decision(root)
        # Priority and recorded rate always come from one and the same update.
        assert (priority, dm, psr) in (
            (AUTO_KEEP, "-1", {"_dd.agent_psr": 1.0}),
            (AUTO_REJECT, None, {"_dd.agent_psr": 0.0}),
            (AUTO_KEEP, "-0", {}),  # before the first update landed
        )


# ---------------------------------------------------------------- manual keep / drop


def test_manual_keep_overrides_a_dropping_rule():
    sampler = CountingSampler(rules=[SamplingRule(0.0)])
    tracer, writer = make_tracer(sampler)
    root, _ = run_trace(tracer, writer, tags={"manual.keep": True})
    assert decision(root) == (USER_KEEP, "-4", {})
    assert sampler.calls == []  # a decision existed, so the sampler was not asked


def test_manual_drop_on_a_child_overrides_the_default_keep():
    sampler = CountingSampler()
    tracer, writer = make_tracer(sampler)
    root, _ = run_trace(tracer, writer, child_tags={"manual.drop": True})
    assert decision(root) == (USER_REJECT, None, {})
    assert sampler.calls == []


def test_manual_keep_after_the_sampler_decided():
    sampler = CountingSampler(rules=[SamplingRule(0.0)])
    tracer, writer = make_tracer(sampler)
    root = tracer.start_span("op", service="web")
    root._sample_if_undecided()  # as when injecting headers
    assert root.context.sampling_priority == USER_REJECT
    root.set_tag("manual.keep")
    root.finish()
    (written,) = writer.pop()
    assert written.get_metric("_sampling_priority_v1") == USER_KEEP
    assert written.get_tag("_dd.p.dm") == "-4"
    assert len(sampler.calls) == 1


def test_manual_drop_after_agent_keep():
    sampler = DatadogSampler()
    sampler.update_rate_by_service_sample_rates({"service:,env:": 1.0})
    tracer, writer = make_tracer(sampler)
    root = tracer.start_span("op")
    root._sample_if_undecided()
    child = tracer.start_span("child", child_of=root)
    child.set_tag("manual.drop")
    child.finish()
    root.finish()
    roots = [s for s in writer.pop() if s.parent_id == 0]
    assert decision(roots[0])[:2] == (USER_REJECT, None)


# ---------------------------------------------------------------- when the sampler runs


def test_decision_made_before_the_root_finishes_is_kept_and_made_once():
    sampler = CountingSampler(rules=[SamplingRule(0.5)])
    tracer, writer = make_tracer(sampler)
    root = tracer.start_span("op", child_of=Context(trace_id=KEPT_AT_HALF, span_id=3))
    child = tracer.start_span("child", child_of=root)
    child._sample_if_undecided()
    assert root.context.sampling_priority == USER_KEEP
    assert child.context.sampling_priority == USER_KEEP
    child.finish()
    root.finish()
    assert [s.span_id for s in sampler.calls] == [root.span_id]
    written = {s.span_id: s for s in writer.pop()}
    assert decision(written[root.span_id]) == (USER_KEEP, "-3", {"_dd.rule_psr": 0.5, "_dd.limit_psr": 1.0})


def test_remote_decision_is_respected():
    sampler = CountingSampler(rules=[SamplingRule(1.0)])
    tracer, writer = make_tracer(sampler)
    parent = Context(trace_id=KEPT_AT_HALF, span_id=3, sampling_priority=AUTO_REJECT)
    tracer.start_span("op", child_of=parent).finish()
    (root,) = writer.pop()
    assert decision(root) == (AUTO_REJECT, None, {})
    assert sampler.calls == []


# ---------------------------------------------------------------- bad configuration


def test_invalid_json_rules_warn_and_fall_back(monkeypatch, caplog):
    monkeypatch.setattr(config, "_trace_sampling_rules", "[{'sample_rate': 0}")
    sampler = DatadogSampler()
    (msg,) = warnings_of(caplog)
    assert "DD_TRACE_SAMPLING_RULES" in msg and "JSON" in msg
    assert sampler.rules == []
    tracer, writer = make_tracer(sampler)
    assert decision(run_trace(tracer, writer)[0]) == (AUTO_KEEP, "-0", {})


def test_rules_json_that_is_not_a_list(monkeypatch, caplog):
    monkeypatch.setattr(config, "_trace_sampling_rules", '"everything"')
    assert DatadogSampler().rules == []
    (msg,) = warnings_of(caplog)
    assert "must be a list" in msg


def test_single_rule_object_is_accepted(monkeypatch, caplog):
    monkeypatch.setattr(config, "_trace_sampling_rules", '{"sample_rate": 0.1}')
    assert DatadogSampler().rules == [SamplingRule(0.1)]
    assert warnings_of(caplog) == []


def test_bad_rules_are_skipped_with_one_warning(monkeypatch, caplog):
    rules = [
        {"service": "web"},
        {"sample_rate": 1.5},
        {"sample_rate": "abc"},
        {"sample_rate": None},
        {"sample_rate": 0, "servcie": "web"},
        {"sample_rate": 0, "tags": [{"key": "k"}]},
        {"sample_rate": 0, "service": ["web"]},
        5,
        {"sample_rate": "0.0", "service": "db"},  # numeric strings are fine
    ]
    monkeypatch.setattr(config, "_trace_sampling_rules", json.dumps(rules))
    sampler = DatadogSampler()
    (msg,) = warnings_of(caplog)
    for fragment in ("no sample_rate", "1.5", "'abc'", "None", "servcie", "value_glob", "['web']", "rule #8"):
        assert fragment in msg
    assert sampler.rules == [SamplingRule(0.0, service="db")]
    tracer, writer = make_tracer(sampler)
    assert decision(run_trace(tracer, writer, service="db")[0])[0] == USER_REJECT
    assert decision(run_trace(tracer, writer, service="web")[0])[0] == AUTO_KEEP


@pytest.mark.parametrize("bad", [2.0, -0.5, float("nan"), "often", [0.5]])
def test_bad_sample_rate_from_config(monkeypatch, caplog, bad):
    monkeypatch.setattr(config, "_trace_sample_rate", bad)
    sampler = DatadogSampler()
    (msg,) = warnings_of(caplog)
    assert "DD_TRACE_SAMPLE_RATE" in msg
    assert sampler.rules == [] and sampler.default_sample_rate is None


def test_sample_rate_as_numeric_string(monkeypatch, caplog):
    monkeypatch.setattr(config, "_trace_sample_rate", "0.3")
    assert DatadogSampler().rules == [SamplingRule(0.3)]
    assert warnings_of(caplog) == []


@pytest.mark.parametrize("bad", ["lots", float("nan"), object(), True])
def test_bad_rate_limit_from_config(monkeypatch, caplog, bad):
    monkeypatch.setattr(config, "_trace_rate_limit", bad)
    sampler = DatadogSampler()
    (msg,) = warnings_of(caplog)
    assert "DD_TRACE_RATE_LIMIT" in msg and "100" in msg
    assert sampler.limiter.rate_limit == 100


def test_rate_limit_as_numeric_string(monkeypatch):
    monkeypatch.setattr(config, "_trace_rate_limit", "25")
    assert DatadogSampler().limiter.rate_limit == 25.0


def test_bad_constructor_arguments_never_raise(caplog):
    sampler = DatadogSampler(rules=[{"sample_rate": 3}, SamplingRule(0.2)], default_sample_rate="x", rate_limit=[1])
    msgs = warnings_of(caplog)
    assert len(msgs) == 3
    assert sampler.rules == [SamplingRule(0.2)]
    assert sampler.limiter.rate_limit == 100


def test_bad_agent_rates(caplog):
    sampler = DatadogSampler()
    sampler.update_rate_by_service_sample_rates({"service:,env:": 0.0})
    sampler.update_rate_by_service_sample_rates(["not", "a", "dict"])
    (msg,) = warnings_of(caplog)
    assert "rate_by_service" in msg
    tracer, writer = make_tracer(sampler)
    assert decision(run_trace(tracer, writer)[0])[0] == AUTO_REJECT  # previous rates kept
    caplog.clear()
    sampler.update_rate_by_service_sample_rates({"service:web,env:": 7, "service:api,env:": "x", "service:,env:": 1.0})
    (msg,) = warnings_of(caplog)
    assert "'service:web,env:': 7" in msg and "'service:api,env:': 'x'" in msg
    assert decision(run_trace(tracer, writer, service="web")[0]) == (AUTO_KEEP, "-1", {"_dd.agent_psr": 1.0})


def test_internal_error_falls_back_to_keep(monkeypatch, internal_errors):
    sampler = DatadogSampler(rules=[SamplingRule(0.0)])

    def boom(*args):
        raise RuntimeError("broken")

    monkeypatch.setattr(sampler, "_decide", boom)
    tracer, writer = make_tracer(sampler)
    root, _ = run_trace(tracer, writer)
    assert decision(root) == (AUTO_KEEP, "-0", {})
    assert [what for _, what in internal_errors] == ["sampling a trace"]


# ---------------------------------------------------------------- RateSampler


def test_rate_sampler():
    s = RateSampler(0.5)
    assert s.sample(Span("op", trace_id=KEPT_AT_HALF))
    assert not s.sample(Span("op", trace_id=DROPPED_AT_HALF))
    s.set_sample_rate(1)
    assert s.sample_rate == 1.0
    assert s.sample(Span("op", trace_id=DROPPED_AT_HALF))
    with pytest.raises(ValueError):
        s.set_sample_rate(1.1)
    assert "0.5" in repr(RateSampler(0.5))


def test_repr_mentions_rules_and_agent_rates():
    sampler = DatadogSampler(rules=[SamplingRule(0.5, service="web")], rate_limit=5)
    sampler.update_rate_by_service_sample_rates({"service:,env:": 0.25})
    text = repr(sampler)
    assert "service='web'" in text and "rate_limit=5" in text and "0.25" in text


def test_agent_rate_lookup_cache_stays_bounded():
    sampler = DatadogSampler()
    tracer, writer = make_tracer(sampler)
    sampler.update_rate_by_service_sample_rates({"service:svc-7,env:": 0.0, "service:,env:": 1.0})
    for i in range(1500):
        with tracer.trace("op", service="svc-%d" % i):
            pass
    spans = writer.pop()
    assert len(sampler._agent[1]) <= 1000
    by_service = {s.service: s.get_metric("_sampling_priority_v1") for s in spans}
    assert by_service["svc-7"] == AUTO_REJECT and by_service["svc-8"] == AUTO_KEEP
