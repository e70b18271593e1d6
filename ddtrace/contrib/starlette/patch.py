"""Traces Starlette applications: one ``starlette.request`` server span per request
(see :mod:`ddtrace.contrib.starlette`; the hooks are in ``_hooks``)."""
from __future__ import annotations

from ddtrace.contrib._integration import Integration
from ddtrace.contrib.starlette import _hooks

integration = Integration(
    "starlette",
    "starlette",
    defaults={"request_span_name": "starlette.request", "distributed_tracing": True},
)

#: Versions the integration is tested with.
SUPPORTED = {"starlette": ">=0.13"}


def get_version():
    """The installed Starlette version."""
    return integration.version()


def patch():
    """Trace every Starlette application (imports starlette). Patching twice patches
    once; returns True if it patched now."""
    return integration.patch(_patch)


def unpatch():
    """Stop tracing Starlette applications and restore Starlette's functions."""
    return integration.unpatch()


def _patch(module):
    from starlette.applications import Starlette

    _hooks.install(integration, Starlette)
    integration.on_unpatch(_uninstall)


def _uninstall():
    _hooks.uninstall(integration)
