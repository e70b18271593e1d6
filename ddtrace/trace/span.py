"""``Span`` and ``SpanLink`` (the class itself is compiled, in ``_span.pyx``)."""
from ddtrace.trace._span import Span
from ddtrace.trace.links import SpanLink

__all__ = ["Span", "SpanLink"]
