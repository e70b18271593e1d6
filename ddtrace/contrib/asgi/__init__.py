"""Tracing for any ASGI 3 application: :class:`TraceMiddleware`.

Wrap the application once::

    from ddtrace.contrib.asgi import TraceMiddleware

    app = TraceMiddleware(app)

Each HTTP request and each websocket connection gets an ``asgi.request`` server span
(type ``web``, ``span.kind=server``, resource ``<METHOD> <path>``, or
``websocket <path>`` for websockets) with ``http.method``, ``http.url`` (query string
obfuscated, see :mod:`ddtrace.contrib.trace_utils`), ``http.version``,
``http.status_code``, ``http.useragent``, ``asgi.version``, ``asgi.spec_version``
and the header tags of ``DD_TRACE_HEADER_TAGS``; websocket spans also carry
``http.upgraded=websocket``.

- The status comes from the ``http.response.start`` message; a status in
  ``DD_TRACE_HTTP_SERVER_ERROR_STATUSES`` (default 500-599) marks the span as an error.
- The span finishes when the last body message (``more_body`` false) has been sent,
  when the client disconnects, or when the application returns or raises, whichever
  comes first; so a streamed body is timed until its end, and background work the
  application does after answering is not.
- An exception from the application is recorded with type, message and stack and
  re-raised unchanged; before a response was started it also sets the status to 500
  (see ``handle_exception_span``).
- ``lifespan`` (and any other scope type) is passed through untraced.

Incoming distributed tracing headers continue the caller's trace unless
``config.asgi.distributed_tracing`` (``DD_ASGI_DISTRIBUTED_TRACING``) is false. The
service is ``DD_ASGI_SERVICE``, else ``DD_SERVICE``.

ASGI 2 applications (classes instantiated with the scope) are supported too.

Differences from the PyPI tracer, on purpose: individual websocket messages are not
traced as spans of their own (it makes ``websocket.receive`` / ``websocket.send`` /
``websocket.close`` spans, some of them in traces of their own); a websocket closed
before it was accepted gets ``http.status_code=403``, the status the client receives.
"""

import sys

from ddtrace.contrib import _server
from ddtrace.contrib import trace_utils
from ddtrace.contrib._integration import Integration
from ddtrace.contrib._integration import guard
from ddtrace.ext import http as _http
from ddtrace.internal.logger import report_internal_error
from ddtrace.propagation._utils import HEADER_NAMES
from ddtrace.trace import Pin

__all__ = ["TraceMiddleware", "span_from_scope"]

integration = Integration("asgi")

#: The key of our per-request state in the scope (PyPI's: users read ``request_spans``).
SCOPE_KEY = "datadog"
_SPANS = "request_spans"
_REQUESTS = "requests"


def span_from_scope(scope):
    """The ``asgi.request`` span of ``scope`` (set by :class:`TraceMiddleware`), or None.

    Frameworks built on ASGI use it to set the route and resource on the server span.
    """
    try:
        return scope.get(SCOPE_KEY, {}).get(_SPANS, [None])[0]
    except Exception:
        return None


def requests_of(scope):
    """The :class:`~ddtrace.contrib._server.ServerRequest` objects of the server spans
    of this request (an outer middleware's first); empty when it is not traced."""
    state = scope.get(SCOPE_KEY) if type(scope) is dict else None
    if not state:
        return ()
    return state.get(_REQUESTS) or ()


def _default_handle_exception_span(exc, span):
    """Status 500 on a request that failed before its response started."""
    if span.get_tag(_http.STATUS_CODE) is None:
        span.set_tag_str(_http.STATUS_CODE, "500")


# ------------------------------------------------------------------ the scope


def _text(value):
    return value.decode("latin-1") if type(value) is bytes else str(value)


def _headers(pairs):
    """``({lowercase name: value}, any propagation header?)`` of the scope's header
    pairs; repeated headers are joined with ``,``."""
    headers = {}
    propagation = False
    for name, value in pairs:
        name = _text(name).lower()
        value = _text(value)
        if name in headers:
            headers[name] = headers[name] + "," + value
        else:
            headers[name] = value
            if name in HEADER_NAMES:
                propagation = True
    return headers, propagation


def _request_url(scope, headers, path):
    scheme = scope.get("scheme") or ("ws" if scope.get("type") == "websocket" else "http")
    host = headers.get("host")
    port = None
    if not host:
        server = scope.get("server")
        if server:
            host, port = server[0], server[1]
    query = scope.get("query_string")
    query = _text(query) if query else None
    if port is not None and ((scheme == "ws" and port == 80) or (scheme == "wss" and port == 443)):
        port = None
    return trace_utils.build_url(scheme, host, path, query, port)


def _request_path(scope):
    raw = scope.get("raw_path")
    if raw:
        # The request target as sent, without the query string.
        return _text(raw).split("?", 1)[0] or "/"
    from urllib.parse import quote

    path = scope.get("path") or ""
    root = scope.get("root_path") or ""
    # Older servers leave the mount point out of ``path``.
    if root and not path.startswith(root):
        path = root + path
    return quote(path, safe="/;=,:@!$&'()*+~") or "/"


class _Request(_server.ServerRequest):
    """A request or websocket connection: a websocket's resources start with
    ``websocket``, which is its ``method`` here (``http.method`` says ``GET``)."""

    __slots__ = ("accepted",)


def start_request(integ, pin, scope, span_name, config=None, service=None, distributed=None):
    """Start the server span of an HTTP request or websocket connection ``scope``
    (call it under a guard); returns its :class:`~ddtrace.contrib._server.ServerRequest`,
    also kept in the scope for the frameworks (:func:`requests_of`)."""
    headers, propagation = _headers(scope.get("headers") or ())
    path = _request_path(scope)
    websocket = scope.get("type") == "websocket"
    method = "GET" if websocket else (scope.get("method") or "GET")
    request = _server.start_request(
        integ,
        pin,
        span_name,
        method,
        _request_url(scope, headers, path),
        headers,
        headers if propagation else None,
        service=service,
        resource="%s %s" % ("websocket" if websocket else method, path),
        resource_from_route=False,
        measured=False,
        distributed=distributed,
        cls=_Request,
        config=config,
    )
    request.accepted = False
    span = request.span
    with guard("tagging an ASGI request span"):
        if websocket:
            request.method = "websocket"
            span.set_tag_str("http.upgraded", "websocket")
        version = scope.get("http_version")
        if version:
            span.set_tag_str(_http.VERSION, _text(version))
        asgi = scope.get("asgi")
        if type(asgi) is dict:
            for key in ("version", "spec_version"):
                value = asgi.get(key)
                if value:
                    span.set_tag_str("asgi." + key, _text(value))
        state = scope.get(SCOPE_KEY)
        if state is None:
            state = scope[SCOPE_KEY] = {_SPANS: [], _REQUESTS: []}
        state.setdefault(_SPANS, []).append(span)
        state.setdefault(_REQUESTS, []).append(request)
    return request


# ------------------------------------------------------------------ serving


async def serve(request, call, scope, receive, send, handle_exception_span=_default_handle_exception_span):
    """Run ``call(scope, receive, send)`` (the application) as ``request``: the status
    from the response's start; the end with the last body message, the client's
    disconnection or the application's return, whichever comes first; the
    application's exception recorded and re-raised unchanged."""

    async def traced_send(message):
        last = False
        try:
            kind = message.get("type")
            if kind == "http.response.start":
                request.on_response(message.get("status"), message.get("headers"))
            elif kind == "http.response.body":
                last = not message.get("more_body", False)
            elif kind == "websocket.accept":
                request.accepted = True
            elif kind == "websocket.close" and not request.accepted and request.status is None:
                # Closing before accepting refuses the handshake with a 403.
                request.on_response(403)
        except Exception as e:
            report_internal_error(e, "tagging an ASGI response")
        try:
            return await send(message)
        finally:
            if last:
                request.finish()

    async def traced_receive():
        message = await receive()
        try:
            if message.get("type") == "http.disconnect":
                request.finish()
        except Exception as e:
            report_internal_error(e, "reading an ASGI message")
        return message

    try:
        return await call(scope, traced_receive, traced_send)
    except BaseException as exc:
        # CancelledError and the like are the server's business, not the request's failure.
        if not request.finished and isinstance(exc, Exception):
            with guard("recording an ASGI application's exception"):
                if handle_exception_span is _default_handle_exception_span:
                    request.finish(sys.exc_info())
                else:
                    request.span.set_exc_info(*sys.exc_info())
                    if handle_exception_span is not None:
                        handle_exception_span(exc, request.span)
        raise
    finally:
        with guard("finishing the trace of an ASGI request"):
            request.finish()
            request.restore_active()


class TraceMiddleware:
    """ASGI middleware tracing every HTTP request and websocket connection.

    :param app: the ASGI 3 application (an ASGI 2 class is accepted too).
    :param tracer: the tracer to use (default: the global ``ddtrace.tracer``).
    :param integration_config: the settings to use (default ``config.asgi``): its
        ``service``, ``distributed_tracing``, ``trace_query_string``, header tags and
        ``request_span_name`` (default ``asgi.request``).
    :param span_modifier: ``span_modifier(span, scope)``, called once the server span
        is started, to add framework-specific tags.
    :param handle_exception_span: ``handle_exception_span(exc, span)``, called when the
        application raises (after the exception is recorded); the default sets status
        500 when no response was started.
    """

    def __init__(
        self,
        app,
        tracer=None,
        integration_config=None,
        span_modifier=None,
        handle_exception_span=_default_handle_exception_span,
    ):
        self.app = app
        self._pin = Pin(tracer=tracer) if tracer is not None else None
        self.integration_config = integration_config
        self.span_modifier = span_modifier
        self.handle_exception_span = handle_exception_span
        self._double_callable = isinstance(app, type)

    @property
    def tracer(self):
        return integration.tracer(self._pin)

    def _call_app(self, scope, receive, send):
        if self._double_callable:
            return self.app(scope)(receive, send)
        return self.app(scope, receive, send)

    def _start(self, scope):
        cfg = self.integration_config
        if cfg is None or cfg is integration.config:
            return start_request(integration, self._pin, scope, "asgi.request")
        # Settings of the caller's own: its service too.
        from ddtrace.settings import config

        name = cfg.get("request_span_name") or "asgi.request"
        service = cfg.get("service") or cfg.get("service_name") or config.service
        return start_request(integration, self._pin, scope, name, config=cfg, service=service)

    async def __call__(self, scope, receive, send):
        try:
            traced = scope["type"] in ("http", "websocket") and integration.should_trace(self._pin)
        except Exception:
            traced = False
        if not traced:
            return await self._call_app(scope, receive, send)
        try:
            request = self._start(scope)
        except Exception as e:
            report_internal_error(e, "starting the trace of an ASGI request")
            return await self._call_app(scope, receive, send)
        if self.span_modifier is not None:
            with guard("calling the span modifier of an ASGI request"):
                self.span_modifier(request.span, scope)
        return await serve(request, self._call_app, scope, receive, send, self.handle_exception_span)
