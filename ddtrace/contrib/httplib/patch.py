"""Traces ``http.client``: one ``http.client.request`` span per request on an
``HTTPConnection``, from ``putrequest`` (or ``request``) to ``getresponse``."""
from __future__ import annotations

import http.client
import sys

from ddtrace.contrib import _http_client
from ddtrace.contrib._integration import Integration
from ddtrace.contrib._integration import guard

integration = Integration("httplib", "http.client", defaults={"distributed_tracing": True}, distributions=())

#: Standard library: every version of Python we support.
SUPPORTED = {}

SPAN_NAME = "http.client.request"

# The request in flight on a connection, between putrequest and getresponse.
_SPAN_ATTR = "_datadog_span"
# Set by request() so the putrequest() it makes reuses its span instead of starting one.
_STARTED_ATTR = "_datadog_span_started"


def get_version():
    """"" : part of the standard library."""
    return ""


def patch():
    """Trace ``http.client.HTTPConnection`` (and ``HTTPSConnection``) requests.
    Returns True if it patched now."""
    return integration.patch(_patch)


def unpatch():
    """Restore ``http.client.HTTPConnection``."""
    return integration.unpatch()


def _patch(module):
    cls = module.HTTPConnection
    integration.wrap(cls, "request", _traced_request)
    integration.wrap(cls, "putrequest", _traced_putrequest)
    integration.wrap(cls, "endheaders", _traced_endheaders)
    integration.wrap(cls, "getresponse", _traced_getresponse)
    integration.wrap(cls, "close", _traced_close)


def _finish(instance, exc_info=None):
    """Finish the connection's pending span, recording ``exc_info`` if given."""
    span = instance.__dict__.pop(_SPAN_ATTR, None)
    instance.__dict__.pop(_STARTED_ATTR, None)
    if span is None:
        return
    with guard("finishing an http.client span"):
        if exc_info is not None:
            span.set_exc_info(*exc_info)
        span.finish()


def _new_span(instance):
    pin = integration.pin_of(instance)
    if not integration.should_trace(pin):
        return None
    span = None
    with guard("starting an http.client span"):
        # Not activated: the request spans several calls, and whatever the program
        # does between them is not part of it.
        span = _http_client.start_span(integration, pin, SPAN_NAME, integration.service(pin, None), None, activate=False)
        instance.__dict__[_SPAN_ATTR] = span
    return span


def _url(instance, path):
    if path.startswith(("http://", "https://")):  # through a proxy: already absolute
        return path
    scheme = "https" if isinstance(instance, http.client.HTTPSConnection) else "http"
    host = instance.__dict__.get("_tunnel_host") or instance.host
    port = instance.__dict__.get("_tunnel_port") or instance.port
    if ":" in host and not host.startswith("["):
        host = "[%s]" % host
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = "%s:%s" % (host, port)
    return "%s://%s%s" % (scheme, host, path if path.startswith("/") else "/" + path)


def _traced_request(wrapped, instance, args, kwargs):
    # request(method, url, body=None, headers={}, *, encode_chunked=False)
    if instance.__dict__.get(_SPAN_ATTR) is not None:
        _finish(instance)  # a previous request whose response was never read
    span = _new_span(instance)
    if span is None:
        return wrapped(*args, **kwargs)
    instance.__dict__[_STARTED_ATTR] = True
    with guard("adding trace headers to an http.client request"):
        headers = args[3] if len(args) > 3 else kwargs.get("headers")
        if not _http_client.has_trace_headers(headers):
            # A copy: the caller may reuse its dict for other requests.
            new_headers = dict(headers) if headers else {}
            if _http_client.inject(integration, span, new_headers):
                if len(args) > 3:
                    args = args[:3] + (new_headers,) + args[4:]
                else:
                    kwargs = dict(kwargs)
                    kwargs["headers"] = new_headers
    try:
        return wrapped(*args, **kwargs)
    except BaseException:
        _finish(instance, sys.exc_info())
        raise


def _traced_putrequest(wrapped, instance, args, kwargs):
    # putrequest(method, url, skip_host=False, skip_accept_encoding=False)
    span = instance.__dict__.get(_SPAN_ATTR)
    if span is not None and instance.__dict__.pop(_STARTED_ATTR, False):
        pass  # started by request()
    else:
        if span is not None:
            _finish(instance)  # a previous request whose response was never read
        span = _new_span(instance)
    if span is not None:
        with guard("tagging an http.client span"):
            method = args[0] if args else kwargs.get("method")
            path = args[1] if len(args) > 1 else kwargs.get("url")
            host = instance.__dict__.get("_tunnel_host") or instance.host
            port = instance.__dict__.get("_tunnel_port") or instance.port
            _http_client.tag_request(
                span, integration, integration.pin_of(instance), str(method).upper(), _url(instance, str(path)), host, port
            )
    try:
        return wrapped(*args, **kwargs)
    except BaseException:
        _finish(instance, sys.exc_info())
        raise


def _traced_endheaders(wrapped, instance, args, kwargs):
    # Connecting and sending happen here: a refused connection must not leave the span open.
    if instance.__dict__.get(_SPAN_ATTR) is None:
        return wrapped(*args, **kwargs)
    try:
        return wrapped(*args, **kwargs)
    except BaseException:
        _finish(instance, sys.exc_info())
        raise


def _traced_getresponse(wrapped, instance, args, kwargs):
    # Taken off the connection first: getresponse() may call close() itself.
    span = instance.__dict__.pop(_SPAN_ATTR, None)
    instance.__dict__.pop(_STARTED_ATTR, None)
    if span is None:
        return wrapped(*args, **kwargs)
    with span:
        response = wrapped(*args, **kwargs)
        with guard("tagging an http.client response"):
            _http_client.tag_response(span, integration, response.status, None, response.getheaders())
    return response


def _traced_close(wrapped, instance, args, kwargs):
    if instance.__dict__.get(_SPAN_ATTR) is not None:
        _finish(instance)
    return wrapped(*args, **kwargs)
