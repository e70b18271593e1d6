"""Django REST framework: its ``APIView.dispatch`` (which does not call Django's) and
the exceptions it turns into responses itself."""
from __future__ import annotations

from ddtrace.contrib._integration import guard
from ddtrace.contrib.django import _views
from ddtrace.contrib.django._request import STATE_ATTR
from ddtrace.contrib.django._utils import dotted_name


def patch_restframework(integration, views):
    """Wrap ``rest_framework.views.APIView.dispatch`` and ``handle_exception``."""
    api_view = views.APIView
    integration.wrap(api_view, "dispatch", _views.dispatch_wrapper(dotted_name(vars(api_view)["dispatch"])))
    integration.wrap(api_view, "handle_exception", _traced_handle_exception)


def _traced_handle_exception(wrapped, instance, args, kwargs):
    # DRF answers its own exceptions (NotFound: 404, APIException: 500...): remember the
    # exception so a server-error response records it on the django.request span; the
    # status decides whether the request is an error, as for Django's own responses.
    with guard("remembering a Django REST framework exception"):
        exc = args[0] if args else kwargs.get("exc")
        drf_request = getattr(instance, "request", None)
        request = getattr(drf_request, "_request", drf_request)
        state = getattr(request, STATE_ATTR, None)
        if state is not None and isinstance(exc, Exception):
            state.exc = exc
    return wrapped(*args, **kwargs)
