"""Span links: references from one span to another, possibly in another trace."""


class SpanLink:
    """A link to the span ``span_id`` of trace ``trace_id`` (128-bit int)."""

    __slots__ = ("trace_id", "span_id", "tracestate", "flags", "attributes")

    def __init__(self, trace_id, span_id, tracestate=None, flags=None, attributes=None):
        if not isinstance(trace_id, int) or not isinstance(span_id, int):
            raise TypeError("SpanLink trace_id and span_id must be integers")
        self.trace_id = trace_id
        self.span_id = span_id
        self.tracestate = tracestate
        self.flags = flags
        self.attributes = dict(attributes) if attributes else {}

    def to_dict(self):
        """The JSON shape the agent expects (ids as hex strings / numbers)."""
        d = {"trace_id": "%032x" % self.trace_id, "span_id": "%016x" % self.span_id}
        if self.attributes:
            d["attributes"] = {str(k): str(v) for k, v in self.attributes.items()}
        if self.tracestate:
            d["tracestate"] = self.tracestate
        if self.flags is not None:
            d["flags"] = self.flags | (1 << 31)
        return d

    def __eq__(self, other):
        if not isinstance(other, SpanLink):
            return NotImplemented
        return (self.trace_id, self.span_id, self.tracestate, self.flags, self.attributes) == (
            other.trace_id, other.span_id, other.tracestate, other.flags, other.attributes
        )

    def __repr__(self):
        return "SpanLink(trace_id=%d, span_id=%d, flags=%r, attributes=%r)" % (
            self.trace_id, self.span_id, self.flags, self.attributes
        )
