"""The ``django.request`` server span: one per ``BaseHandler.get_response[_async]`` call
(WSGI, ASGI and the test clients all go through them), started and finished by the
server-request block (:mod:`ddtrace.contrib._server`)."""
from __future__ import annotations

import sys

from ddtrace.contrib import _server
from ddtrace.contrib import trace_utils
from ddtrace.contrib._integration import guard
from ddtrace.contrib.django import _middleware
from ddtrace.contrib.django import _views
from ddtrace.contrib.django._utils import STATE_ATTR
from ddtrace.contrib.django._utils import class_name
from ddtrace.contrib.django._utils import service
from ddtrace.contrib.django.patch import integration
from ddtrace.ext import http as _http
from ddtrace.internal.logger import report_internal_error

SPAN_NAME = "django.request"


def patch_handler(base):
    """Wrap ``django.core.handlers.base`` (the handler, the middleware loader, the view call)."""
    integration.wrap(base.BaseHandler, "get_response", _traced_get_response)
    integration.wrap(base.BaseHandler, "get_response_async", _traced_get_response_async)
    _middleware.patch_loader(base)
    _views.patch_view_call(base)


def patch_exception(exception_module):
    """Wrap ``response_for_exception``: it sees every exception a response stands for."""
    integration.wrap(exception_module, "response_for_exception", _traced_response_for_exception)


class _Request(_server.ServerRequest):
    """The server block's request, plus the exception a 5xx response stands for."""

    __slots__ = ("exc",)


def _url(request, meta):
    """``http.url`` before sanitising: Django's own view of the scheme (honouring
    ``SECURE_PROXY_SSL_HEADER``), host and percent-encoded path."""
    try:
        scheme = request.scheme
    except Exception:  # a bad SECURE_PROXY_SSL_HEADER must not fail the request
        scheme = meta.get("wsgi.url_scheme") or "http"
    host = meta.get("HTTP_HOST")
    port = None
    if not host:
        host = meta.get("SERVER_NAME") or ""
        port = meta.get("SERVER_PORT") or None
    return trace_utils.build_url(scheme, host, request.get_full_path(), None, port)


def _start(request):
    cfg = integration.config
    meta = request.META
    req = _server.start_request(
        integration,
        None,
        SPAN_NAME,
        request.method or "GET",
        _url(request, meta),
        _server.EnvironHeaders(meta),
        _server.propagation_headers(meta),
        service=service(),
        # ``distributed_tracing_enabled`` is the setting's older name.
        distributed=False if cfg.get("distributed_tracing_enabled") is False else None,
        cls=_Request,
    )
    req.exc = None
    # The span is started and active: from here on a failure must not lose it.
    try:
        setattr(request, STATE_ATTR, req)
        span = req.span
        span.set_tag_str("django.request.class", class_name(request))
        scope = getattr(request, "scope", None)
        if scope is not None:
            version = scope.get("http_version")
            if version:
                span.set_tag_str(_http.VERSION, version)
            asgi = scope.get("asgi")
            if isinstance(asgi, dict) and asgi.get("version"):
                span.set_tag_str("asgi.version", asgi["version"])
    except Exception as e:
        report_internal_error(e, "tagging a django.request span")
    return req


def _route(cfg, req, match):
    """Record the view a request resolved to: route, resource and ``django.view``."""
    method = req.method
    route = getattr(match, "route", None)
    if route == "":
        route = "^/"  # the URLconf's root pattern, as the reference tracer reports it
    handler = _views.view_name(match.func)
    if cfg.get("use_handler_resource_format"):
        resource = "%s %s" % (method, handler)
    elif cfg.get("use_legacy_resource_format"):
        resource = handler
    else:
        resource = "%s %s" % (method, route if route is not None else handler)
    if route is not None:
        req.set_route(route, resource)
    else:
        req.span.resource = resource
        req.resource_from_route = False
    req.span.set_tag_str("django.view", getattr(match, "url_name", None) or handler)


def _finish(req, request, response, exc_info):
    span = req.span
    try:
        cfg = integration.config
        match = getattr(request, "resolver_match", None)
        if match is not None:
            _route(cfg, req, match)
        if response is not None:
            span.set_tag_str("django.response.class", class_name(response))
            template = getattr(response, "template_name", None)
            if template:
                span.set_tag_str(
                    "django.response.template",
                    template if isinstance(template, str) else ", ".join(str(t) for t in template),
                )
            req.on_response(response.status_code, getattr(response, "headers", None))
        _tag_user(span, cfg, request)
        exc = req.exc
        if exc_info is None and exc is not None and span.error and span.get_tag("error.type") is None:
            span.set_exc_info(type(exc), exc, exc.__traceback__)
        req.exc = None
        request.__dict__.pop(STATE_ATTR, None)
    except Exception as e:
        report_internal_error(e, "tagging a finished django.request span")
    req.finish(exc_info)
    try:
        req.restore_active()
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
        # Loading the user costs queries: only a user the application loaded is read,
        # or one that is known to be anonymous without loading it.
        loaded = user.__dict__.get("_wrapped", empty)
        if loaded is empty:
            if _anonymous(user, request):
                span.set_tag_str("django.user.is_authenticated", "False")
            return
        user = loaded
    authenticated = getattr(user, "is_authenticated", None)
    if authenticated is None:
        return
    authenticated = bool(authenticated)
    span.set_tag_str("django.user.is_authenticated", str(authenticated))
    if not authenticated:
        return
    pk = getattr(user, "pk", None)
    if pk is not None:
        span.set_tag_str("django.user.id", str(pk))
        span.set_tag_str("usr.id", str(pk))
    if cfg.get("include_user_name"):
        get_username = getattr(user, "get_username", None)
        name = get_username() if get_username is not None else getattr(user, "username", None)
        if name:
            span.set_tag_str("django.user.name", str(name))


def _begin(request):
    try:
        return _start(request)
    except Exception as e:
        report_internal_error(e, "starting a django.request span")
        return None


def _anonymous(lazy_user, request):
    """True for the user ``AuthenticationMiddleware`` set on a request that came
    without a session cookie: ``get_user()`` would find no user id in the session."""
    setup = lazy_user.__dict__.get("_setupfunc")
    if getattr(setup, "__module__", None) != "django.contrib.auth.middleware":
        return False
    session = request.__dict__.get("session")
    return session is not None and getattr(session, "session_key", "") is None


def _traced_get_response(wrapped, instance, args, kwargs):
    if not integration.should_trace():
        return wrapped(*args, **kwargs)
    request = args[0] if args else kwargs.get("request")
    req = _begin(request)
    if req is None:
        return wrapped(*args, **kwargs)
    try:
        response = wrapped(*args, **kwargs)
    except BaseException:
        _finish(req, request, None, sys.exc_info())
        raise
    _finish(req, request, response, None)
    return response


def _traced_get_response_async(wrapped, instance, args, kwargs):
    return _get_response_async(wrapped, args, kwargs)


async def _get_response_async(wrapped, args, kwargs):
    if not integration.should_trace():
        return await wrapped(*args, **kwargs)
    request = args[0] if args else kwargs.get("request")
    req = _begin(request)
    if req is None:
        return await wrapped(*args, **kwargs)
    try:
        response = await wrapped(*args, **kwargs)
    except BaseException:
        _finish(req, request, None, sys.exc_info())
        raise
    _finish(req, request, response, None)
    return response


def remember_exception(request, exc):
    """Keep ``exc`` for the request's span: a 5xx response that stands for it records it."""
    req = getattr(request, STATE_ATTR, None)
    if req is not None and isinstance(exc, Exception):
        req.exc = exc


def _traced_response_for_exception(wrapped, instance, args, kwargs):
    with guard("remembering a django request's exception"):
        remember_exception(args[0] if args else kwargs.get("request"), args[1] if len(args) > 1 else kwargs.get("exc"))
    return wrapped(*args, **kwargs)
