"""The server side of an HTTP request: the one block every web framework builds on.

A framework integration calls :func:`start_request` (or :func:`start_wsgi_request`
with a WSGI environ) when a request comes in, which

- continues the caller's trace from the propagation headers (unless the integration's
  ``distributed_tracing`` is off or a local span is already active),
- starts and activates the server span (type ``web``, ``span.kind=server``,
  ``component``, measured) with ``http.method``, ``http.url`` (sanitised by
  :mod:`ddtrace.contrib.trace_utils`), ``http.useragent`` and the header tags,

and returns a :class:`ServerRequest` that the framework tells what it learns: the
matched route (:meth:`ServerRequest.set_route`), the response status and headers
(:meth:`ServerRequest.on_response`), and when the request is over
(:meth:`ServerRequest.finish`, with the exception if it failed). WSGI frameworks hand
their response body to :meth:`ServerRequest.wsgi_body`: the request ends when the
server closes the body, when it is exhausted, or, for a server that does neither, when
the body is dropped, so no trace is ever left open.

Everything here runs on every request: it does no more than the tags need, never
scans a WSGI environ (which may hold the whole process environment), and raises
nothing into the application.
"""
from __future__ import annotations

import sys

from ddtrace.contrib import trace_utils
from ddtrace.ext import SpanKind
from ddtrace.ext import SpanTypes
from ddtrace.ext import http as _http
from ddtrace.internal.logger import report_internal_error
from ddtrace.propagation._utils import HEADER_NAMES
from ddtrace.settings import config as _global_config
from ddtrace.trace import Context
from ddtrace.trace._span import _active
from ddtrace.trace.provider import DefaultContextProvider

_DEFAULT_PROVIDER = DefaultContextProvider()

#: ``(WSGI environ key, header name)`` of every header a propagation style reads.
_PROPAGATION_KEYS = tuple(("HTTP_" + name.upper().replace("-", "_"), name) for name in sorted(HEADER_NAMES))


# ------------------------------------------------------------------ WSGI environs


class EnvironHeaders:
    """The request headers of a WSGI environ (or Django's ``request.META``), looked up
    by ordinary header names."""

    __slots__ = ("environ",)

    #: ``get`` finds any spelling of a name: a header it misses is not there, and the
    #: environ (which may hold the whole process environment) is never scanned for it.
    case_insensitive = True

    def __init__(self, environ):
        self.environ = environ

    @staticmethod
    def _key(name):
        key = _ENVIRON_KEYS.get(name)
        if key is None:
            key = name.upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
            if len(_ENVIRON_KEYS) < 256:  # header names asked for are few; stay bounded anyway
                _ENVIRON_KEYS[name] = key
        return key

    def get(self, name, default=None):
        return self.environ.get(self._key(name), default)

    def items(self):
        for key, value in self.environ.items():
            if not isinstance(key, str):
                continue
            if key.startswith("HTTP_"):
                yield key[5:].replace("_", "-").lower(), value
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                yield key.replace("_", "-").lower(), value


#: ``{header name: environ key}`` for the names looked up so far.
_ENVIRON_KEYS = {}


def propagation_headers(environ):
    """The trace propagation headers of a WSGI environ, or None: the few keys a
    propagation style reads are looked up, the environ is never scanned."""
    found = None
    for key, name in _PROPAGATION_KEYS:
        value = environ.get(key)
        if value is not None:
            if found is None:
                found = {}
            found[name] = value
    return found


_PATH_SAFE = "/;=,:@!$&'()*+~"
# Characters quote() leaves alone in a path: most paths are made of these only.
_PATH_UNQUOTED = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-" + _PATH_SAFE


def request_path(environ):
    """The request's path (``SCRIPT_NAME`` + ``PATH_INFO``), percent-encoded."""
    script = environ.get("SCRIPT_NAME") or ""
    path = environ.get("PATH_INFO") or ""
    if type(script) is not str or type(path) is not str:
        script, path = str(script), str(path)
    if script:
        path = script + path
    if not path:
        return "/"
    # rstrip leaves nothing when every character is one quote() keeps as it is.
    if not path.rstrip(_PATH_UNQUOTED):
        return path
    from ddtrace.internal.lazy import load

    # PEP 3333 hands the path over as latin-1-decoded bytes: quote those bytes back.
    return load("urllib.parse").quote(path, safe=_PATH_SAFE, encoding="latin-1") or "/"


def request_url(environ, path):
    """The request's full URL (the query string included; tagging sanitises it)."""
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST")
    port = None
    if not host:
        host = environ.get("SERVER_NAME", "")
        port = environ.get("SERVER_PORT")
    return trace_utils.build_url(str(scheme), str(host), path, environ.get("QUERY_STRING") or None, port)


# ------------------------------------------------------------------ the request


class ServerRequest:
    """The server span of one request and what is known about it so far.

    ``span`` is the server span; ``method``, ``route`` and ``status`` what the
    framework reported. ``resource_from_route``: the resource is ``<METHOD> <route>``
    once the route is known, ``<METHOD> <status>`` for a request no route matched.
    """

    __slots__ = (
        "integration",
        "config",
        "tracer",
        "provider",
        "span",
        "method",
        "route",
        "status",
        "finished",
        "previous",
        "resource_from_route",
        "body_span",
        "body_span_name",
    )

    def __init__(self, integration, tracer, provider, span, method, previous, resource_from_route, config=None):
        self.integration = integration
        self.config = integration.config if config is None else config
        self.tracer = tracer
        self.provider = provider
        self.span = span
        self.method = method
        self.route = None
        self.status = None
        self.finished = False
        self.previous = previous
        self.resource_from_route = resource_from_route
        self.body_span = None
        self.body_span_name = None

    def set_route(self, route, resource=None):
        """Record the matched route template (``http.route``) and the resource it gives
        (default ``<METHOD> <route>``)."""
        route = route if type(route) is str else str(route)
        self.route = route
        self.span.set_tag_str(_http.ROUTE, route)
        self.span.resource = resource or "%s %s" % (self.method, route)

    def on_response(self, status, headers=None, status_msg=None):
        """Record the response's status (an int, ``"404"`` or a WSGI status line): a
        status in ``DD_TRACE_HTTP_SERVER_ERROR_STATUSES`` marks the span as an error;
        ``http.status_msg`` when given; and the response header tags."""
        span = self.span
        code = trace_utils.parse_status_code(status)
        if code is not None:
            self.status = code
            span.set_tag_str(_http.STATUS_CODE, str(code))
            if code in _global_config._http_server_error_statuses:
                span.error = 1
        if status_msg is not None:
            span.set_tag_str(_http.STATUS_MSG, status_msg)
        if headers is not None:
            header_tags = self.config.header_tags()
            if header_tags:
                trace_utils.set_header_tags(span, headers, header_tags, _http.RESPONSE_HEADERS)

    def traced_start_response(self, start_response, on_start=None, status_msg=False):
        """A WSGI ``start_response`` that records the status and headers first (and
        calls ``on_start(request)`` when given, before the original). ``status_msg``:
        record the reason phrase of the status line as ``http.status_msg``."""

        def traced_start_response(status, response_headers, *args):
            try:
                msg = None
                if status_msg and type(status) is str:
                    msg = status.partition(" ")[2].strip() or None
                self.on_response(status, response_headers, msg)
                if on_start is not None:
                    on_start(self)
            except Exception as e:
                report_internal_error(e, "tagging a response of %s" % (self.integration.name,))
            return start_response(status, response_headers, *args)

        return traced_start_response

    def restore_active(self):
        """Make active again what was before the request started (the body may be
        iterated later, on another thread, or never)."""
        provider = self.provider
        if provider is _DEFAULT_PROVIDER:
            _active.set(self.previous)
        else:
            provider.activate(self.previous)

    def finish(self, exc_info=None):
        """End the request (once): record ``exc_info`` (status 500 if no response was
        started), the resource of a request no route matched, then finish the body
        span and the server span."""
        if self.finished:
            return
        self.finished = True
        span = self.span
        try:
            if exc_info is not None:
                if self.body_span is not None:
                    self.body_span.set_exc_info(*exc_info)
                span.set_exc_info(*exc_info)
                if self.status is None:
                    self.status = 500
                    trace_utils.set_http_meta(span, self.config, status_code=500)
            if self.resource_from_route and self.route is None:
                # No route matched (404, 405) or the request failed before routing.
                span.resource = "%s %s" % (self.method, self.status) if self.status is not None else self.method
            if self.body_span is not None:
                self.body_span.finish()
        except Exception as e:
            report_internal_error(e, "finishing a request of %s" % (self.integration.name,))
        finally:
            span.finish()

    # -- the WSGI body

    def wsgi_body(self, result, span_name, tags=None):
        """Wrap the WSGI response body ``result``: a ``span_name`` span covers its
        iteration (with ``tags``), the request ends with it."""
        self.body_span_name = (span_name, tags)
        if hasattr(result, "__len__"):
            return _SizedTracedBody(result, self)
        return _TracedBody(result, self)

    def _resume(self):
        """Make the body span (started now if needed) current for one step of the body;
        returns what :meth:`_pause` needs to undo it."""
        span = self.body_span
        if span is None:
            name, tags = self.body_span_name
            span = self.body_span = self.tracer.start_span(name, child_of=self.span, service=self.span.service)
            span.set_tag_str("component", self.integration.component)
            if tags:
                span.set_tags(tags)
        provider = self.provider
        if provider is _DEFAULT_PROVIDER:
            return _active.set(span)  # a token: _pause puts back exactly what was there
        previous = provider.active()
        provider.activate(span)
        return previous

    def _pause(self, state):
        provider = self.provider
        if provider is _DEFAULT_PROVIDER:
            _active.reset(state)
        else:
            provider.activate(state)


class _TracedBody:
    """The response body: the body span while it is iterated; the request ends when
    the server closes it, when it is exhausted, or when it is dropped.

    It is its own iterator (``iter(body) is body``), as werkzeug's bodies are: servers
    and test clients then use it as they would the original.
    """

    def __init__(self, result, request):
        self._dd_result = result
        self._dd_request = request
        self._dd_iter = None

    def __iter__(self):
        return self

    def __next__(self):
        request = self._dd_request
        it = self._dd_iter
        if request.finished:
            if it is None:
                it = self._dd_iter = iter(self._dd_result)
            return next(it)
        state = _resume(request)
        try:
            if it is None:
                it = self._dd_iter = iter(self._dd_result)
            chunk = next(it)
        except StopIteration:
            request._pause(state)
            request.finish()
            raise
        except BaseException:
            exc_info = sys.exc_info()
            request._pause(state)
            request.finish(exc_info)
            raise
        request._pause(state)
        return chunk

    def close(self):
        request = self._dd_request
        close = getattr(self._dd_result, "close", None)
        if request.finished:
            # Ended when the body was exhausted: closing is no longer part of it.
            if close is not None:
                close()
            return
        if close is not None:
            state = _resume(request)
            try:
                close()
            except BaseException:
                exc_info = sys.exc_info()
                request._pause(state)
                request.finish(exc_info)
                raise
            request._pause(state)
        request.finish()

    def __del__(self):
        # A server that never closes the body: end the trace rather than lose it.
        request = self.__dict__.get("_dd_request")
        if request is not None and not request.finished:
            try:
                request.finish()
            except Exception:
                pass

    def __getattr__(self, name):
        # Let servers see the body's own attributes (a file wrapper's, say).
        if name.startswith("_dd_"):
            raise AttributeError(name)
        return getattr(self._dd_result, name)


class _SizedTracedBody(_TracedBody):
    # Only for bodies with a length: some servers set Content-Length from it.
    def __len__(self):
        return len(self._dd_result)


def _resume(request):
    try:
        return request._resume()
    except Exception as e:
        report_internal_error(e, "starting the response span of %s" % (request.integration.name,))
        # Nothing changed: pausing restores the active span as it is now.
        return _active.set(_active.get()) if request.provider is _DEFAULT_PROVIDER else request.provider.active()


# ------------------------------------------------------------------ starting


def start_request(
    integration,
    pin,
    span_name,
    method,
    url,
    headers,
    propagation=None,
    service=None,
    resource=None,
    resource_from_route=True,
    span_type=SpanTypes.WEB,
    distributed=None,
    measured=True,
    cls=ServerRequest,
    config=None,
):
    """Start the server span of a request; returns its :class:`ServerRequest` (raises
    only what the caller's guard reports: call it under one).

    :param headers: the request headers (``get`` with a lowercase name / ``items``),
        for ``http.useragent`` and the header tags.
    :param propagation: the propagation headers found (see :func:`propagation_headers`);
        None: nothing to continue.
    :param service: default: the integration's service (``DD_<NAME>_SERVICE``, else
        ``DD_SERVICE``).
    :param resource: the resource until the route is known (default: the method).
    :param distributed: overrides the integration's ``distributed_tracing`` setting.
    :param measured: compute trace metrics for the server span (``_dd.measured``).
    :param cls: a subclass of :class:`ServerRequest` keeping what the framework needs.
    :param config: the settings to use instead of the integration's (a middleware
        given its settings by its caller); pass ``service`` with it.
    """
    tracer = integration.tracer(pin)
    cfg = integration.config if config is None else config
    if service is None:
        service = integration.service(pin)
    provider = tracer._context_provider or _DEFAULT_PROVIDER
    previous = _active.get() if provider is _DEFAULT_PROVIDER else provider.active()
    ctx = None
    # Continue the caller's trace, unless this runs inside a live local span already
    # (an outer middleware, a test) or an activated remote context.
    if propagation and type(previous) is not Context and tracer.current_span() is None:
        ctx = trace_utils.extract_context(cfg, propagation, override=distributed)
    span = integration.start_span(
        span_name,
        pin,
        resource=resource or method,
        span_type=span_type,
        kind=SpanKind.SERVER,
        service=service,
        child_of=ctx,
        measured=measured,
    )
    if span is None:
        raise RuntimeError("the %s span could not be started" % (span_name,))
    request = cls(integration, tracer, provider, span, method, previous, resource_from_route, cfg)
    # What trace_utils.set_http_meta would do, without its generality: this runs on
    # every request of every framework.
    span.set_tag_str(_http.METHOD, method)
    if url is not None:
        if "?" in url or "@" in url or "#" in url:
            url = trace_utils.sanitize_url(url, cfg.tag_query_string(True))
        span.set_tag_str(_http.URL, url)
    if headers is not None:
        user_agent = headers.get("user-agent")
        if user_agent:
            span.set_tag_str(_http.USER_AGENT, user_agent)
        header_tags = cfg.header_tags()
        if header_tags:
            trace_utils.set_header_tags(span, headers, header_tags, _http.REQUEST_HEADERS)
    return request


def start_wsgi_request(integration, pin, span_name, environ, **kwargs):
    """:func:`start_request` for a WSGI ``environ``."""
    method = environ.get("REQUEST_METHOD") or "GET"
    if type(method) is not str:
        method = str(method)
    try:
        url = request_url(environ, request_path(environ))
    except Exception as e:
        report_internal_error(e, "building the URL of a request of %s" % (integration.name,))
        url = None
    return start_request(
        integration, pin, span_name, method, url, EnvironHeaders(environ), propagation_headers(environ), **kwargs
    )
