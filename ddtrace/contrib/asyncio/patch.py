"""Carries the active span into ``loop.run_in_executor`` work.

Tasks need nothing: the active span lives in a ``ContextVar`` and every task runs in
a copy of the context it was created in, so a task started inside a span sees that
span as its parent. ``asyncio.to_thread`` copies the context too. Only
``run_in_executor`` runs a function in another thread without the caller's context.
"""
from __future__ import annotations

from ddtrace.contrib._integration import Integration
from ddtrace.contrib._integration import guard
from ddtrace.contrib.futures.patch import bind

integration = Integration("asyncio")
patch, unpatch, get_version = integration.patch, integration.unpatch, integration.version


@integration.on_import("asyncio.base_events")
def _patch(base_events):
    integration.wrap(base_events.BaseEventLoop, "run_in_executor", _traced_run_in_executor)


def _traced_run_in_executor(wrapped, instance, args, kwargs):
    # run_in_executor(executor, func, *args)
    if len(args) < 2 or not integration.should_trace():
        return wrapped(*args, **kwargs)
    fn = args[1]
    bound = fn
    with guard("passing the active span to run_in_executor"):
        bound = bind(integration.tracer(), fn)
    if bound is fn:
        return wrapped(*args, **kwargs)
    return wrapped(args[0], bound, *args[2:], **kwargs)
