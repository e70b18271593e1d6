"""Where the active span lives.

The default is a ``ContextVar`` (owned by the compiled core), which is correct across
threads, asyncio tasks and ``contextvars.copy_context()``. A custom provider (gevent
without contextvars support, say) subclasses ``BaseContextProvider`` and is installed
with ``tracer.configure(context_provider=...)``.
"""
from ddtrace.trace._span import Span
from ddtrace.trace._span import _active


class BaseContextProvider:
    """Keeps track of the active Span or remote Context."""

    def active(self):
        raise NotImplementedError

    def activate(self, ctx):
        raise NotImplementedError

    def _on_span_finish(self, span):
        """When a span finishes, its parent becomes active again."""
        if self.active() is span:
            self.activate(span._parent)


class DefaultContextProvider(BaseContextProvider):
    """The ``ContextVar``-backed provider the tracer uses unless told otherwise."""

    def active(self):
        active = _active.get()
        if type(active) is Span:
            span = active
            while span is not None and span.finished:
                span = span._parent
            return span
        return active

    def activate(self, ctx):
        """Make ``ctx`` (a Span, a remote Context, or None) the active one."""
        _active.set(ctx)
        return ctx

    def _on_span_finish(self, span):
        if _active.get() is span:
            _active.set(span._parent)
