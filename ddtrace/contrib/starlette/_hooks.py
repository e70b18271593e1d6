"""The instrumentation the Starlette and FastAPI integrations share.

FastAPI is Starlette underneath, so both integrations install the same hooks (once,
whichever is patched first; removed when the last one is unpatched):

- ``Starlette.__call__`` runs each HTTP request and websocket connection inside the
  shared ASGI middleware (:class:`ddtrace.contrib.asgi.TraceMiddleware`), configured
  with the settings of the integration that owns the application: ``config.fastapi``
  for a ``FastAPI`` application when the fastapi integration is patched and enabled,
  else ``config.starlette``. An application mounted inside a traced one does not start a
  second server span.
- ``Route.handle``, ``WebSocketRoute.handle`` and ``Mount.handle`` are called by the
  router once a route matched (fully, or partially for a 405): they name the request
  after the route template, mount prefixes included (``GET /api/items/{item_id}``,
  ``http.route``). The progress is kept in the request's ``scope["datadog"]``.
- ``BackgroundTask`` records which request created it and, when run, gets a span of
  its own in a new trace, linked to that request (the request was answered already).
- Unhandled exceptions: Starlette's error middleware sends the 500 response before it
  re-raises, and the request span ends with the response; so the exception being
  handled is recorded on the request span when a server error status starts.
"""
from __future__ import annotations

import sys
import threading

from ddtrace.contrib import _integration
from ddtrace.contrib import trace_utils
from ddtrace.contrib._integration import guard
from ddtrace.contrib.asgi import TraceMiddleware
from ddtrace.internal.logger import get_logger
from ddtrace.internal.logger import report_internal_error
from ddtrace.settings import config

log = get_logger(__name__)

#: The key the ASGI middleware keeps its per-request state under in the scope.
_SCOPE_KEY = "datadog"
_ROUTE = "route"
_PREFIX = "route_prefix"
_ROUTE_OBJECT = "route_object"
_TASK_ORIGIN = "_datadog_request_span"

_lock = threading.RLock()
#: integration name -> (Integration, application class), for the installed owners
_owners = {}
#: (Integration, application class), most derived class first
_owner_list = ()
_records = []
#: exceptions that are answers, not failures (HTTPException...)
_expected_exceptions = ()
_Match = None


def install(integration, app_class):
    """Install the shared hooks for ``integration`` (traces apps of ``app_class``)."""
    global _owner_list
    with _lock:
        first = not _owners
        _owners[integration.name] = (integration, app_class)
        if first:
            try:
                _wrap_all()
            except BaseException:
                _restore_all()
                del _owners[integration.name]
                raise
        _owner_list = tuple(sorted(_owners.values(), key=lambda o: -len(o[1].__mro__)))


def uninstall(integration):
    """Remove ``integration``; the hooks go when no integration is left."""
    global _owner_list
    with _lock:
        if _owners.pop(integration.name, None) is None:
            return
        _owner_list = tuple(sorted(_owners.values(), key=lambda o: -len(o[1].__mro__)))
        if not _owners:
            _restore_all()


def installed():
    """Names of the integrations the hooks are installed for."""
    return sorted(_owners)


def _wrap_all():
    global _expected_exceptions, _Match
    from starlette import background
    from starlette import exceptions
    from starlette import routing
    from starlette.applications import Starlette

    expected = [exceptions.HTTPException]
    if hasattr(exceptions, "WebSocketException"):
        expected.append(exceptions.WebSocketException)
    _expected_exceptions = tuple(expected)
    _Match = routing.Match

    try:
        from starlette.middleware.exceptions import ExceptionMiddleware
    except ImportError:  # Starlette < 0.19
        from starlette.exceptions import ExceptionMiddleware

    _records.append(_integration.wrap(Starlette, "__call__", _traced_app_call))
    _records.append(_integration.wrap(ExceptionMiddleware, "__call__", _traced_exception_middleware))
    _records.append(_integration.wrap(routing.Route, "handle", traced_route_handle))
    _records.append(_integration.wrap(routing.WebSocketRoute, "handle", traced_route_handle))
    _records.append(_integration.wrap(routing.Mount, "handle", _traced_mount_handle))
    _records.append(_integration.wrap(background.BackgroundTask, "__init__", _traced_task_init))
    _records.append(_integration.wrap(background.BackgroundTask, "__call__", _traced_task_call))


def _restore_all():
    while _records:
        record = _records.pop()
        try:
            record.restore()
        except Exception as e:
            report_internal_error(e, "restoring starlette %s" % (record.attr,))


def _owner_of(app):
    """``(integration, pin)`` tracing ``app``: the one for its most derived class that
    is enabled (a FastAPI app falls back to Starlette's), or ``(None, None)``."""
    pin = None
    for integration, cls in _owner_list:
        if isinstance(app, cls):
            if pin is None:
                pin = integration.pin_of(app)
            if integration.should_trace(pin):
                return integration, pin
    return None, None


def _owner_named(name):
    owner = _owners.get(name) or _owners.get("starlette")
    if owner is None:
        for owner in _owners.values():
            break
    return owner[0] if owner is not None else None


def request_spans(scope):
    """The server spans of this request: ours and those of any ASGI middleware around
    the application (empty when the request is not traced)."""
    state = scope.get(_SCOPE_KEY) if isinstance(scope, dict) else None
    if not state:
        return ()
    spans = state.get("request_spans")
    return spans or ()


def _traced_by_us(scope):
    for span in request_spans(scope):
        if span._meta.get("component") in _owners:
            return True
    return False


# ---------------------------------------------------------------- the application


class _SpanModifier:
    __slots__ = ("integration", "pin")

    def __init__(self, integration, pin):
        self.integration = integration
        self.pin = pin

    def __call__(self, span, scope):
        span._meta["component"] = self.integration.name
        if self.pin is not None and self.pin.service:
            span.service = self.pin.service
        asgi = scope.get("asgi")
        if isinstance(asgi, dict):
            # What the PyPI tracer records; the ASGI middleware may do it too one day.
            for key in ("version", "spec_version"):
                value = asgi.get(key)
                if value and ("asgi." + key) not in span._meta:
                    span._set_tag_str("asgi." + key, str(value))


def _traced_app_call(wrapped, instance, args, kwargs):
    # Not a coroutine function itself: a call with the wrong arguments must fail at
    # once, as the original does (uvicorn calls the app with none to spot factories).
    integration = pin = middleware = None
    try:
        if len(args) == 3 and not kwargs:
            scope = args[0]
            if scope.get("type") in ("http", "websocket") and not _traced_by_us(scope):
                integration, pin = _owner_of(instance)
                if integration is not None:
                    middleware = TraceMiddleware(
                        _Application(wrapped, instance),
                        tracer=integration.tracer(pin) if pin is not None else None,
                        integration_config=integration.config,
                        span_modifier=_SpanModifier(integration, pin),
                    )
    except Exception as e:
        report_internal_error(e, "preparing the trace of a Starlette request")
        middleware = None
    if middleware is None:
        return wrapped(*args, **kwargs)
    return middleware(*args)


class _Application:
    """The application as the ASGI middleware calls it: its ``send`` watched."""

    __slots__ = ("wrapped", "app")

    def __init__(self, wrapped, app):
        self.wrapped = wrapped
        self.app = app

    def __call__(self, scope, receive, send):
        return self.wrapped(scope, receive, _WatchedSend(send, scope, self.app))


class _WatchedSend:
    """Before the response starts: the exception being handled (on a server error),
    and, given the application, the route of a request answered before routing (a
    middleware's 401).

    Error responses are sent from the ``except`` block that handles the exception,
    so ``sys.exc_info()`` names it; but only in the same task: a
    ``BaseHTTPMiddleware`` relays the response from another one. So the send is
    watched below such middleware too, where exception handlers run
    (``ExceptionMiddleware``, and the route itself in recent versions).
    """

    __slots__ = ("send", "scope", "app")

    def __init__(self, send, scope, app):
        self.send = send
        self.scope = scope
        self.app = app

    def __call__(self, message):
        if message.get("type") in _RESPONSE_STARTS:
            try:
                self._before_response(message)
            except Exception as e:
                report_internal_error(e, "inspecting a Starlette response")
        return self.send(message)

    def _before_response(self, message):
        scope = self.scope
        state = scope.get(_SCOPE_KEY)
        if not state:
            return
        if self.app is not None and _ROUTE not in state and "router" not in scope:
            route = _route_without_routing(self.app, scope)
            if route:
                set_route(scope, route)
        status = message.get("status")
        if status is None or status not in config._http_server_error_statuses:
            return
        exc = sys.exc_info()[1]
        if exc is None or isinstance(exc, _expected_exceptions):
            return
        for span in request_spans(scope):
            if not span.finished and "error.type" not in span._meta:
                span.set_exc_info(type(exc), exc, exc.__traceback__)


#: The messages that start a response (or accept / refuse a websocket).
_RESPONSE_STARTS = frozenset(("http.response.start", "websocket.accept", "websocket.close"))


def _route_without_routing(app, scope):
    """The template of the route ``scope`` would reach (plain Starlette routes only),
    for requests a middleware answered before the router ran."""
    try:
        return _match_template(getattr(getattr(app, "router", None), "routes", None), dict(scope))
    except Exception as e:
        # A route that cannot match this scope is the application's business.
        log.debug("could not match the routes of %r: %r", type(app).__name__, e)
        return None


def _match_template(routes, scope):
    from starlette import routing

    prefix = ""
    while routes:
        partial = found = None
        for route in routes:
            if not isinstance(route, (routing.Route, routing.WebSocketRoute, routing.Mount)):
                return None  # a route type whose template we cannot read
            match, child = route.matches(scope)
            if match == _Match.FULL:
                found = route
                break
            if match == _Match.PARTIAL and partial is None:
                partial = route
        if found is None:
            return prefix + partial.path if partial is not None else (prefix or None)
        prefix += found.path
        if not isinstance(found, routing.Mount):
            return prefix
        scope.update(child)
        routes = getattr(found, "routes", None)
    return prefix or None


# ---------------------------------------------------------------- routes


def set_route(scope, route):
    """Name the request after the route template ``route``."""
    state = scope[_SCOPE_KEY]
    state[_ROUTE] = route
    method = "websocket" if scope.get("type") == "websocket" else scope.get("method") or "GET"
    resource = "%s %s" % (method, route)
    for span in request_spans(scope):
        if not span.finished:
            span.resource = resource
            span._set_tag_str("http.route", route)


def traced_route_handle(wrapped, instance, args, kwargs):
    """Wrapper of ``Route.handle`` (and of the subclasses' own ``handle``)."""
    try:
        scope = args[0] if args else kwargs.get("scope")
        state = scope.get(_SCOPE_KEY)
        # A route subclass's own handle calling Starlette's is named once.
        if state and state.get("request_spans") and state.get(_ROUTE_OBJECT) is not instance:
            state[_ROUTE_OBJECT] = instance
            set_route(scope, state.get(_PREFIX, "") + _template(scope, instance))
            if len(args) == 3:
                args = (scope, args[1], _WatchedSend(args[2], scope, None))
    except Exception as e:
        report_internal_error(e, "naming a Starlette request after its route")
    return wrapped(*args, **kwargs)


def _template(scope, route):
    """The route's template relative to its router."""
    fastapi = scope.get("fastapi")
    if type(fastapi) is dict:
        # Recent FastAPI versions run the routes of included routers as declared
        # (without the include prefixes); the whole template is in the scope.
        context = fastapi.get("effective_route_context")
        if context is not None and getattr(context, "original_route", None) is route:
            path = getattr(context, "path", None)
            if path and isinstance(path, str):
                return path
    return route.path


def _traced_exception_middleware(wrapped, instance, args, kwargs):
    try:
        if len(args) == 3:
            state = args[0].get(_SCOPE_KEY)
            if state and state.get("request_spans"):
                args = (args[0], args[1], _WatchedSend(args[2], args[0], None))
    except Exception as e:
        report_internal_error(e, "watching a Starlette exception handler")
    return wrapped(*args, **kwargs)


def _traced_mount_handle(wrapped, instance, args, kwargs):
    with guard("naming a Starlette request after its mount point"):
        scope = args[0] if args else kwargs.get("scope")
        if request_spans(scope):
            state = scope[_SCOPE_KEY]
            prefix = state.get(_PREFIX, "") + instance.path
            state[_PREFIX] = prefix
            if prefix:
                # What the request is named if nothing inside the mount matches.
                set_route(scope, prefix)
    return wrapped(*args, **kwargs)


# ---------------------------------------------------------------- background tasks


def _traced_task_init(wrapped, instance, args, kwargs):
    wrapped(*args, **kwargs)
    with guard("recording the request of a background task"):
        from ddtrace.trace import tracer

        span = tracer.current_span()
        if span is not None:
            setattr(instance, _TASK_ORIGIN, span._local_root)


def _task_name(func):
    name = getattr(func, "__name__", None)
    if name is None:
        inner = getattr(func, "func", None)  # functools.partial
        name = getattr(inner, "__name__", None) if inner is not None else None
    return name if isinstance(name, str) else type(func).__name__


async def _traced_task_call(wrapped, instance, args, kwargs):
    span = provider = previous = None
    with guard("starting a background task span"):
        origin = getattr(instance, _TASK_ORIGIN, None)
        component = origin._meta.get("component") if origin is not None else None
        integration = _owner_named(component)
        if integration is not None and integration.should_trace():
            tracer = integration.tracer()
            provider = tracer.context_provider
            previous = provider.active()
            if origin is not None:
                service = origin.service
            else:
                service = trace_utils.int_service(None, integration.config, config.service)
            span = tracer.start_span(
                "%s.background_task" % integration.name,
                service=service,
                resource=_task_name(getattr(instance, "func", None)),
                activate=True,
            )
            span._meta["component"] = integration.name
            if origin is not None:
                # The request was answered already: a link, not a parent.
                if not origin.finished:
                    origin._sample_if_undecided()  # so the link says whether it is kept
                span.link_span(origin.context)
    if span is None:
        return await wrapped(*args, **kwargs)
    try:
        with span:
            return await wrapped(*args, **kwargs)
    finally:
        with guard("finishing a background task span"):
            if provider.active() is not previous:
                provider.activate(previous)
