"""Patches Django (and Django REST framework) as their modules are imported.

=====================================  ==========================================
module                                 what is wrapped
=====================================  ==========================================
``django.core.handlers.base``          ``BaseHandler.get_response[_async]`` (the
                                       ``django.request`` span), the middleware
                                       loader's ``import_string``, ``make_view_atomic``
``django.core.handlers.exception``     ``response_for_exception`` (the exception a
                                       500 response stands for)
``django.views.generic.base``          ``View.as_view``, ``View.setup`` and
                                       ``View.dispatch``
``django.db.utils``                    ``ConnectionHandler.create_connection``, then
                                       the backend's ``get_new_connection``
``django.db.backends.base.base``       ``BaseDatabaseWrapper._prepare_cursor``
``django.core.cache``                  ``CacheHandler.create_connection``, then the
                                       backend classes' methods
``django.template.base``               ``Template.render``
``rest_framework.views``               ``APIView.dispatch`` and ``handle_exception``
=====================================  ==========================================

Each set-up imports its helper module only when it runs: those import no Django module
themselves, so patching early (``ddtrace-run``) imports nothing of Django's machinery
before the settings are configured.
"""
from __future__ import annotations

from ddtrace.contrib._integration import Integration

integration = Integration("django")
patch, unpatch, get_version = integration.patch, integration.unpatch, integration.version


@integration.on_import("django.core.handlers.base")
def _patch_handler(base):
    from ddtrace.contrib.django import _request

    _request.patch_handler(base)


@integration.on_import("django.core.handlers.exception")
def _patch_exception(exception):
    from ddtrace.contrib.django import _request

    _request.patch_exception(exception)


@integration.on_import("django.views.generic.base")
def _patch_views(generic):
    from ddtrace.contrib.django import _views

    _views.patch_views(generic)


@integration.on_import("django.db.utils")
def _patch_connections(utils):
    from ddtrace.contrib.django import _db

    _db.patch_connections(utils)


@integration.on_import("django.db.backends.base.base")
def _patch_db(base):
    from ddtrace.contrib.django import _db

    _db.patch_db(base)


@integration.on_import("django.core.cache")
def _patch_cache(cache):
    from ddtrace.contrib.django import _cache

    _cache.patch_cache(cache)


@integration.on_import("django.template.base")
def _patch_templates(template):
    from ddtrace.contrib.django import _templates

    _templates.patch_templates(template)


@integration.on_import("rest_framework.views")
def _patch_restframework(views):
    from ddtrace.contrib.django import _restframework

    _restframework.patch_restframework(views)
