"""Tracing for any WSGI application: :class:`DDWSGIMiddleware`.

Wrap the application once::

    from ddtrace.contrib.wsgi import DDWSGIMiddleware

    application = DDWSGIMiddleware(application)

Every request then produces a trace:

- ``wsgi.request``: the server span (type ``web``, ``span.kind=server``, resource
  ``<METHOD> <path>``) with ``http.method``, ``http.url`` (query string obfuscated, see
  :mod:`ddtrace.contrib.trace_utils`), ``http.status_code``, ``http.status_msg``,
  ``http.useragent`` and the header tags of ``DD_TRACE_HEADER_TAGS``. A status in
  ``DD_TRACE_HTTP_SERVER_ERROR_STATUSES`` (default 500-599) marks it as an error; so
  does an exception from the application, recorded with its type, message and stack
  (status 500 when the application raised before starting a response).
- ``wsgi.application``: the call of the application.
- ``wsgi.start_response``: the application's ``start_response`` call.
- ``wsgi.response``: the iteration over the response body (tag ``result_class``).

The trace ends when the server closes the response iterable, as WSGI requires, or,
for servers that never close it, when the iteration is over.

Incoming distributed tracing headers continue the caller's trace unless
``distributed_tracing=False`` is passed or ``DD_WSGI_DISTRIBUTED_TRACING=false``
(``config.wsgi.distributed_tracing``) is set. The service is ``service``, else
``DD_WSGI_SERVICE``, else ``DD_SERVICE``.
"""
import sys

from ddtrace.contrib import trace_utils
from ddtrace.ext import COMPONENT
from ddtrace.ext import SPAN_KIND
from ddtrace.ext import SpanKind
from ddtrace.ext import SpanTypes
from ddtrace.internal.logger import get_logger
from ddtrace.internal.logger import report_internal_error
from ddtrace.settings import config

log = get_logger(__name__)

__all__ = ["DDWSGIMiddleware"]

_COMPONENT = "wsgi"


class _EnvironHeaders:
    """The request headers of a WSGI environ, looked up by ordinary header names."""

    __slots__ = ("environ",)

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

_PATH_SAFE = "/;=,:@!$&'()*+~"
# Characters quote() leaves alone in a path: most paths are made of these only.
_PATH_UNQUOTED = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-" + _PATH_SAFE


def _request_path(environ):
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
    from urllib.parse import quote

    # PEP 3333 hands the path over as latin-1-decoded bytes: quote those bytes back.
    return quote(path, safe=_PATH_SAFE, encoding="latin-1") or "/"


def _request_url(environ, path):
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST")
    port = None
    if not host:
        host = environ.get("SERVER_NAME", "")
        port = environ.get("SERVER_PORT")
    return trace_utils.build_url(str(scheme), str(host), path, environ.get("QUERY_STRING") or None, port)


class _Request:
    """The spans of one request and what has been learned about it so far."""

    __slots__ = ("mw", "tracer", "span", "app_span", "response_span", "status", "finished")

    def __init__(self, mw, tracer, span):
        self.mw = mw
        self.tracer = tracer
        self.span = span
        self.app_span = None
        self.response_span = None
        self.status = None
        self.finished = False

    def start_response_wrapper(self, start_response):
        def traced_start_response(status, response_headers, *args):
            try:
                self._on_start_response(status, response_headers)
            except Exception as e:
                report_internal_error(e, "tagging a WSGI response")
            span = None
            try:
                span = self.tracer.trace("wsgi.start_response", service=self.span.service, span_type=SpanTypes.WEB)
                span._meta[COMPONENT] = _COMPONENT
                span._meta[SPAN_KIND] = SpanKind.SERVER
            except Exception as e:
                report_internal_error(e, "starting the wsgi.start_response span")
            if span is None:
                return start_response(status, response_headers, *args)
            with span:
                return start_response(status, response_headers, *args)

        return traced_start_response

    def _on_start_response(self, status, response_headers):
        code, _, msg = str(status).strip().partition(" ")
        self.status = code
        trace_utils.set_http_meta(
            self.span,
            self.mw._config,
            status_code=code,
            status_msg=msg.strip() or None,
            response_headers=response_headers,
        )

    def finish(self, exc_info=None):
        """Finish the response and request spans (once)."""
        if self.finished:
            return
        self.finished = True
        try:
            if exc_info is not None:
                if self.response_span is not None:
                    self.response_span.set_exc_info(*exc_info)
                self.span.set_exc_info(*exc_info)
                if self.status is None:
                    trace_utils.set_http_meta(self.span, self.mw._config, status_code=500)
            if self.response_span is not None:
                self.response_span.finish()
        except Exception as e:
            report_internal_error(e, "finishing a WSGI request")
        finally:
            self.span.finish()


class _TracedResponse:
    """The application's response iterable, ending the trace when it is closed or exhausted."""

    def __init__(self, result, request):
        self._dd_result = result
        self._dd_request = request

    def __iter__(self):
        request = self._dd_request
        try:
            if request.response_span is None:
                request.response_span = request.tracer.start_span(
                    "wsgi.response", child_of=request.span, service=request.span.service, activate=True
                )
                request.response_span._meta[COMPONENT] = _COMPONENT
                request.response_span._meta["result_class"] = type(self._dd_result).__name__
        except Exception as e:
            report_internal_error(e, "starting the wsgi.response span")
        try:
            for chunk in self._dd_result:
                yield chunk
        except GeneratorExit:
            # The server stopped reading early; close() ends the trace.
            raise
        except BaseException:
            request.finish(sys.exc_info())
            raise
        request.finish()

    def close(self):
        request = self._dd_request
        close = getattr(self._dd_result, "close", None)
        try:
            if close is not None:
                close()
        except BaseException:
            request.finish(sys.exc_info())
            raise
        request.finish()

    def __getattr__(self, name):
        # Let servers see the application's own attributes (e.g. a file wrapper's).
        if name.startswith("_dd_"):
            raise AttributeError(name)
        return getattr(self._dd_result, name)


class _SizedTracedResponse(_TracedResponse):
    # Only when the application's iterable has a length: servers such as wsgiref use
    # it to set Content-Length for single-chunk bodies.
    def __len__(self):
        return len(self._dd_result)


class DDWSGIMiddleware:
    """WSGI middleware tracing every request to ``app``.

    :param app: the WSGI application.
    :param tracer: the tracer to use (default: the global ``ddtrace.tracer``).
    :param span_name: name of the server span.
    :param service: service of the spans (default ``DD_WSGI_SERVICE``, else ``DD_SERVICE``).
    :param distributed_tracing: continue traces from incoming headers. ``False``
        turns it off; otherwise ``config.wsgi.distributed_tracing``
        (``DD_WSGI_DISTRIBUTED_TRACING``, default on) decides.
    """

    def __init__(self, app, tracer=None, span_name="wsgi.request", service=None, distributed_tracing=True):
        self.app = app
        self._tracer = tracer
        self.span_name = span_name
        self.service = service
        self.distributed_tracing = distributed_tracing
        self._config = config.wsgi

    @property
    def tracer(self):
        if self._tracer is None:
            from ddtrace.trace import tracer

            return tracer
        return self._tracer

    def _start(self, tracer, environ):
        cfg = self._config
        service = self.service or trace_utils.int_service(None, cfg, config.service)
        ctx = trace_utils.extract_context(cfg, environ, override=False if self.distributed_tracing is False else None)
        method = str(environ.get("REQUEST_METHOD") or "GET")
        path = _request_path(environ)
        resource = "%s %s" % (method, path)
        if ctx is not None:
            span = tracer.start_span(
                self.span_name, child_of=ctx, service=service, resource=resource, span_type=SpanTypes.WEB, activate=True
            )
        else:
            span = tracer.trace(self.span_name, service=service, resource=resource, span_type=SpanTypes.WEB)
        span._meta[COMPONENT] = _COMPONENT
        span._meta[SPAN_KIND] = SpanKind.SERVER
        try:
            url = _request_url(environ, path)
        except Exception as e:
            report_internal_error(e, "building the URL of a WSGI request")
            url = None
        trace_utils.set_http_meta(span, cfg, method=method, url=url, request_headers=_EnvironHeaders(environ))
        return _Request(self, tracer, span)

    def __call__(self, environ, start_response):
        tracer = self.tracer
        if not tracer.enabled:
            return self.app(environ, start_response)
        request = None
        try:
            provider = tracer.context_provider
            previous = provider.active()
            request = self._start(tracer, environ)
            request.app_span = tracer.trace("wsgi.application", service=request.span.service)
            request.app_span._meta[COMPONENT] = _COMPONENT
            traced_start_response = request.start_response_wrapper(start_response)
        except Exception as e:
            report_internal_error(e, "starting the trace of a WSGI request")
            if request is not None:
                request.finish()
            return self.app(environ, start_response)

        try:
            result = self.app(environ, traced_start_response)
        except BaseException:
            exc_info = sys.exc_info()
            try:
                request.app_span.set_exc_info(*exc_info)
                request.app_span.finish()
                request.finish(exc_info)
                provider.activate(previous)
            except Exception as e:
                report_internal_error(e, "recording a WSGI application's exception")
            raise

        try:
            request.app_span.finish()
            # Nothing of this request stays active on the server's thread between
            # here and the iteration of the body.
            provider.activate(previous)
            cls = _SizedTracedResponse if hasattr(result, "__len__") else _TracedResponse
            return cls(result, request)
        except Exception as e:
            report_internal_error(e, "wrapping a WSGI response")
            request.finish()
            return result
