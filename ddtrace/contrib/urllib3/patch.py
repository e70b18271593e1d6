"""Traces ``urllib3``: one ``urllib3.request`` client span per ``HTTPConnectionPool.urlopen``."""
from __future__ import annotations

from ddtrace.contrib import _http_client
from ddtrace.contrib._integration import Integration
from ddtrace.contrib._integration import guard

integration = Integration(
    "urllib3",
    "urllib3",
    defaults={"distributed_tracing": True, "split_by_domain": _http_client.env_split_by_domain("urllib3")},
)

#: Versions the integration is tested with.
SUPPORTED = {"urllib3": ">=1.25,<3"}

SPAN_NAME = "urllib3.request"
DEFAULT_SERVICE = "urllib3"

# HTTPConnectionPool.urlopen(method, url, body=None, headers=None, retries=None, ...)
_HEADERS_POS = 3
_RETRIES_POS = 4


def get_version():
    """The installed urllib3 version."""
    return integration.version()


def patch():
    """Trace every request sent through a urllib3 connection pool (``PoolManager``
    uses them too). Imports urllib3; returns True if it patched now."""
    return integration.patch(_patch)


def unpatch():
    """Restore ``HTTPConnectionPool.urlopen``."""
    return integration.unpatch()


def _patch(module):
    import urllib3.connectionpool

    integration.wrap(urllib3.connectionpool.HTTPConnectionPool, "urlopen", _traced_urlopen)


def _arg(args, kwargs, pos, name):
    if len(args) > pos:
        return args[pos]
    return kwargs.get(name)


def _full_url(pool, url):
    if url.startswith(("http://", "https://")):  # through a proxy: already absolute
        return url
    scheme = getattr(pool, "scheme", None) or "http"
    host = pool.host
    if ":" in host and not host.startswith("["):  # IPv6 literal
        host = "[%s]" % host
    port = pool.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = "%s:%s" % (host, port)
    if not url.startswith("/"):
        url = "/" + url
    return "%s://%s%s" % (scheme, host, url)


def _service(pin, host, port):
    if integration.config.get("split_by_domain"):
        return "%s:%s" % (host, port) if port else host
    return integration.service(pin, DEFAULT_SERVICE)


def _tag_request(span, instance, pin, method, url, args, kwargs):
    """Tag the request; returns the (args, kwargs) to call urlopen with (trace
    headers added to a copy of the headers)."""
    host = instance.host
    _http_client.tag_request(span, integration, pin, method, url, host, instance.port)
    span._set_tag_str("server.address", host)

    headers = _arg(args, kwargs, _HEADERS_POS, "headers")
    if headers is None:
        headers = instance.headers
    _http_client.tag_request_headers(span, integration, headers)

    retries = _arg(args, kwargs, _RETRIES_POS, "retries")
    if retries is None:
        retries = getattr(instance, "retries", None)
    total = getattr(retries, "total", None)
    if isinstance(total, int) and not isinstance(total, bool):
        span.set_metric("http.retries_remain", total)

    if integration.config.get("distributed_tracing", True) and not _http_client.has_trace_headers(headers):
        # A copy: the caller's dict (or the pool's default headers) must not change.
        new_headers = headers.copy() if hasattr(headers, "copy") else dict(headers or {})
        if _http_client.inject(integration, span, new_headers):
            if len(args) > _HEADERS_POS:
                args = args[:_HEADERS_POS] + (new_headers,) + args[_HEADERS_POS + 1 :]
            else:
                kwargs = dict(kwargs)
                kwargs["headers"] = new_headers
    return args, kwargs


def _traced_urlopen(wrapped, instance, args, kwargs):
    pin = integration.pin_of(instance)
    if not integration.should_trace(pin):
        return wrapped(*args, **kwargs)
    span = None
    with guard("starting a urllib3 span"):
        method = str(_arg(args, kwargs, 0, "method") or "").upper()
        url = _full_url(instance, str(_arg(args, kwargs, 1, "url") or "/"))
        service = _service(pin, instance.host, instance.port)
        span = _http_client.start_span(integration, pin, SPAN_NAME, service, None, activate=True)
    if span is None:
        return wrapped(*args, **kwargs)
    with span:
        call_args, call_kwargs = args, kwargs
        with guard("tagging a urllib3 span"):
            call_args, call_kwargs = _tag_request(span, instance, pin, method, url, args, kwargs)
        response = wrapped(*call_args, **call_kwargs)
        with guard("tagging a urllib3 response"):
            _http_client.tag_response(span, integration, response.status, getattr(response, "reason", None), response.headers)
    return response
