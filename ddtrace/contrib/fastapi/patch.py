"""Traces FastAPI applications: ``fastapi.request`` server spans (through the hooks
of the Starlette integration) and ``fastapi.serialize_response`` spans (see
:mod:`ddtrace.contrib.fastapi`)."""
from __future__ import annotations

from ddtrace.contrib._integration import Integration
from ddtrace.contrib._integration import guard
from ddtrace.contrib.starlette import _hooks

integration = Integration(
    "fastapi",
    "fastapi",
    defaults={"request_span_name": "fastapi.request", "distributed_tracing": True},
)

#: Versions the integration is tested with.
SUPPORTED = {"fastapi": ">=0.100"}

SERIALIZE_SPAN = "fastapi.serialize_response"


def get_version():
    """The installed FastAPI version."""
    return integration.version()


def patch():
    """Trace every FastAPI application (imports fastapi). Patching twice patches
    once; returns True if it patched now."""
    return integration.patch(_patch)


def unpatch():
    """Stop tracing FastAPI applications and restore FastAPI's functions."""
    return integration.unpatch()


def _patch(fastapi):
    import fastapi.routing

    _hooks.install(integration, fastapi.FastAPI)
    integration.on_unpatch(_uninstall)
    integration.wrap(fastapi.routing, "serialize_response", _traced_serialize_response)
    for cls in (fastapi.routing.APIRoute, fastapi.routing.APIWebSocketRoute):
        if "handle" in vars(cls):
            # Recent versions run the routes of included routers here, not
            # through Route.handle.
            integration.wrap(cls, "handle", _hooks.traced_route_handle)


def _uninstall():
    _hooks.uninstall(integration)


async def _traced_serialize_response(wrapped, instance, args, kwargs):
    span = None
    with guard("starting a fastapi.serialize_response span"):
        if integration.should_trace():
            tracer = integration.tracer()
            if tracer.current_span() is not None:  # only inside a traced request
                span = tracer.trace(SERIALIZE_SPAN)
                span._meta["component"] = "fastapi"
    if span is None:
        return await wrapped(*args, **kwargs)
    with span:
        return await wrapped(*args, **kwargs)

