"""Trace sampling rules: which traces a sample rate applies to.

A rule matches a trace's local root span on its service, operation name, resource
and tags with glob patterns: ``*`` matches any run of characters (including none),
``?`` exactly one character, everything else itself. Matching is case-insensitive
and covers the whole value. A pattern made only of ``*`` (or a field left out)
places no constraint at all, not even that the tag exists.
"""
from ddtrace.internal import lazy

#: Knuth's multiplicative hashing constant: spreads sequential trace ids evenly.
KNUTH_FACTOR = 1111111111111111111
_MASK64 = 0xFFFFFFFFFFFFFFFF


def sampling_threshold(sample_rate):
    """The largest hashed trace id kept at ``sample_rate``; -1 keeps nothing.

    A rate of 0 keeps nothing, even the (hash 0) trace whose low 64 bits are zero.
    """
    if sample_rate <= 0:
        return -1
    return int(sample_rate * _MASK64)


def keeps(trace_id, threshold):
    """The deterministic keep test every Datadog tracer agrees on for one trace id.

    ``(trace_id_low64 * 1111111111111111111) mod 2**64 <= rate * (2**64 - 1)``, with
    ``threshold`` from :func:`sampling_threshold`.
    """
    return ((trace_id & _MASK64) * KNUTH_FACTOR) & _MASK64 <= threshold


def check_sample_rate(sample_rate):
    """Return ``sample_rate`` as a float, or raise if it is not a number in [0, 1]."""
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, float)):
        raise TypeError("sample_rate must be a number between 0 and 1, not %r" % (sample_rate,))
    rate = float(sample_rate)
    if not 0.0 <= rate <= 1.0:  # also rejects NaN
        raise ValueError("sample_rate must be between 0 and 1, not %r" % (sample_rate,))
    return rate


class _Glob:
    """One compiled glob pattern."""

    __slots__ = ("pattern", "_exact", "_regex")

    def __init__(self, pattern):
        self.pattern = pattern
        if "*" in pattern or "?" in pattern:
            re = lazy.load("re")
            parts = []
            for ch in pattern:
                if ch == "*":
                    if not parts or parts[-1] != ".*":
                        parts.append(".*")
                elif ch == "?":
                    parts.append(".")
                else:
                    parts.append(re.escape(ch))
            self._exact = None
            self._regex = re.compile("".join(parts), re.IGNORECASE | re.DOTALL).fullmatch
        else:
            self._exact = pattern.lower()
            self._regex = None

    def match(self, value):
        if type(value) is not str:
            value = "" if value is None else str(value)
        if self._regex is None:
            return value.lower() == self._exact
        return self._regex(value) is not None


def _compile(field, pattern):
    """None when the pattern matches everything, else a ``_Glob``."""
    if pattern is None:
        return None
    if isinstance(pattern, int) and not isinstance(pattern, bool):
        pattern = str(pattern)
    if not isinstance(pattern, str):
        raise TypeError("%s pattern must be a string, not %r" % (field, pattern))
    if pattern and not pattern.strip("*"):
        return None
    return _Glob(pattern)


class SamplingRule:
    """Apply ``sample_rate`` to traces whose local root matches every given pattern.

    :param sample_rate: share of matching traces to keep, from 0.0 to 1.0.
    :param service: glob pattern for the service name.
    :param name: glob pattern for the operation name.
    :param resource: glob pattern for the resource.
    :param tags: dict mapping a tag name to a glob pattern for its value. Tags are
        looked up in the span's string tags, then in its metrics; a metric whose
        value is a whole number matches as that integer's digits (``200.0`` matches
        ``"200"`` and ``"2??"``), any other metric only matches an all-``*`` pattern.
        Tag names are compared exactly.

    Omitted patterns match anything. Raises ``TypeError`` / ``ValueError`` for an
    invalid rate or pattern.
    """

    __slots__ = (
        "sample_rate",
        "service",
        "name",
        "resource",
        "tags",
        "_threshold",
        "_service_m",
        "_name_m",
        "_resource_m",
        "_tag_matchers",
    )

    def __init__(self, sample_rate, service=None, name=None, resource=None, tags=None):
        self.sample_rate = check_sample_rate(sample_rate)
        self._threshold = sampling_threshold(self.sample_rate)
        self.service = service
        self.name = name
        self.resource = resource
        if tags is not None and not isinstance(tags, dict):
            raise TypeError("tags must be a dict of tag name to pattern, not %r" % (tags,))
        self.tags = dict(tags) if tags else None
        self._service_m = _compile("service", service)
        self._name_m = _compile("name", name)
        self._resource_m = _compile("resource", resource)
        tag_matchers = []
        for key, pattern in (tags or {}).items():
            if not isinstance(key, str):
                raise TypeError("tag names must be strings, not %r" % (key,))
            m = _compile("tag %r" % key, pattern)
            if m is not None:
                tag_matchers.append((key, m))
        self._tag_matchers = tuple(tag_matchers) or None

    def matches(self, span):
        """Whether ``span`` (a trace's local root) matches every pattern of this rule."""
        return self._match(span, span.service)

    def _match(self, span, service):
        # ``service`` is passed separately so the sampler can match the mapped service name.
        m = self._service_m
        if m is not None and not m.match(service):
            return False
        m = self._name_m
        if m is not None and not m.match(span.name):
            return False
        m = self._resource_m
        if m is not None and not m.match(span.resource):
            return False
        if self._tag_matchers is not None:
            meta = span._meta
            metrics = span._metrics
            for key, m in self._tag_matchers:
                value = meta.get(key)
                if value is None:
                    num = metrics.get(key)
                    if num is None:
                        return False
                    if type(num) is float:
                        if not num.is_integer():
                            return False
                        num = int(num)
                    value = str(num)
                if not m.match(value):
                    return False
        return True

    def sample(self, span):
        """Whether the trace of ``span`` falls within this rule's sample rate."""
        return keeps(span.trace_id, self._threshold)

    def __repr__(self):
        return "SamplingRule(sample_rate=%r, service=%r, name=%r, resource=%r, tags=%r)" % (
            self.sample_rate,
            self.service,
            self.name,
            self.resource,
            self.tags,
        )

    def __eq__(self, other):
        if not isinstance(other, SamplingRule):
            return NotImplemented
        return (self.sample_rate, self.service, self.name, self.resource, self.tags) == (
            other.sample_rate,
            other.service,
            other.name,
            other.resource,
            other.tags,
        )

    __hash__ = None
