"""What the HTTP client integrations (requests, urllib3, httplib) share: starting a
client span, tagging the request, injecting the trace headers, tagging the response.

Tagging rules themselves (URL sanitising, query-string obfuscation, error statuses,
header tags) live in :mod:`ddtrace.contrib.trace_utils`; this module only wires them
into the shape every client span has. These functions run on every outbound request.
"""
from __future__ import annotations

from ddtrace.contrib import trace_utils
from ddtrace.ext import SpanKind
from ddtrace.ext import SpanTypes
from ddtrace.ext import http as _http

#: Headers that mean "this request already carries a trace" (lowercase). When an outer
#: integration (requests) has injected them, an inner one (urllib3, http.client) leaves
#: them alone, so the server's parent is the outermost client span.
_TRACE_HEADERS = ("x-datadog-trace-id", "traceparent", "x-b3-traceid", "b3")


def has_trace_headers(headers):
    """True if ``headers`` (a mapping, case-insensitive or not) names a trace already."""
    if not headers:
        return False
    try:
        for key in headers.keys():
            k = key.decode("latin-1") if isinstance(key, bytes) else str(key)
            if k.lower() in _TRACE_HEADERS:
                return True
    except Exception:
        return False
    return False


def split_url(url):
    """``(host, port or None, path)`` of an absolute URL; never raises."""
    from ddtrace.internal.lazy import load

    try:
        parts = load("urllib.parse").urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            port = None
        return parts.hostname or "", port, parts.path or "/"
    except Exception:
        return "", None, "/"


def full_url(scheme, host, port, path):
    """The URL of a request for ``path`` to ``host:port`` (``path`` itself when it is
    absolute: a request sent through a proxy)."""
    if path.startswith(("http://", "https://")):
        return path
    if ":" in host and not host.startswith("["):  # IPv6 literal
        host = "[%s]" % host
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = "%s:%s" % (host, port)
    return "%s://%s%s" % (scheme, host, path if path.startswith("/") else "/" + path)


def start_span(
    integration,
    pin,
    name,
    host=None,
    port=None,
    resource=None,
    activate=True,
    measured=False,
    peer_tags=False,
    inherit_service=False,
):
    """Start a client span (type ``http``, ``span.kind=client``, the
    ``network.destination.port`` metric); None if that failed (reported).

    With the integration's ``split_by_domain`` on, the service is ``host[:port]``.
    ``peer_tags``: tag ``out.host`` and ``server.address`` with ``host`` now (else
    :func:`tag_request` tags ``out.host`` alone, as PyPI ddtrace does for requests and
    http.client). ``measured`` and ``inherit_service``: see
    :meth:`~ddtrace.contrib._integration.Integration.start_span`.
    """
    service = None
    if host and integration.config.split_by_domain:
        service = "%s:%s" % (host, port) if port else host
    return integration.start_span(
        name,
        pin,
        resource=resource,
        span_type=SpanTypes.HTTP,
        kind=SpanKind.CLIENT,
        service=service,
        activate=activate,
        measured=measured,
        host=host if peer_tags else None,
        port=port,
        inherit_service=inherit_service,
    )


def tag_request(span, integration, method, url, host=None, headers=None):
    """``http.method``, ``http.url``, ``out.host`` (when given), header tags, and
    ``http.useragent`` as the PyPI tracer records it on client spans."""
    if headers:
        ua = headers.get("User-Agent") or headers.get("user-agent")
        if ua:
            span.set_tag_str(_http.USER_AGENT, ua.decode("latin-1") if isinstance(ua, bytes) else ua)
    trace_utils.set_http_meta(span, integration.config, method=method, url=url, target_host=host, request_headers=headers)


def wants_trace_headers(integration, headers):
    """Whether to add the trace headers to a request with ``headers``: not when
    distributed tracing is off for the integration, nor when the request carries a
    trace already."""
    return integration.config.distributed_tracing and not has_trace_headers(headers)


def inject(span, headers):
    """Add ``span``'s trace headers to ``headers`` (a mutable mapping)."""
    from ddtrace.internal.lazy import load

    load("ddtrace.propagation.http").HTTPPropagator.inject(span, headers)


def tag_response(span, integration, status, reason=None, headers=None):
    """``http.status_code`` (error on the configured statuses), ``http.status_msg``,
    response header tags."""
    trace_utils.set_http_meta(span, integration.config, status_code=status, status_msg=reason, response_headers=headers)
