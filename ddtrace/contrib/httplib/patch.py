"""Traces ``http.client``: one ``http.client.request`` span per request on an
``HTTPConnection``, from ``putrequest`` (or ``request``) to ``getresponse``."""
from __future__ import annotations

import http.client
import sys

from ddtrace.contrib import _http_client
from ddtrace.contrib._integration import Integration
from ddtrace.contrib._integration import guard

integration = Integration("httplib")
patch, unpatch, get_version = integration.patch, integration.unpatch, integration.version

# The request in flight on a connection, between putrequest and getresponse.
_SPAN_ATTR = "_datadog_span"
# Set by request() so the putrequest() it makes reuses its span instead of starting one.
_STARTED_ATTR = "_datadog_span_started"


@integration.on_import("http.client")
def _patch(client):
    integration.wrap_own(
        client.HTTPConnection,
        {
            "request": _traced_request,
            "putrequest": _traced_putrequest,
            "endheaders": _traced_endheaders,
            "getresponse": _traced_getresponse,
            "close": _traced_close,
        },
    )


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


def _call(instance, wrapped, args, kwargs):
    """The user's call; if it fails, the pending span ends with its error."""
    try:
        return wrapped(*args, **kwargs)
    except BaseException:
        _finish(instance, sys.exc_info())
        raise


def _peer(instance):
    """The server's ``(host, port)``: the tunnel's through a proxy."""
    d = instance.__dict__
    return d.get("_tunnel_host") or instance.host, d.get("_tunnel_port") or instance.port


def _new_span(instance):
    pin = integration.pin_of(instance)
    if not integration.should_trace(pin):
        return None
    span = None
    with guard("starting an http.client span"):
        # Not activated: the request spans several calls, and whatever the program
        # does between them is not part of it. No service of its own by default (as
        # in PyPI ddtrace): its parent's, DD_SERVICE for a root span.
        span = _http_client.start_span(
            integration, pin, "http.client.request", port=_peer(instance)[1], activate=False, inherit_service=True
        )
        instance.__dict__[_SPAN_ATTR] = span
    return span


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
        if _http_client.wants_trace_headers(integration, headers):
            # A copy: the caller may reuse its dict for other requests.
            headers = dict(headers) if headers else {}
            _http_client.inject(span, headers)
            if len(args) > 3:
                args = args[:3] + (headers,) + args[4:]
            else:
                kwargs = dict(kwargs, headers=headers)
    return _call(instance, wrapped, args, kwargs)


def _traced_putrequest(wrapped, instance, args, kwargs):
    # putrequest(method, url, skip_host=False, skip_accept_encoding=False)
    span = instance.__dict__.get(_SPAN_ATTR)
    if not instance.__dict__.pop(_STARTED_ATTR, False):  # else started by request()
        if span is not None:
            _finish(instance)  # a previous request whose response was never read
        span = _new_span(instance)
    if span is not None:
        with guard("tagging an http.client span"):
            method = args[0] if args else kwargs.get("method")
            path = args[1] if len(args) > 1 else kwargs.get("url")
            host, port = _peer(instance)
            scheme = "https" if isinstance(instance, http.client.HTTPSConnection) else "http"
            url = _http_client.full_url(scheme, host, port, str(path))
            _http_client.tag_request(span, integration, str(method).upper(), url, host)
    return _call(instance, wrapped, args, kwargs)


def _traced_endheaders(wrapped, instance, args, kwargs):
    # Connecting and sending happen here: a refused connection must not leave the span open.
    if instance.__dict__.get(_SPAN_ATTR) is None:
        return wrapped(*args, **kwargs)
    return _call(instance, wrapped, args, kwargs)


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
