"""Traces ``urllib3``: one ``urllib3.request`` client span per ``HTTPConnectionPool.urlopen``."""
from __future__ import annotations

from ddtrace.contrib import _http_client
from ddtrace.contrib._integration import Integration
from ddtrace.contrib._integration import guard

integration = Integration("urllib3")
patch, unpatch, get_version = integration.patch, integration.unpatch, integration.version

# HTTPConnectionPool.urlopen(method, url, body=None, headers=None, retries=None, ...)
_HEADERS_POS = 3
_RETRIES_POS = 4


@integration.on_import("urllib3.connectionpool")
def _patch(connectionpool):
    integration.wrap(connectionpool.HTTPConnectionPool, "urlopen", _traced_urlopen)


def _arg(args, kwargs, pos, name):
    if len(args) > pos:
        return args[pos]
    return kwargs.get(name)


def _tag_request(span, instance, args, kwargs):
    """Tag the request; returns the (args, kwargs) to call urlopen with (trace
    headers added to a copy of the headers)."""
    method = str(_arg(args, kwargs, 0, "method") or "").upper()
    path = str(_arg(args, kwargs, 1, "url") or "/")
    url = _http_client.full_url(getattr(instance, "scheme", None) or "http", instance.host, instance.port, path)
    headers = _arg(args, kwargs, _HEADERS_POS, "headers")
    if headers is None:
        headers = instance.headers
    _http_client.tag_request(span, integration, method, url, headers=headers)

    retries = _arg(args, kwargs, _RETRIES_POS, "retries")
    if retries is None:
        retries = getattr(instance, "retries", None)
    total = getattr(retries, "total", None)
    if type(total) is int:
        # A string tag, as PyPI ddtrace sends it (facets on it are strings).
        span.set_tag_str("http.retries_remain", str(total))

    if _http_client.wants_trace_headers(integration, headers):
        # A copy: the caller's dict (or the pool's default headers) must not change.
        headers = headers.copy() if hasattr(headers, "copy") else dict(headers or {})
        _http_client.inject(span, headers)
        if len(args) > _HEADERS_POS:
            args = args[:_HEADERS_POS] + (headers,) + args[_HEADERS_POS + 1 :]
        else:
            kwargs = dict(kwargs, headers=headers)
    return args, kwargs


def _traced_urlopen(wrapped, instance, args, kwargs):
    pin = integration.pin_of(instance)
    if not integration.should_trace(pin):
        return wrapped(*args, **kwargs)
    span = None
    with guard("starting a urllib3 span"):
        span = _http_client.start_span(integration, pin, "urllib3.request", instance.host, instance.port, peer_tags=True)
    if span is None:
        return wrapped(*args, **kwargs)
    with span:
        call_args, call_kwargs = args, kwargs
        with guard("tagging a urllib3 span"):
            call_args, call_kwargs = _tag_request(span, instance, args, kwargs)
        response = wrapped(*call_args, **call_kwargs)
        with guard("tagging a urllib3 response"):
            _http_client.tag_response(span, integration, response.status, getattr(response, "reason", None), response.headers)
    return response
