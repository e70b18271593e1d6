"""``Context`` (compiled, in ``_span.pyx``): what a span passes on to its children."""
from ddtrace.trace._span import Context

__all__ = ["Context"]
