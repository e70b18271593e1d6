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
for servers that never close it, when the iteration is over or the iterable is
dropped, so no trace is left open.

Incoming distributed tracing headers continue the caller's trace unless
``distributed_tracing=False`` is passed or ``DD_WSGI_DISTRIBUTED_TRACING=false``
(``config.wsgi.distributed_tracing``) is set. The service is ``service``, else
``DD_WSGI_SERVICE``, else ``DD_SERVICE``.
"""
import sys

from ddtrace.contrib import _server
from ddtrace.contrib._integration import Integration
from ddtrace.contrib._integration import guard
from ddtrace.ext import SpanKind
from ddtrace.internal.logger import report_internal_error
from ddtrace.trace import Pin

__all__ = ["DDWSGIMiddleware"]

integration = Integration("wsgi")


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
        self.span_name = span_name
        self.service = service
        self.distributed_tracing = distributed_tracing
        self._pin = Pin(service=service, tracer=tracer) if (service or tracer is not None) else None

    @property
    def tracer(self):
        return integration.tracer(self._pin)

    def __call__(self, environ, start_response):
        pin = self._pin
        if not integration.should_trace(pin):
            return self.app(environ, start_response)
        request = app_span = None
        try:
            path = _server.request_path(environ)
            request = _server.start_wsgi_request(
                integration,
                pin,
                self.span_name,
                environ,
                resource="%s %s" % (environ.get("REQUEST_METHOD") or "GET", path),
                resource_from_route=False,
                measured=False,
                distributed=False if self.distributed_tracing is False else None,
            )
            app_span = integration.start_span("wsgi.application", pin, service=request.span.service)
            traced_start_response = _traced_start_response(request, start_response)
        except Exception as e:
            report_internal_error(e, "starting the trace of a WSGI request")
            if app_span is not None:
                app_span.finish()
            if request is not None:
                request.finish()
                request.restore_active()
            return self.app(environ, start_response)

        try:
            result = self.app(environ, traced_start_response)
        except BaseException:
            exc_info = sys.exc_info()
            with guard("recording a WSGI application's exception"):
                app_span.set_exc_info(*exc_info)
                app_span.finish()
                request.finish(exc_info)
                request.restore_active()
            raise

        try:
            app_span.finish()
            # Nothing of this request stays active on the server's thread between
            # here and the iteration of the body.
            request.restore_active()
            return request.wsgi_body(result, "wsgi.response", {"result_class": type(result).__name__})
        except Exception as e:
            report_internal_error(e, "wrapping a WSGI response")
            request.finish()
            return result


def _traced_start_response(request, start_response):
    """``start_response`` recording the status and headers, in a ``wsgi.start_response`` span."""
    record = request.traced_start_response(start_response, status_msg=True)

    def traced_start_response(status, response_headers, *args):
        span = integration.start_span(
            "wsgi.start_response", service=request.span.service, span_type="web", kind=SpanKind.SERVER
        )
        if span is None:
            return record(status, response_headers, *args)
        with span:
            return record(status, response_headers, *args)

    return traced_start_response
