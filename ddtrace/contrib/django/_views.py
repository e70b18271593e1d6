"""``django.view`` spans: the view a request resolved to and, for class-based views,
``django.view.setup``, ``django.view.dispatch`` and the HTTP method handler
(``django.view.get``...)."""
from __future__ import annotations

from ddtrace.contrib._integration import guard
from ddtrace.contrib.django._utils import await_in_new_span
from ddtrace.contrib.django._utils import dotted_name
from ddtrace.contrib.django._utils import run_traced
from ddtrace.contrib.django._utils import tracing
from ddtrace.contrib.django._utils import tracer as _tracer

SPAN_NAME = "django.view"


def view_name(view):
    """``module.Name`` of a resolved view: the class of a class-based view (Django's
    ``view_class``, DRF viewsets' ``cls``), else the function."""
    cls = getattr(view, "view_class", None) or getattr(view, "cls", None)
    return dotted_name(cls if isinstance(cls, type) else view)


def patch_view_call(integration, base):
    """Wrap ``BaseHandler.make_view_atomic``: it hands back the exact callable the
    handler calls next, sync or async."""
    integration.wrap(base.BaseHandler, "make_view_atomic", _traced_make_view_atomic)


# view callable -> (resource, is async); views are a fixed set of module-level objects
_view_info = {}


def _info(callback):
    try:
        info = _view_info.get(callback)
    except TypeError:  # an unhashable callable object
        info = None
    if info is None:
        from asgiref.sync import iscoroutinefunction

        info = (view_name(callback), bool(iscoroutinefunction(callback)))
        if len(_view_info) < 4096:
            try:
                _view_info[callback] = info
            except TypeError:
                pass
    return info


def _traced_make_view_atomic(wrapped, instance, args, kwargs):
    view = wrapped(*args, **kwargs)
    if not tracing():
        return view
    with guard("wrapping a django view"):
        resource, is_async = _info(args[0] if args else kwargs["view"])
        # ATOMIC_REQUESTS wraps the view in a sync transaction (Django refuses async ones).
        if is_async and view is (args[0] if args else kwargs["view"]):

            async def traced_async_view(*a, **kw):
                return await await_in_new_span(_tracer(), SPAN_NAME, resource, view, a, kw)

            return traced_async_view

        def traced_view(*a, **kw):
            return run_traced(SPAN_NAME, resource, view, a, kw)

        return traced_view
    return view


# -- class-based views


def patch_views(integration, module):
    """Wrap ``View.setup`` and ``View.dispatch`` (``django.views.generic.base``)."""
    view = module.View
    if "setup" in vars(view):
        integration.wrap(view, "setup", _method_wrapper("django.view.setup", dotted_name(vars(view)["setup"])))
    integration.wrap(view, "dispatch", dispatch_wrapper(dotted_name(vars(view)["dispatch"])))


def _method_wrapper(name, resource):
    def traced(wrapped, instance, args, kwargs):
        if not tracing():
            return wrapped(*args, **kwargs)
        return run_traced(name, resource, wrapped, args, kwargs)

    return traced


def dispatch_wrapper(resource):
    """A wrapper of a ``dispatch`` method: a ``django.view.dispatch`` span, and the
    handler it will pick traced on this (per-request) view instance."""

    def traced_dispatch(wrapped, instance, args, kwargs):
        if not tracing():
            return wrapped(*args, **kwargs)
        with guard("tracing a django view handler"):
            request = args[0] if args else kwargs.get("request")
            _trace_handler(instance, getattr(request, "method", None))
        return run_traced("django.view.dispatch", resource, wrapped, args, kwargs)

    return traced_dispatch


def _trace_handler(view, method):
    if not method or view is None:
        return
    method = method.lower()
    if method not in getattr(view, "http_method_names", ()):
        return
    handler = getattr(view, method, None)
    if handler is None or getattr(handler, "_datadog_traced", False):
        return
    resource = "%s.%s" % (dotted_name(type(view)), getattr(handler, "__name__", method))
    name = "django.view." + method

    def traced_handler(*args, **kwargs):
        if not tracing():
            return handler(*args, **kwargs)
        return run_traced(name, resource, handler, args, kwargs)

    traced_handler._datadog_traced = True
    traced_handler.__name__ = getattr(handler, "__name__", method)
    # The instance is created for this request only: shadowing its method is local to it.
    setattr(view, method, traced_handler)
