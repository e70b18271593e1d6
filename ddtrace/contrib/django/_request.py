"""The ``django.request`` server span: one per ``BaseHandler.get_response[_async]`` call
(WSGI, ASGI and the test clients all go through them)."""
from __future__ import annotations

import sys

from ddtrace.constants import SPAN_MEASURED_KEY
from ddtrace.contrib import trace_utils
from ddtrace.contrib._integration import guard
from ddtrace.contrib.django import _middleware
from ddtrace.contrib.django import _views
from ddtrace.contrib.django._utils import COMPONENT_NAME
from ddtrace.contrib.django._utils import activate
from ddtrace.contrib.django._utils import active
from ddtrace.contrib.django._utils import class_name
from ddtrace.contrib.django._utils import tracing
from ddtrace.contrib.django._utils import tracer as _tracer
from ddtrace.ext import COMPONENT
from ddtrace.ext import SPAN_KIND
from ddtrace.ext import SpanKind
from ddtrace.ext import SpanTypes
from ddtrace.ext import http as _http
from ddtrace.internal.logger import report_internal_error
from ddtrace.settings import config
from ddtrace.trace import Context

SPAN_NAME = "django.request"
#: Attribute of the ``HttpRequest`` holding its :class:`_RequestTrace` while it runs.
STATE_ATTR = "_datadog_request"

_cfg = None  # config.django


def patch_handler(integration, base):
    """Wrap ``django.core.handlers.base`` (the handler, the middleware loader, the view call)."""
    global _cfg
    _cfg = integration.config
    integration.wrap(base.BaseHandler, "get_response", _traced_get_response)
    integration.wrap(base.BaseHandler, "get_response_async", _traced_get_response_async)
    _middleware.patch_loader(integration, base)
    _views.patch_view_call(integration, base)


def patch_exception(integration, exception_module):
    """Wrap ``response_for_exception``: it sees every exception a response stands for."""
    integration.wrap(exception_module, "response_for_exception", _traced_response_for_exception)


class _RequestTrace:
    __slots__ = ("span", "previous", "exc")

    def __init__(self, span, previous):
        self.span = span
        self.previous = previous
        self.exc = None


class _MetaHeaders:
    """The request headers of ``request.META``, by ordinary header names."""

    __slots__ = ("meta",)

    def __init__(self, meta):
        self.meta = meta

    def get(self, name, default=None):
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        return self.meta.get(key, default)

    def items(self):
        for key, value in self.meta.items():
            if isinstance(key, str):
                if key.startswith("HTTP_"):
                    yield key[5:].replace("_", "-").lower(), value
                elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                    yield key.replace("_", "-").lower(), value


_propagation_keys = None


def _propagation_headers(meta):
    """The trace propagation headers in ``request.META`` (looked up, not scanned: META
    may hold the whole process environment)."""
    global _propagation_keys
    keys = _propagation_keys
    if keys is None:
        from ddtrace.propagation._utils import HEADER_NAMES

        keys = _propagation_keys = tuple(("HTTP_" + n.upper().replace("-", "_"), n) for n in sorted(HEADER_NAMES))
    found = None
    for key, name in keys:
        value = meta.get(key)
        if value is not None:
            if found is None:
                found = {}
            found[name] = value
    return found


def _distributed(values):
    # ``distributed_tracing_enabled`` is the older name of the setting.
    return values.get("distributed_tracing", True) is not False and values.get("distributed_tracing_enabled") is not False


def _url(request, meta, cfg):
    """``http.url``: built from the request's parts, sanitized by the rules of
    :mod:`ddtrace.contrib.trace_utils` when it has a query string (or a Host header
    with user-info in it)."""
    try:
        scheme = request.scheme
    except Exception:  # a bad SECURE_PROXY_SSL_HEADER must not fail the request
        scheme = meta.get("wsgi.url_scheme") or "http"
    host = meta.get("HTTP_HOST")
    if not host:
        host = meta.get("SERVER_NAME") or ""
        port = str(meta.get("SERVER_PORT") or "")
        if port and port != ("443" if scheme == "https" else "80"):
            host = "%s:%s" % (host, port)
    url = "%s://%s%s" % (scheme, host, request.get_full_path())
    if "?" in url or "@" in host or "#" in url:
        url = trace_utils.sanitize_url(url, cfg.tag_query_string(True))
    return url


def _start(request):
    cfg = _cfg
    values = cfg.__dict__
    tracer = _tracer()
    previous = active(tracer)
    service = values.get("service") or values.get("service_name") or config.service or "django"
    method = request.method or "GET"
    meta = request.META
    ctx = None
    # Continue the caller's trace unless this runs inside a live local span already
    # (an outer middleware of the user's, a test) or an activated remote context.
    if type(previous) is not Context and tracer.current_span() is None and _distributed(values):
        headers = _propagation_headers(meta)
        if headers:
            ctx = trace_utils.extract_context(cfg, headers)
    if ctx is not None:
        span = tracer.start_span(
            SPAN_NAME, child_of=ctx, service=service, resource=method, span_type=SpanTypes.WEB, activate=True
        )
    else:
        span = tracer.trace(SPAN_NAME, service=service, resource=method, span_type=SpanTypes.WEB)
    state = _RequestTrace(span, previous)
    try:
        setattr(request, STATE_ATTR, state)
        span_meta = span._meta
        span_meta[COMPONENT] = COMPONENT_NAME
        span_meta[SPAN_KIND] = SpanKind.SERVER
        span._metrics[SPAN_MEASURED_KEY] = 1
        span_meta["django.request.class"] = class_name(request)
        scope = getattr(request, "scope", None)
        if scope is not None:
            _tag_asgi(span, scope)
        span_meta[_http.METHOD] = method
        span_meta[_http.URL] = _url(request, meta, cfg)
        user_agent = meta.get("HTTP_USER_AGENT")
        if user_agent:
            span_meta[_http.USER_AGENT] = str(user_agent)
        if cfg.header_tags():
            # Only then: scanning META costs more than everything else here.
            trace_utils.set_http_meta(span, cfg, request_headers=_MetaHeaders(meta))
    except Exception as e:
        report_internal_error(e, "tagging a django.request span")
    return state


def _tag_asgi(span, scope):
    version = scope.get("http_version")
    if version:
        span._meta[_http.VERSION] = str(version)
    asgi = scope.get("asgi")
    if isinstance(asgi, dict) and asgi.get("version"):
        span._meta["asgi.version"] = str(asgi["version"])


def _resource_and_route(cfg, method, match, status):
    """``(resource, route, view tag)`` of a finished request."""
    if match is None:
        # Not resolved: a 404, or a response from a middleware before URL resolution.
        return "%s %s" % (method, status), None, None
    route = getattr(match, "route", None)
    if route == "":
        route = "^/"  # the URLconf's root pattern, as the reference tracer reports it
    handler = _views.view_name(match.func)
    view_tag = getattr(match, "url_name", None) or handler
    if cfg.get("use_handler_resource_format"):
        resource = "%s %s" % (method, handler)
    elif cfg.get("use_legacy_resource_format"):
        resource = handler
    elif route is not None:
        resource = "%s %s" % (method, route)
    else:
        resource = "%s %s" % (method, handler)
    return resource, route, view_tag


def _finish(state, request, response, exc_info):
    span = state.span
    try:
        cfg = _cfg
        status = getattr(response, "status_code", None) if response is not None else 500
        method = span._meta.get(_http.METHOD) or request.method or "GET"
        match = getattr(request, "resolver_match", None)
        resource, route, view_tag = _resource_and_route(cfg, method, match, status)
        span.resource = resource
        meta = span._meta
        if view_tag:
            meta["django.view"] = view_tag
        if response is not None:
            meta["django.response.class"] = class_name(response)
            template = getattr(response, "template_name", None)
            if template:
                meta["django.response.template"] = (
                    template if isinstance(template, str) else ", ".join(str(t) for t in template)
                )
        _tag_user(span, cfg, request)
        if route is not None:
            meta[_http.ROUTE] = route
        if isinstance(status, int):
            meta[_http.STATUS_CODE] = str(status)
            if status in config._http_server_error_statuses:
                span.error = 1
        if response is not None and cfg.header_tags():
            trace_utils.set_http_meta(span, cfg, response_headers=getattr(response, "headers", None))
        if exc_info is not None:
            span.set_exc_info(*exc_info)
        elif span.error and state.exc is not None and "error.type" not in meta:
            exc = state.exc
            span.set_exc_info(type(exc), exc, exc.__traceback__)
    except Exception as e:
        report_internal_error(e, "tagging a finished django.request span")
    finally:
        state.exc = None
        try:
            delattr(request, STATE_ATTR)
        except Exception:
            pass
        span.finish()
        try:
            tracer = _tracer()
            if active(tracer) is not state.previous:
                activate(tracer, state.previous)
        except Exception as e:
            report_internal_error(e, "restoring the active span after a django request")


_lazy = None


def _lazy_types():
    global _lazy
    if _lazy is None:
        from django.utils.functional import LazyObject
        from django.utils.functional import empty

        _lazy = (LazyObject, empty)
    return _lazy


def _tag_user(span, cfg, request):
    user = request.__dict__.get("user")
    if user is None:
        return
    lazy, empty = _lazy_types()
    if isinstance(user, lazy):
        # Loading the user costs queries: only a user the application loaded is read.
        user = user.__dict__.get("_wrapped", empty)
        if user is empty:
            return
    authenticated = getattr(user, "is_authenticated", None)
    if authenticated is None:
        return
    authenticated = bool(authenticated)
    meta = span._meta
    meta["django.user.is_authenticated"] = str(authenticated)
    if not authenticated:
        return
    pk = getattr(user, "pk", None)
    if pk is not None:
        meta["django.user.id"] = meta["usr.id"] = str(pk)
    if cfg.get("include_user_name"):
        get_username = getattr(user, "get_username", None)
        name = get_username() if get_username is not None else getattr(user, "username", None)
        if name:
            meta["django.user.name"] = str(name)


def _traced_get_response(wrapped, instance, args, kwargs):
    if not tracing():
        return wrapped(*args, **kwargs)
    request = args[0] if args else kwargs.get("request")
    state = None
    with guard("starting a django.request span"):
        state = _start(request)
    if state is None:
        return wrapped(*args, **kwargs)
    try:
        response = wrapped(*args, **kwargs)
    except BaseException:
        _finish(state, request, None, sys.exc_info())
        raise
    _finish(state, request, response, None)
    return response


def _traced_get_response_async(wrapped, instance, args, kwargs):
    return _get_response_async(wrapped, args, kwargs)


async def _get_response_async(wrapped, args, kwargs):
    if not tracing():
        return await wrapped(*args, **kwargs)
    request = args[0] if args else kwargs.get("request")
    state = None
    with guard("starting a django.request span"):
        state = _start(request)
    if state is None:
        return await wrapped(*args, **kwargs)
    try:
        response = await wrapped(*args, **kwargs)
    except BaseException:
        _finish(state, request, None, sys.exc_info())
        raise
    _finish(state, request, response, None)
    return response


def _traced_response_for_exception(wrapped, instance, args, kwargs):
    with guard("remembering a django request's exception"):
        request = args[0] if args else kwargs.get("request")
        exc = args[1] if len(args) > 1 else kwargs.get("exc")
        state = getattr(request, STATE_ATTR, None)
        if state is not None and isinstance(exc, Exception):
            state.exc = exc
    return wrapped(*args, **kwargs)
