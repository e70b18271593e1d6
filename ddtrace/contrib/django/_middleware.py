"""``django.middleware`` spans: one for each middleware's call and one for each of its
hooks (``process_request``, ``process_view``, ``process_exception``,
``process_template_response``, ``process_response``).

Django builds its middleware chain in ``BaseHandler.load_middleware`` from what
``import_string`` returns for each entry of ``settings.MIDDLEWARE``. That
``import_string`` (the one ``django.core.handlers.base`` imported) is wrapped so each
factory comes back behind a proxy, whose instances come back behind another: the
user's classes and functions are never modified, and ``sync_capable`` /
``async_capable`` and coroutine markers read through the proxies as before.

The proxies make spans only for a request whose ``django.request`` span is open (the
request is their first argument): a chain loaded while patched stays in its handler
after ``unpatch()``, inert.
"""
from __future__ import annotations

import wrapt

from ddtrace.contrib._integration import guard
from ddtrace.contrib.django._utils import STATE_ATTR
from ddtrace.contrib.django._utils import dotted_name
from ddtrace.contrib.django._utils import run_traced
from ddtrace.contrib.django.patch import integration

SPAN_NAME = "django.middleware"
HOOKS = ("process_request", "process_view", "process_exception", "process_template_response", "process_response")


def patch_loader(base):
    """Wrap the ``import_string`` that ``BaseHandler.load_middleware`` calls."""
    integration.wrap(base, "import_string", _traced_import_string)


def _traced_import_string(wrapped, instance, args, kwargs):
    factory = wrapped(*args, **kwargs)
    if not integration.config.get("instrument_middleware", True) or not callable(factory):
        return factory
    with guard("wrapping a django middleware factory"):
        if not isinstance(factory, _MiddlewareFactory):
            return _MiddlewareFactory(factory)
    return factory


class _MiddlewareFactory(wrapt.ObjectProxy):
    """A middleware class or factory function whose instances are traced."""

    def __init__(self, factory):
        super().__init__(factory)
        name = dotted_name(factory)
        self._self_name = name
        # Reference tracer's names: ``pkg.Class.__call__``, or ``pkg.function`` for
        # function-style middleware.
        self._self_call_resource = name + ".__call__" if isinstance(factory, type) else name

    def __call__(self, *args, **kwargs):
        middleware = self.__wrapped__(*args, **kwargs)
        if middleware is None:
            return None  # Django reports the misconfiguration itself
        with guard("wrapping a django middleware instance"):
            _trace_hooks(middleware, self._self_name)
            return _TracedMiddleware(middleware, self._self_call_resource)
        return middleware


def _trace_hooks(middleware, name):
    for hook in HOOKS:
        method = getattr(middleware, hook, None)
        if method is None or isinstance(method, wrapt.FunctionWrapper) or not callable(method):
            continue
        try:
            # A FunctionWrapper keeps ``__self__`` and the coroutine markers Django reads.
            setattr(middleware, hook, wrapt.FunctionWrapper(method, _hook_wrapper("%s.%s" % (name, hook))))
        except (AttributeError, TypeError):
            return  # __slots__ or a read-only object: its calls are still traced


def _hook_wrapper(resource):
    def traced_hook(wrapped, instance, args, kwargs):
        try:
            traced = args[0].__dict__.get(STATE_ATTR)
        except (IndexError, AttributeError):
            traced = None
        if traced is None:
            return wrapped(*args, **kwargs)
        return run_traced(SPAN_NAME, resource, wrapped, args, kwargs)

    return traced_hook


class _TracedMiddleware(wrapt.ObjectProxy):
    """A middleware instance whose calls are ``django.middleware`` spans."""

    def __init__(self, middleware, resource):
        super().__init__(middleware)
        self._self_resource = resource

    def __call__(self, *args, **kwargs):
        try:
            traced = args[0].__dict__.get(STATE_ATTR)
        except (IndexError, AttributeError):
            traced = None
        if traced is None:
            return self.__wrapped__(*args, **kwargs)
        return run_traced(SPAN_NAME, self._self_resource, self.__wrapped__, args, kwargs)
