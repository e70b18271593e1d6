"""Django REST framework: its ``APIView.dispatch`` (which does not call Django's) and
the exceptions it turns into responses itself."""
from __future__ import annotations

from ddtrace.contrib._integration import guard
from ddtrace.contrib.django import _request
from ddtrace.contrib.django import _views
from ddtrace.contrib.django._utils import dotted_name
from ddtrace.contrib.django.patch import integration

_DISPATCH = "django.view.dispatch"


def patch_restframework(views):
    """Wrap ``rest_framework.views.APIView.dispatch`` and ``handle_exception``."""
    api_view = views.APIView
    integration.wrap(api_view, "dispatch", _views.dispatch_wrapper(dotted_name(vars(api_view)["dispatch"])))
    integration.wrap(api_view, "handle_exception", _traced_handle_exception)


def _traced_handle_exception(wrapped, instance, args, kwargs):
    # DRF answers its own exceptions (ValidationError: 400, NotFound: 404,
    # APIException: 500...) inside dispatch, which then returns normally: the dispatch
    # span records the exception it answered, and a server-error response records it
    # on the django.request span too (the status decides whether the request is an
    # error, as for Django's own responses).
    with guard("recording a Django REST framework exception"):
        exc = args[0] if args else kwargs.get("exc")
        if isinstance(exc, Exception):
            span = integration.tracer().current_span()
            if span is not None and span.name == _DISPATCH:
                span.set_exc_info(type(exc), exc, exc.__traceback__)
            drf_request = getattr(instance, "request", None)
            _request.remember_exception(getattr(drf_request, "_request", drf_request), exc)
    return wrapped(*args, **kwargs)
