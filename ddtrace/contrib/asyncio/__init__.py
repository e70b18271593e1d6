"""Keeps traces connected in asyncio programs.

Enabled by default by ``ddtrace-run`` and ``ddtrace.patch_all()``; in code
``ddtrace.patch(asyncio=True)``.

The active span lives in a ``contextvars.ContextVar``, so with or without this
integration:

- a task created inside a span (``asyncio.create_task``, ``gather``, ``TaskGroup``)
  sees that span as its parent;
- ``asyncio.to_thread(fn)`` runs ``fn`` with the caller's active span.

What the integration adds: ``loop.run_in_executor(executor, fn, ...)`` runs ``fn``
with the caller's active span too (Python does not pass the context there), for the
default executor and any other one.

Spans may start in one task and finish in another; a span is finished when its
``with`` block (or ``finish()``) ends, whichever task runs it.

``DD_TRACE_ASYNCIO_ENABLED=false`` turns it off.
"""
