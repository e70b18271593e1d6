"""The tracing API: ``tracer``, ``Span``, ``Context``, ``TraceFilter``, ``Pin``."""
from ddtrace.trace._span import Context
from ddtrace.trace._span import Span
from ddtrace.trace.filters import TraceFilter
from ddtrace.trace.links import SpanLink
from ddtrace.trace.pin import Pin
from ddtrace.trace.tracer import Tracer

#: The global tracer.
tracer = Tracer()

__all__ = ["tracer", "Tracer", "Span", "Context", "TraceFilter", "Pin", "SpanLink"]
