"""Marks code as "tracer internals": integrations must not trace what runs inside.

The writer sends traces over HTTP; once an ``http.client`` integration exists it would
otherwise trace those requests, which would produce more traces to send, forever.
So the tracer's own I/O runs under :func:`suppressed`, and every integration checks
:func:`is_suppressed` before creating a span::

    from ddtrace.internal.suppress import is_suppressed

    def traced_request(wrapped, *args, **kwargs):
        if is_suppressed():
            return wrapped(*args, **kwargs)
        ...

The flag lives in a ``ContextVar`` rather than a ``threading.local`` because under
gevent a ``threading.local`` created before monkey-patching is shared by every
greenlet of the thread, which would leak the writer's flag into the application.
A new thread starts unsuppressed; :func:`suppress_current_thread` marks a tracer
thread for its whole life.
"""
from contextvars import ContextVar

_suppressed = ContextVar("ddtrace_suppressed", default=False)


def is_suppressed():
    """True while the current code runs on behalf of the tracer itself."""
    return _suppressed.get()


class suppressed:
    """Context manager: nothing done inside the ``with`` block is traced.

    Re-entrant; leaving the block restores the previous state.
    """

    __slots__ = ("_token",)

    def __enter__(self):
        self._token = _suppressed.set(True)
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        try:
            _suppressed.reset(self._token)
        except ValueError:
            # Exited in another context than it was entered in (a generator moved
            # between tasks): the flag must not stay on there.
            _suppressed.set(False)
        return False


def suppress_current_thread():
    """Mark the calling thread (its context) as tracer internals until it ends."""
    _suppressed.set(True)
