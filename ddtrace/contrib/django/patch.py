"""Patches Django (and Django REST framework) as their modules are imported.

``patch()`` imports only ``django``: every other module is instrumented by a
post-import hook when the application imports it, so patching early (``ddtrace-run``)
never imports Django's machinery before the settings are configured.

=====================================  ==========================================
module                                 what is wrapped
=====================================  ==========================================
``django.core.handlers.base``          ``BaseHandler.get_response[_async]`` (the
                                       ``django.request`` span), the middleware
                                       loader's ``import_string``, ``make_view_atomic``
``django.core.handlers.exception``     ``response_for_exception`` (the exception a
                                       500 response stands for)
``django.views.generic.base``          ``View.setup`` and ``View.dispatch``
``django.db.backends.base.base``       ``BaseDatabaseWrapper._prepare_cursor``
``django.core.cache``                  ``CacheHandler.create_connection``, then the
                                       backend classes' methods
``django.template.base``               ``Template.render``
``rest_framework.views``               ``APIView.dispatch`` and ``handle_exception``
=====================================  ==========================================
"""
from __future__ import annotations

import os

from ddtrace.contrib._integration import Integration
from ddtrace.internal.logger import get_logger

log = get_logger(__name__)


def _env_bool(name, default):
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    log.warning("%s: %r is not a boolean (use true or false); using %s", name, raw, str(default).lower())
    return default


def _env_str(name, default):
    raw = os.environ.get(name)
    return raw.strip() if raw is not None and raw.strip() else default


def _defaults():
    minimal = _env_bool("DD_DJANGO_TRACING_MINIMAL", True)
    return {
        "tracing_minimal": minimal,
        "instrument_middleware": _env_bool("DD_DJANGO_INSTRUMENT_MIDDLEWARE", True),
        # Minimal tracing leaves these to the database drivers' and cache clients' own
        # integrations; an explicit DD_DJANGO_INSTRUMENT_* wins either way.
        "instrument_databases": _env_bool("DD_DJANGO_INSTRUMENT_DATABASES", not minimal),
        "instrument_caches": _env_bool("DD_DJANGO_INSTRUMENT_CACHES", not minimal),
        "instrument_templates": _env_bool("DD_DJANGO_INSTRUMENT_TEMPLATES", not minimal),
        "include_user_name": _env_bool("DD_DJANGO_INCLUDE_USER_NAME", False),
        "use_handler_resource_format": _env_bool("DD_DJANGO_USE_HANDLER_RESOURCE_FORMAT", False),
        "use_legacy_resource_format": _env_bool("DD_DJANGO_USE_LEGACY_RESOURCE_FORMAT", False),
        "cache_service_name": _env_str("DD_DJANGO_CACHE_SERVICE_NAME", "django"),
        "database_service_name": _env_str("DD_DJANGO_DATABASE_SERVICE_NAME", ""),
        "database_service_name_prefix": _env_str("DD_DJANGO_DATABASE_SERVICE_NAME_PREFIX", ""),
        "trace_fetch_methods": _env_bool("DD_DJANGO_TRACE_FETCH_METHODS", False),
    }


integration = Integration("django", "django", defaults=_defaults(), distributions=("Django",))

#: Versions the integration is tested with (Django REST framework: 3.x).
SUPPORTED = {"django": ">=3.2,<6"}


def get_version():
    """The installed Django version."""
    return integration.version()


def patch():
    """Trace Django (imports ``django`` only; the rest is patched as it is imported).

    Patching twice patches once; returns True if it patched now.
    """
    return integration.patch(_patch)


def unpatch():
    """Restore everything ``patch()`` wrapped and forget the hooks that have not fired."""
    return integration.unpatch()


def _hooks():
    # Imported here: each of these imports only ddtrace modules, never Django.
    from ddtrace.contrib.django import _cache
    from ddtrace.contrib.django import _db
    from ddtrace.contrib.django import _request
    from ddtrace.contrib.django import _restframework
    from ddtrace.contrib.django import _templates
    from ddtrace.contrib.django import _views

    return (
        ("django.core.handlers.base", _request.patch_handler),
        ("django.core.handlers.exception", _request.patch_exception),
        ("django.views.generic.base", _views.patch_views),
        ("django.db.backends.base.base", _db.patch_db),
        ("django.core.cache", _cache.patch_cache),
        ("django.template.base", _templates.patch_templates),
        ("rest_framework.views", _restframework.patch_restframework),
    )


# True from the start of _patch() until unpatch(): a hook firing later (a module
# imported after unpatch) must not patch.
_active = [False]


def _patch(django):
    from ddtrace.internal.module_hooks import register_post_import_hook
    from ddtrace.internal.module_hooks import unregister_post_import_hook

    from ddtrace.contrib.django import _utils

    _utils.bind(integration)
    _active[0] = True
    integration.on_unpatch(_deactivate)
    integration.on_unpatch(_utils.unbind)
    for name, setup in _hooks():
        hook = _guarded(setup)
        integration.on_unpatch(_unregister(unregister_post_import_hook, name, hook))
        register_post_import_hook(name, hook)


def _deactivate():
    _active[0] = False


def _guarded(setup):
    def hook(module):
        if _active[0]:
            setup(integration, module)

    return hook


def _unregister(unregister, name, hook):
    return lambda: unregister(name, hook)
