"""The instrumentation the Starlette and FastAPI integrations share.

FastAPI is Starlette underneath:

- Each integration wraps its application class's ``__call__`` (``Starlette.__call__``,
  ``FastAPI.__call__``, which calls Starlette's): each HTTP request and websocket
  connection is served through :func:`ddtrace.contrib.asgi.serve` with the settings of
  the integration whose wrapper saw it first. An application inside one already traced
  by either (a mounted one, or FastAPI's call reaching Starlette's) starts no second
  server span; a FastAPI application with the fastapi integration off is traced by the
  Starlette integration, if that one is on.
- The hooks of Starlette's routing are installed once, whichever integration is
  patched first, and removed when the last one is unpatched: ``Route.handle``,
  ``WebSocketRoute.handle`` and ``Mount.handle`` are called by the router once a route
  matched (fully, or partially for a 405): they name the request after the route
  template, mount prefixes included (``GET /api/items/{item_id}``, ``http.route``). The
  progress is kept in the request's ``scope["datadog"]``.
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
from ddtrace.contrib import asgi
from ddtrace.contrib._integration import guard
from ddtrace.internal.logger import get_logger
from ddtrace.internal.logger import report_internal_error
from ddtrace.settings import config
from ddtrace.trace import Context
from ddtrace.trace import tracer as _tracer

log = get_logger(__name__)

_KEY = asgi.SCOPE_KEY
#: In the scope's state: the request of the framework integration tracing it.
_FRAMEWORK = "framework_request"
_ROUTE = "route"
_PREFIX = "route_prefix"
_ROUTE_OBJECT = "route_object"
_TASK_ORIGIN = "_datadog_request_span"
_TRACED_SCOPES = ("http", "websocket")

_lock = threading.Lock()
#: Names of the integrations the shared hooks are installed for.
_users = set()
_records = []
#: exceptions that are answers, not failures (HTTPException...)
_expected_exceptions = ()
_Match = None


def install(integration):
    """Install the shared hooks for ``integration`` (at once if they are not yet); they
    go when the last integration using them is unpatched."""
    with _lock:
        if not _users:
            try:
                _wrap_shared()
            except BaseException:
                _restore_shared()
                raise
        _users.add(integration.name)
    integration.on_unpatch(lambda: _uninstall(integration.name))


def _uninstall(name):
    with _lock:
        _users.discard(name)
        if not _users:
            _restore_shared()


def _wrap_shared():
    global _expected_exceptions, _Match
    from starlette import background
    from starlette import exceptions
    from starlette import routing

    expected = [exceptions.HTTPException]
    if hasattr(exceptions, "WebSocketException"):
        expected.append(exceptions.WebSocketException)
    _expected_exceptions = tuple(expected)
    _Match = routing.Match

    try:
        from starlette.middleware.exceptions import ExceptionMiddleware
    except ImportError:  # Starlette < 0.19
        from starlette.exceptions import ExceptionMiddleware

    for owner, attr, wrapper in (
        (ExceptionMiddleware, "__call__", _traced_exception_middleware),
        (routing.Route, "handle", traced_route_handle),
        (routing.WebSocketRoute, "handle", traced_route_handle),
        (routing.Mount, "handle", _traced_mount_handle),
        (background.BackgroundTask, "__init__", _traced_task_init),
        (background.BackgroundTask, "__call__", _traced_task_call),
    ):
        _records.append(_integration.wrap(owner, attr, wrapper))


def _restore_shared():
    while _records:
        record = _records.pop()
        try:
            record.restore()
        except Exception as e:
            report_internal_error(e, "restoring starlette %s" % (record.attr,))


# ---------------------------------------------------------------- the application


def app_call_wrapper(integration):
    """The wrapper of an application class's ``__call__`` for ``integration``."""
    what = "starting the trace of a %s request" % (integration.name,)
    default_name = "%s.request" % (integration.name,)

    def traced_app_call(wrapped, instance, args, kwargs):
        # Not a coroutine function itself: a call with the wrong arguments must fail at
        # once, as the original does (uvicorn calls the app with none to spot factories).
        request = None
        if len(args) == 3 and not kwargs:
            scope = args[0]
            with guard(what):
                if type(scope) is dict and scope.get("type") in _TRACED_SCOPES and not _traced_by_us(scope):
                    # An app almost never has a pin: skip Pin.get_from's lookups then.
                    pin = integration.pin_of(instance) if getattr(instance, "_datadog_pin", None) else None
                    if integration.should_trace(pin):
                        name = integration.config.get("request_span_name") or default_name
                        request = asgi.start_request(integration, pin, scope, name)
                        scope.setdefault(_KEY, {})[_FRAMEWORK] = request
        if request is None:
            return wrapped(*args, **kwargs)

        def call(scope, receive, send):
            return wrapped(scope, receive, _WatchedSend(send, scope, instance))

        return asgi.serve(request, call, scope, args[1], args[2])

    return traced_app_call


def _traced_by_us(scope):
    state = scope.get(_KEY)
    return bool(state) and _FRAMEWORK in state


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
        state = scope.get(_KEY)
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
        for request in asgi.requests_of(scope):
            span = request.span
            if not request.finished and span.get_tag("error.type") is None:
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
    scope[_KEY][_ROUTE] = route
    for request in asgi.requests_of(scope):
        if not request.finished:
            request.set_route(route)


def traced_route_handle(wrapped, instance, args, kwargs):
    """Wrapper of ``Route.handle`` (and of the subclasses' own ``handle``)."""
    try:
        scope = args[0] if args else kwargs.get("scope")
        state = scope.get(_KEY)
        # A route subclass's own handle calling Starlette's is named once.
        if state and asgi.requests_of(scope) and state.get(_ROUTE_OBJECT) is not instance:
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
        if len(args) == 3 and asgi.requests_of(args[0]):
            args = (args[0], args[1], _WatchedSend(args[2], args[0], None))
    except Exception as e:
        report_internal_error(e, "watching a Starlette exception handler")
    return wrapped(*args, **kwargs)


def _traced_mount_handle(wrapped, instance, args, kwargs):
    with guard("naming a Starlette request after its mount point"):
        scope = args[0] if args else kwargs.get("scope")
        if asgi.requests_of(scope):
            state = scope[_KEY]
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
        span = _tracer.current_span()
        if span is not None:
            setattr(instance, _TASK_ORIGIN, span._local_root)


def _task_name(func):
    name = getattr(func, "__name__", None)
    if name is None:
        inner = getattr(func, "func", None)  # functools.partial
        name = getattr(inner, "__name__", None) if inner is not None else None
    return name if isinstance(name, str) else type(func).__name__


def _task_integration(origin):
    """The integration whose request scheduled the task (else Starlette's, if on)."""
    name = origin.get_tag("component") if origin is not None else None
    if name not in _users:
        name = "starlette" if "starlette" in _users else next(iter(_users), None)
    return _integration.loaded(name) if name else None


async def _traced_task_call(wrapped, instance, args, kwargs):
    span = previous = None
    with guard("starting a background task span"):
        origin = getattr(instance, _TASK_ORIGIN, None)
        integration = _task_integration(origin)
        if integration is not None and integration.should_trace():
            previous = _tracer.context_provider.active()
            # The request was answered already: a trace of its own, linked to the request.
            span = integration.start_span(
                "%s.background_task" % (integration.name,),
                service=origin.service if origin is not None else None,
                resource=_task_name(getattr(instance, "func", None)),
                child_of=Context(),
            )
            if span is not None and origin is not None:
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
            provider = _tracer.context_provider
            if provider.active() is not previous:
                provider.activate(previous)
