"""Trace sampling: decide once per trace whether it is kept, and record why.

The decision is made on the trace's local root span, in this order:

1. The first matching :class:`~ddtrace.trace.sampling_rule.SamplingRule`
   (``DD_TRACE_SAMPLING_RULES``, then ``DD_TRACE_SAMPLE_RATE`` as a catch-all rule)
   decides. Traces it keeps then pass the rate limiter (``DD_TRACE_RATE_LIMIT``,
   100 traces per second by default): priority 2 (user keep, ``_dd.p.dm=-3``) if
   they get through, else -1 (user reject). ``_dd.rule_psr`` and ``_dd.limit_psr``
   record the rates applied.
2. Otherwise the rates the agent sends back (``rate_by_service``) decide: priority 1
   (``_dd.p.dm=-1``) or 0, with ``_dd.agent_psr``.
3. Otherwise the trace is kept with priority 1 (``_dd.p.dm=-0``).

The keep test is a hash of the trace id, so every service of a distributed trace
reaches the same decision for the same rate. ``manual.keep`` / ``manual.drop`` tags
set the priority directly; the sampler is only asked when no decision exists.
"""
from ddtrace.constants import AUTO_KEEP
from ddtrace.constants import AUTO_REJECT
from ddtrace.constants import USER_KEEP
from ddtrace.constants import USER_REJECT
from ddtrace.internal import lazy
from ddtrace.internal.logger import get_logger
from ddtrace.internal.logger import report_internal_error
from ddtrace.internal.rate_limiter import RateLimiter
from ddtrace.settings import config as _config
from ddtrace.trace.sampling_rule import SamplingRule
from ddtrace.trace.sampling_rule import check_sample_rate
from ddtrace.trace.sampling_rule import keeps
from ddtrace.trace.sampling_rule import sampling_threshold

__all__ = ["DatadogSampler", "RateSampler", "SamplingRule"]

log = get_logger(__name__)

_DM = "_dd.p.dm"
_RULE_PSR = "_dd.rule_psr"
_LIMIT_PSR = "_dd.limit_psr"
_AGENT_PSR = "_dd.agent_psr"
_DEFAULT_AGENT_KEY = "service:,env:"
_DEFAULT_RATE_LIMIT = 100
_MISSING = object()
_AGENT_LOOKUP_MAX = 1000
_RULE_KEYS = frozenset(("sample_rate", "service", "name", "resource", "tags", "provenance"))


class RateSampler:
    """Keep a fixed share of traces, chosen by the deterministic trace-id hash.

    :param sample_rate: share of traces to keep, from 0.0 to 1.0.
    """

    def __init__(self, sample_rate=1.0):
        self.set_sample_rate(sample_rate)

    def set_sample_rate(self, sample_rate):
        """Change the rate; raises ``TypeError`` / ``ValueError`` outside [0, 1]."""
        rate = check_sample_rate(sample_rate)
        self.sampling_id_threshold = sampling_threshold(rate)
        self.sample_rate = rate

    def sample(self, span):
        """Whether the trace of ``span`` is kept at this rate (sets nothing on it)."""
        return keeps(span.trace_id, self.sampling_id_threshold)

    def __repr__(self):
        return "RateSampler(sample_rate=%r)" % (self.sample_rate,)


def _as_rate(value):
    """``value`` as a rate in [0, 1] (numeric strings accepted), else raise."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise TypeError("sample_rate must be a number between 0 and 1, not %r" % (value,)) from None
    return check_sample_rate(value)


def _rule_from_dict(d):
    if not isinstance(d, dict):
        raise ValueError("a rule must be an object with a sample_rate, not %r" % (d,))
    unknown = sorted(str(k) for k in d if k not in _RULE_KEYS)
    if unknown:
        raise ValueError("unknown key(s) %s (expected %s)" % (", ".join(unknown), ", ".join(sorted(_RULE_KEYS))))
    if "sample_rate" not in d:
        raise ValueError("no sample_rate")
    tags = d.get("tags")
    if isinstance(tags, list):
        # The remote-configuration shape: [{"key": ..., "value_glob": ...}, ...]
        as_dict = {}
        for item in tags:
            if not isinstance(item, dict) or "key" not in item or "value_glob" not in item:
                raise ValueError("tags entries must look like {\"key\": ..., \"value_glob\": ...}, not %r" % (item,))
            as_dict[item["key"]] = item["value_glob"]
        tags = as_dict
    return SamplingRule(
        _as_rate(d["sample_rate"]),
        service=d.get("service"),
        name=d.get("name"),
        resource=d.get("resource"),
        tags=tags,
    )


def _build_rules(raw, source):
    """SamplingRules from a JSON string, a list of dicts or a list of SamplingRules.

    Bad rules are left out with one warning listing every problem.
    """
    if raw is None:
        return []
    if isinstance(raw, (str, bytes)):
        if not raw.strip():
            return []
        try:
            raw = lazy.load("json").loads(raw)
        except ValueError as e:
            log.warning("%s is not valid JSON (%s); no sampling rules are used", source, e)
            return []
    if isinstance(raw, (SamplingRule, dict)):
        raw = [raw]
    if not isinstance(raw, (list, tuple)):
        log.warning("%s must be a list of rules, not %r; no sampling rules are used", source, raw)
        return []
    rules = []
    problems = []
    for i, item in enumerate(raw):
        if isinstance(item, SamplingRule):
            rules.append(item)
            continue
        try:
            rules.append(_rule_from_dict(item))
        except (TypeError, ValueError) as e:
            problems.append("rule #%d %r: %s" % (i + 1, item, e))
    if problems:
        log.warning("%s: ignoring invalid sampling rule(s): %s", source, "; ".join(problems))
    return rules


def _set_decision(span, priority, dm):
    setter = getattr(span, "_set_sampling_decision", None)
    if setter is not None:
        setter(priority, dm)
        return
    ctx = span.context
    ctx.sampling_priority = priority
    if dm is None:
        ctx._meta.pop(_DM, None)
    else:
        ctx._meta[_DM] = dm


class DatadogSampler:
    """The tracer's sampler: rules, then the rate limiter, then the agent's rates.

    :param rules: list of :class:`~ddtrace.trace.sampling_rule.SamplingRule` (or
        dicts in the ``DD_TRACE_SAMPLING_RULES`` format, or that JSON as a string);
        None reads ``DD_TRACE_SAMPLING_RULES``.
    :param default_sample_rate: rate of a catch-all rule appended after ``rules``;
        None reads ``DD_TRACE_SAMPLE_RATE`` (unset: no catch-all rule).
    :param rate_limit: most traces per second that rules may keep; 0 keeps none,
        a negative value sets no limit; None reads ``DD_TRACE_RATE_LIMIT``.

    Invalid values are logged and ignored; construction never raises.
    """

    def __init__(self, rules=None, default_sample_rate=None, rate_limit=None):
        if rules is None:
            rules = _build_rules(_config._trace_sampling_rules, "DD_TRACE_SAMPLING_RULES")
        else:
            rules = _build_rules(rules, "DatadogSampler(rules=...)")
        if default_sample_rate is None:
            default_sample_rate, source = _config._trace_sample_rate, "DD_TRACE_SAMPLE_RATE"
        else:
            source = "DatadogSampler(default_sample_rate=...)"
        self.default_sample_rate = None
        if default_sample_rate is not None:
            try:
                self.default_sample_rate = _as_rate(default_sample_rate)
            except (TypeError, ValueError) as e:
                log.warning("%s is invalid (%s); it is ignored", source, e)
            else:
                rules.append(SamplingRule(self.default_sample_rate))
        #: The rules in the order they are tried, the catch-all rule last.
        self.rules = rules
        self._rules = tuple(rules) or None

        if rate_limit is None:
            rate_limit, source = _config._trace_rate_limit, "DD_TRACE_RATE_LIMIT"
        else:
            source = "DatadogSampler(rate_limit=...)"
        try:
            if isinstance(rate_limit, str):
                rate_limit = float(rate_limit)
            self.limiter = RateLimiter(rate_limit)
        except (TypeError, ValueError) as e:
            log.warning("%s=%r is invalid (%s); using %d traces per second", source, rate_limit, e, _DEFAULT_RATE_LIMIT)
            self.limiter = RateLimiter(_DEFAULT_RATE_LIMIT)
        # key "service:<s>,env:<e>" -> (rate, threshold); replaced whole, never mutated,
        # so the writer thread can update it while other threads sample.
        # (rates, lookup): rates is "service:<s>,env:<e>" -> (rate, threshold) or None;
        # lookup caches (service, env) -> entry so the key string is built once per pair.
        self._agent = (None, {})

    @property
    def _agent_rates(self):
        return self._agent[0]

    def update_rate_by_service_sample_rates(self, rate_by_service):
        """Take the agent's ``rate_by_service`` (``{"service:web,env:prod": 0.5, ...}``).

        Called by the writer with each agent response; entries that are not rates
        in [0, 1] are logged and skipped. An empty dict forgets the agent's rates.
        """
        if rate_by_service is None:
            return
        if not isinstance(rate_by_service, dict):
            log.warning("agent sent rate_by_service=%r, not an object; keeping the previous rates", rate_by_service)
            return
        rates = {}
        bad = []
        for key, rate in rate_by_service.items():
            try:
                if not isinstance(key, str):
                    raise TypeError("key is not a string")
                rate = check_sample_rate(rate)
            except (TypeError, ValueError):
                bad.append("%r: %r" % (key, rate))
                continue
            rates[key] = (rate, sampling_threshold(rate))
        if bad:
            log.warning("agent sent invalid sample rates, ignored: %s", ", ".join(bad))
        # Rates and their lookup cache are replaced together, in one assignment, so a
        # sampling thread never fills the new cache from the old rates.
        self._agent = (rates or None, {})

    def sample(self, span):
        """Decide the fate of the trace whose local root is ``span``; return whether it is kept.

        Writes the priority and ``_dd.p.dm`` on the trace's context and the rate
        that decided (``_dd.rule_psr`` / ``_dd.limit_psr`` / ``_dd.agent_psr``) on ``span``.
        """
        rules = self._rules
        agent_rates, lookup = self._agent
        if rules is None and agent_rates is None:
            _set_decision(span, AUTO_KEEP, "-0")
            return True
        try:
            return self._decide(span, rules, agent_rates, lookup)
        except Exception as e:
            report_internal_error(e, "sampling a trace")
            _set_decision(span, AUTO_KEEP, "-0")
            return True

    def _decide(self, span, rules, agent_rates, cache):
        service = span.service
        mapping = _config.service_mapping
        if mapping and service in mapping:
            # Rules and agent rates are written against the service name the backend shows.
            service = mapping[service]
        if rules is not None:
            for rule in rules:
                if rule._match(span, service):
                    return self._apply_rule(span, rule)
        if agent_rates is not None:
            env = span._meta.get("env") or _config.env or ""
            entry = cache.get((service, env), _MISSING)
            if entry is _MISSING:
                entry = agent_rates.get("service:%s,env:%s" % (service or "", env))
                if entry is None:
                    entry = agent_rates.get(_DEFAULT_AGENT_KEY)
                if len(cache) >= _AGENT_LOOKUP_MAX:
                    cache.clear()  # bounded, whatever the number of services
                cache[(service, env)] = entry
            if entry is not None:
                rate, threshold = entry
                span._metrics[_AGENT_PSR] = rate
                if keeps(span.trace_id, threshold):
                    _set_decision(span, AUTO_KEEP, "-1")
                    return True
                _set_decision(span, AUTO_REJECT, None)
                return False
        _set_decision(span, AUTO_KEEP, "-0")
        return True

    def _apply_rule(self, span, rule):
        span._metrics[_RULE_PSR] = rule.sample_rate
        if not keeps(span.trace_id, rule._threshold):
            _set_decision(span, USER_REJECT, None)
            return False
        limiter = self.limiter
        if limiter.rate_limit < 0:
            allowed = True
        else:
            allowed, rate = limiter.is_allowed_with_rate()
            span._metrics[_LIMIT_PSR] = rate
        if allowed:
            _set_decision(span, USER_KEEP, "-3")
            return True
        _set_decision(span, USER_REJECT, None)
        return False

    def __repr__(self):
        return "DatadogSampler(rules=%r, rate_limit=%r, agent_rates=%r)" % (
            self.rules,
            self.limiter.rate_limit,
            None if self._agent_rates is None else {k: v[0] for k, v in self._agent_rates.items()},
        )
