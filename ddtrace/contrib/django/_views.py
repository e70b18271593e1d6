"""``django.view`` spans: the view a request resolved to and, for class-based views,
``django.view.setup``, ``django.view.dispatch`` and the HTTP method handler
(``django.view.get``...).

The resolved view (the URLconf's callback) gets a ``django.view`` span named after it.
A view function made by ``View.as_view()`` while patched is traced itself, named after
its class: when it is the callback, that is the one span; when the callback wraps it
(Django REST framework's ``APIView.as_view()`` returns it behind ``csrf_exempt``), the
class's span is a child of the callback's. ``View.setup``, which only the functions of
``View.as_view()`` call, picks the handler to trace: Django REST framework's viewsets,
whose own view function binds actions to methods, have no handler span.
"""
from __future__ import annotations

import wrapt

from ddtrace.contrib._integration import guard
from ddtrace.contrib.django._utils import Switch
from ddtrace.contrib.django._utils import await_in_new_span
from ddtrace.contrib.django._utils import class_name
from ddtrace.contrib.django._utils import dotted_name
from ddtrace.contrib.django._utils import run_traced
from ddtrace.contrib.django.patch import integration

SPAN_NAME = "django.view"

# The view functions View.as_view() made while patched stay in the URLconf after unpatch().
_live = Switch()
# The code of the function View.as_view() returns (set by patch_views).
_as_view_code = None


def view_name(view):
    """``module.Name`` of a resolved view: the class of a class-based view (Django's
    ``view_class``, Django REST framework's ``cls``), else the function."""
    cls = getattr(view, "view_class", None) or getattr(view, "cls", None)
    return dotted_name(cls if isinstance(cls, type) else view)


def _callback_resource(callback):
    """The resource of a URLconf callback's span: ``module.name`` of the function (a
    function of ``View.as_view()``: its class)."""
    if _as_view_code is not None and getattr(callback, "__code__", None) is _as_view_code:
        return view_name(callback)
    name = getattr(callback, "__name__", None)
    if not isinstance(name, str):
        return class_name(callback)
    module = getattr(callback, "__module__", None)
    return "%s.%s" % (module, name) if module else name


def patch_view_call(base):
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

        info = (_callback_resource(callback), bool(iscoroutinefunction(callback)))
        if len(_view_info) < 4096:
            try:
                _view_info[callback] = info
            except TypeError:
                pass
    return info


def _traced_make_view_atomic(wrapped, instance, args, kwargs):
    view = wrapped(*args, **kwargs)
    if not integration.should_trace():
        return view
    with guard("wrapping a django view"):
        callback = args[0] if args else kwargs["view"]
        if isinstance(callback, _TracedView):
            return view  # it makes its own span
        resource, is_async = _info(callback)
        # ATOMIC_REQUESTS wraps the view in a sync transaction (Django refuses async ones).
        if is_async and view is callback:

            async def traced_async_view(*a, **kw):
                return await await_in_new_span(SPAN_NAME, resource, view, a, kw)

            return traced_async_view

        def traced_view(*a, **kw):
            return run_traced(SPAN_NAME, resource, view, a, kw)

        return traced_view
    return view


# -- class-based views


def patch_views(module):
    """Wrap ``View.as_view``, ``View.setup`` and ``View.dispatch`` (``django.views.generic.base``)."""
    global _as_view_code
    view = module.View
    _as_view_code = getattr(view.as_view(), "__code__", None)
    integration.wrap(view, "as_view", _traced_as_view)
    if "setup" in vars(view):
        integration.wrap(view, "setup", _setup_wrapper(dotted_name(vars(view)["setup"])))
    integration.wrap(view, "dispatch", dispatch_wrapper(dotted_name(vars(view)["dispatch"])))
    _live.arm()


class _TracedView(wrapt.FunctionWrapper):
    """A view function made by ``View.as_view()``: a ``django.view`` span named after
    its class. Attributes set on it (``view_class``, ``csrf_exempt``...) are the function's."""


def _traced_as_view(wrapped, instance, args, kwargs):
    view = wrapped(*args, **kwargs)
    with guard("tracing a django class-based view"):
        if isinstance(instance, type) and callable(view) and not isinstance(view, _TracedView):
            return _TracedView(view, _view_call(dotted_name(instance)))
    return view


def _view_call(resource):
    def traced(wrapped, instance, args, kwargs):
        if not _live.tracing():
            return wrapped(*args, **kwargs)
        return run_traced(SPAN_NAME, resource, wrapped, args, kwargs)

    return traced


def _setup_wrapper(resource):
    def traced_setup(wrapped, instance, args, kwargs):
        if not integration.should_trace():
            return wrapped(*args, **kwargs)
        result = run_traced("django.view.setup", resource, wrapped, args, kwargs)
        with guard("tracing a django view handler"):
            request = args[0] if args else kwargs.get("request")
            _trace_handler(instance, getattr(request, "method", None))
        return result

    return traced_setup


def dispatch_wrapper(resource):
    """A wrapper of a ``dispatch`` method: a ``django.view.dispatch`` span."""

    def traced_dispatch(wrapped, instance, args, kwargs):
        if not integration.should_trace():
            return wrapped(*args, **kwargs)
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
    # Named after the method of the class that answers, as PyPI ddtrace names it,
    # whatever the function's own name (api_view's are all "handler"): a class without
    # head answers HEAD with get (View.setup).
    cls = type(view)
    answering = method
    if method == "head" and getattr(cls, "head", None) is None and getattr(cls, "get", None) is not None:
        answering = "get"
    resource = "%s.%s" % (dotted_name(cls), answering)
    name = "django.view." + answering

    def traced_handler(*args, **kwargs):
        if not integration.should_trace():
            return handler(*args, **kwargs)
        return run_traced(name, resource, handler, args, kwargs)

    traced_handler._datadog_traced = True
    traced_handler.__name__ = getattr(handler, "__name__", method)
    # The instance is created for this request only: shadowing its method is local to it.
    setattr(view, method, traced_handler)
