"""Carries the active span into ``concurrent.futures.ThreadPoolExecutor`` workers."""
from __future__ import annotations

from ddtrace.contrib._integration import Integration
from ddtrace.contrib._integration import guard

integration = Integration("futures")
patch, unpatch, get_version = integration.patch, integration.unpatch, integration.version


@integration.on_import("concurrent.futures.thread")
def _patch(module):
    integration.wrap(module.ThreadPoolExecutor, "submit", _traced_submit)


def bind(tracer, fn):
    """``fn`` wrapped to run with ``tracer``'s currently active span (or remote
    context) active; ``fn`` itself when nothing is active."""
    provider = tracer.context_provider
    active = provider.active()
    if active is None:
        return fn

    def run_with_context(*args, **kwargs):
        # The worker thread's own active span is restored afterwards: it may run
        # other submitters' work next.
        previous = provider.active()
        provider.activate(active)
        try:
            return fn(*args, **kwargs)
        finally:
            provider.activate(previous)

    return run_with_context


def _traced_submit(wrapped, instance, args, kwargs):
    if not integration.should_trace():
        return wrapped(*args, **kwargs)
    # submit(fn, /, *args, **kwargs): ``fn`` is positional-only since Python 3.9.
    if not args:
        return wrapped(*args, **kwargs)
    fn = args[0]
    bound = fn
    with guard("passing the active span to a thread pool"):
        bound = bind(integration.tracer(), fn)
    if bound is fn:
        return wrapped(*args, **kwargs)
    return wrapped(bound, *args[1:], **kwargs)
