"""Keeps traces connected across ``concurrent.futures.ThreadPoolExecutor``.

Enabled by default by ``ddtrace-run`` and ``ddtrace.patch_all()``; in code
``ddtrace.patch(futures=True)``.

A worker thread does not see the span that was active where ``executor.submit(fn)``
was called. With this integration, ``fn`` runs with that span active, so the spans
it creates (a database query, an HTTP call) are its children instead of starting new
traces::

    with tracer.trace("handle-order"):
        executor.submit(charge_card, order)   # spans in charge_card join this trace

No span is created for the submission itself. ``ProcessPoolExecutor`` is not
affected: a process has its own tracer.

``DD_TRACE_FUTURES_ENABLED=false`` turns it off.
"""
