"""Traces Starlette applications: one ``starlette.request`` server span per request
(see :mod:`ddtrace.contrib.starlette`; the hooks are in ``_hooks``)."""
from ddtrace.contrib._integration import Integration
from ddtrace.contrib.starlette import _hooks

integration = Integration("starlette")
patch, unpatch, get_version = integration.patch, integration.unpatch, integration.version


@integration.on_import("starlette")
def _patch(starlette):
    from starlette.applications import Starlette

    integration.wrap(Starlette, "__call__", _hooks.app_call_wrapper(integration))
    _hooks.install(integration)
