"""Tracing for any ASGI 3 application: :class:`TraceMiddleware`.

Wrap the application once::

    from ddtrace.contrib.asgi import TraceMiddleware

    app = TraceMiddleware(app)

Each HTTP request and each websocket connection gets an ``asgi.request`` server span
(type ``web``, ``span.kind=server``, resource ``<METHOD> <path>``, or
``websocket <path>`` for websockets) with ``http.method``, ``http.url`` (query string
obfuscated, see :mod:`ddtrace.contrib.trace_utils`), ``http.version``,
``http.status_code``, ``http.useragent`` and the header tags of
``DD_TRACE_HEADER_TAGS``; websocket spans also carry ``http.upgraded=websocket``.

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
Individual websocket messages are not traced as spans of their own.
"""
import sys

from ddtrace.contrib import trace_utils
from ddtrace.ext import COMPONENT
from ddtrace.ext import SPAN_KIND
from ddtrace.ext import SpanKind
from ddtrace.ext import SpanTypes
from ddtrace.ext import http as _http
from ddtrace.internal.logger import get_logger
from ddtrace.internal.logger import report_internal_error
from ddtrace.settings import config

log = get_logger(__name__)

__all__ = ["TraceMiddleware", "span_from_scope"]

_COMPONENT = "asgi"
_SCOPE_SPAN_KEY = "datadog"


def span_from_scope(scope):
    """The ``asgi.request`` span of ``scope`` (set by :class:`TraceMiddleware`), or None.

    Frameworks built on ASGI use it to set the route and resource on the server span.
    """
    try:
        return scope.get(_SCOPE_SPAN_KEY, {}).get("request_spans", [None])[0]
    except Exception:
        return None


def _default_handle_exception_span(exc, span):
    """Status 500 on a request that failed before its response started."""
    if span.get_tag(_http.STATUS_CODE) is None:
        span._set_tag_str(_http.STATUS_CODE, "500")


def _bytes_to_str(value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("latin-1")
    return value if isinstance(value, str) else ""


def _request_url(scope, headers, path):
    scheme = scope.get("scheme") or ("ws" if scope.get("type") == "websocket" else "http")
    host = headers.get("host")
    port = None
    if not host:
        server = scope.get("server")
        if server:
            host, port = server[0], server[1]
    query = _bytes_to_str(scope.get("query_string", b""))
    if scheme == "wss":
        default_port = "443"
    elif scheme == "ws":
        default_port = "80"
    else:
        default_port = None
    if port is not None and str(port) == default_port:
        port = None
    return trace_utils.build_url(scheme, host, path, query or None, port)


def _request_path(scope):
    raw = scope.get("raw_path")
    if raw:
        # The request target as sent, without the query string.
        return _bytes_to_str(raw).split("?", 1)[0] or "/"
    from urllib.parse import quote

    path = scope.get("path") or ""
    root = scope.get("root_path") or ""
    # Older servers leave the mount point out of ``path``.
    if root and not path.startswith(root):
        path = root + path
    return quote(path, safe="/;=,:@!$&'()*+~") or "/"


class _Request:
    """One traced request or websocket connection."""

    __slots__ = ("span", "response_started", "finished", "previous", "provider")

    def __init__(self, span, provider, previous):
        self.span = span
        self.provider = provider
        self.previous = previous
        self.response_started = False
        self.finished = False

    def finish(self):
        if self.finished:
            return
        self.finished = True
        self.span.finish()


class TraceMiddleware:
    """ASGI middleware tracing every HTTP request and websocket connection.

    :param app: the ASGI 3 application (an ASGI 2 class is accepted too).
    :param tracer: the tracer to use (default: the global ``ddtrace.tracer``).
    :param integration_config: the integration settings (default ``config.asgi``);
        frameworks built on ASGI pass their own (``config.starlette``...).
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
        self._tracer = tracer
        self.integration_config = integration_config if integration_config is not None else config.asgi
        self.span_modifier = span_modifier
        self.handle_exception_span = handle_exception_span
        self._double_callable = isinstance(app, type)

    @property
    def tracer(self):
        if self._tracer is None:
            from ddtrace.trace import tracer

            return tracer
        return self._tracer

    def _call_app(self, scope, receive, send):
        if self._double_callable:
            return self.app(scope)(receive, send)
        return self.app(scope, receive, send)

    def _start(self, tracer, scope):
        cfg = self.integration_config
        headers = trace_utils.headers_to_dict(scope.get("headers") or ())
        ctx = trace_utils.extract_context(cfg, headers)
        name = cfg.get("request_span_name") if hasattr(cfg, "get") else None
        name = name or "asgi.request"
        service = trace_utils.int_service(None, cfg, config.service)
        path = _request_path(scope)
        websocket = scope.get("type") == "websocket"
        method = "GET" if websocket else scope.get("method", "GET")
        resource = "%s %s" % ("websocket" if websocket else method, path)
        if ctx is not None:
            span = tracer.start_span(
                name, child_of=ctx, service=service, resource=resource, span_type=SpanTypes.WEB, activate=True
            )
        else:
            span = tracer.trace(name, service=service, resource=resource, span_type=SpanTypes.WEB)
        try:
            self._tag(span, scope, cfg, headers, method, path, websocket)
        except Exception as e:
            report_internal_error(e, "tagging an ASGI request span")
        return span

    def _tag(self, span, scope, cfg, headers, method, path, websocket):
        span._meta[COMPONENT] = _COMPONENT
        span._meta[SPAN_KIND] = SpanKind.SERVER
        version = scope.get("http_version")
        if version:
            span._set_tag_str(_http.VERSION, str(version))
        if websocket:
            span._set_tag_str("http.upgraded", "websocket")
        trace_utils.set_http_meta(
            span, cfg, method=method, url=_request_url(scope, headers, path), request_headers=headers
        )
        try:
            scope.setdefault(_SCOPE_SPAN_KEY, {}).setdefault("request_spans", []).append(span)
        except Exception:
            log.debug("could not store the span in the ASGI scope %r", type(scope))
        if self.span_modifier is not None:
            self.span_modifier(span, scope)

    async def __call__(self, scope, receive, send):
        try:
            traced = scope["type"] in ("http", "websocket") and self.tracer.enabled
        except Exception:
            traced = False
        if not traced:
            return await self._call_app(scope, receive, send)

        request = None
        try:
            tracer = self.tracer
            provider = tracer.context_provider
            previous = provider.active()
            request = _Request(self._start(tracer, scope), provider, previous)
        except Exception as e:
            report_internal_error(e, "starting the trace of an ASGI request")
            return await self._call_app(scope, receive, send)

        cfg = self.integration_config

        async def traced_send(message):
            end_after = False
            try:
                kind = message.get("type")
                if kind == "http.response.start":
                    request.response_started = True
                    trace_utils.set_http_meta(
                        request.span,
                        cfg,
                        status_code=message.get("status"),
                        response_headers=message.get("headers") or (),
                    )
                elif kind == "http.response.body":
                    end_after = not message.get("more_body", False)
                elif kind == "websocket.accept":
                    request.response_started = True
                elif kind == "websocket.close" and not request.response_started:
                    # Closing before accepting refuses the handshake with a 403.
                    trace_utils.set_http_meta(request.span, cfg, status_code=403)
            except Exception as e:
                report_internal_error(e, "tagging an ASGI response")
            try:
                return await send(message)
            finally:
                if end_after:
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
            return await self._call_app(scope, traced_receive, traced_send)
        except BaseException as exc:
            if not request.finished:
                try:
                    if isinstance(exc, Exception):
                        request.span.set_exc_info(*sys.exc_info())
                        if self.handle_exception_span is not None:
                            self.handle_exception_span(exc, request.span)
                except Exception as e:
                    report_internal_error(e, "recording an ASGI application's exception")
            raise
        finally:
            try:
                request.finish()
                provider = request.provider
                if provider.active() is not request.previous:
                    provider.activate(request.previous)
            except Exception as e:
                report_internal_error(e, "finishing the trace of an ASGI request")
