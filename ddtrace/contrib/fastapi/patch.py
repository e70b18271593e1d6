"""Traces FastAPI applications: ``fastapi.request`` server spans (through the hooks
of the Starlette integration) and ``fastapi.serialize_response`` spans (see
:mod:`ddtrace.contrib.fastapi`)."""
from ddtrace.contrib._integration import Integration
from ddtrace.contrib._integration import guard
from ddtrace.contrib.starlette import _hooks

integration = Integration("fastapi")
patch, unpatch, get_version = integration.patch, integration.unpatch, integration.version


@integration.on_import("fastapi")
def _patch(fastapi):
    import fastapi.routing

    integration.wrap(fastapi.FastAPI, "__call__", _hooks.app_call_wrapper(integration))
    _hooks.install(integration)
    integration.wrap(fastapi.routing, "serialize_response", _traced_serialize_response)
    # Recent versions run the routes of included routers here, not through Route.handle.
    for cls in (fastapi.routing.APIRoute, fastapi.routing.APIWebSocketRoute):
        integration.wrap_own(cls, {"handle": _hooks.traced_route_handle})


async def _traced_serialize_response(wrapped, instance, args, kwargs):
    span = None
    with guard("starting a fastapi.serialize_response span"):
        if integration.should_trace():
            request = integration.tracer().current_span()
            if request is not None:  # only inside a traced request
                span = integration.start_span("fastapi.serialize_response", service=request.service)
    if span is None:
        return await wrapped(*args, **kwargs)
    with span:
        return await wrapped(*args, **kwargs)
