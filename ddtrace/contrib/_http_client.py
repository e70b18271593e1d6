"""What the HTTP client integrations (requests, urllib3, httplib) share: starting a
client span with the request's tags, injecting the trace headers, tagging the response.

Tagging rules themselves (URL sanitising, query-string obfuscation, error statuses,
header tags) live in :mod:`ddtrace.contrib.trace_utils`; this module only wires them
into the shape every client span has.
"""
from __future__ import annotations

from ddtrace.contrib import trace_utils
from ddtrace.ext import COMPONENT
from ddtrace.ext import SPAN_KIND
from ddtrace.ext import SpanKind
from ddtrace.ext import SpanTypes
from ddtrace.ext import http as _http
from ddtrace.ext import net as _net

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


def active_parent(tracer):
    """What a new span should be the child of: the active span, else an activated
    remote context, else None (a new trace)."""
    span = tracer.current_span()
    if span is not None:
        return span
    return tracer.current_trace_context()


def split_url(url):
    """``(scheme, host, port or None, path)`` of an absolute URL; never raises."""
    from ddtrace.internal.lazy import load

    try:
        parts = load("urllib.parse").urlsplit(url)
        host = parts.hostname or ""
        try:
            port = parts.port
        except ValueError:
            port = None
        return parts.scheme, host, port, parts.path or "/"
    except Exception:
        return "", "", None, "/"


def start_span(integration, pin, name, service, resource, activate):
    """Start a client span (type ``http``, ``component``, ``span.kind=client``).

    Kept minimal so nothing can fail between starting the span and the caller's
    ``with span:``; the request's tags come from :func:`tag_request`.
    """
    tracer = integration.tracer(pin)
    if activate:
        span = tracer.trace(name, service=service, resource=resource, span_type=SpanTypes.HTTP)
    else:
        span = tracer.start_span(
            name, child_of=active_parent(tracer), service=service, resource=resource, span_type=SpanTypes.HTTP
        )
    span._set_tag_str(COMPONENT, integration.name)
    span._set_tag_str(SPAN_KIND, SpanKind.CLIENT)
    return span


def tag_request(span, integration, pin, method, url, host, port):
    """``http.method``, ``http.url``, ``out.host``, ``network.destination.port`` and the pin's tags."""
    if pin is not None and pin.tags:
        span.set_tags(pin.tags)
    trace_utils.set_http_meta(span, integration.config, method=method, url=url, target_host=host or None)
    if port:
        span.set_metric(_net.TARGET_PORT, port)


def inject(integration, span, headers):
    """Add the trace headers to ``headers`` (mutable mapping) unless distributed
    tracing is off for the integration or the request carries a trace already."""
    if not integration.config.get("distributed_tracing", True) or has_trace_headers(headers):
        return False
    from ddtrace.internal.lazy import load

    load("ddtrace.propagation.http").HTTPPropagator.inject(span, headers)
    return True


def tag_request_headers(span, integration, headers):
    """Header tags of the request, and ``http.useragent`` as the PyPI tracer records
    it on client spans."""
    if not headers:
        return
    ua = None
    try:
        ua = headers.get("User-Agent") or headers.get("user-agent")
    except Exception:
        pass
    if ua:
        span._set_tag_str(_http.USER_AGENT, ua.decode("latin-1") if isinstance(ua, bytes) else str(ua))
    trace_utils.set_http_meta(span, integration.config, request_headers=headers)


def tag_response(span, integration, status, reason=None, headers=None):
    """``http.status_code`` (error on the configured statuses), ``http.status_msg``,
    response header tags."""
    trace_utils.set_http_meta(span, integration.config, status_code=status, status_msg=reason, response_headers=headers)


def env_split_by_domain(integration_name):
    """``DD_<NAME>_SPLIT_BY_DOMAIN`` as a bool (False when unset or invalid).

    Read here until the per-integration environment declarations carry it.
    """
    import os

    var = "DD_%s_SPLIT_BY_DOMAIN" % integration_name.upper()
    value = os.environ.get(var, "").strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value and value not in ("0", "false", "no", "off"):
        from ddtrace.internal.logger import get_logger

        get_logger(__name__).warning("%s: %r is not a boolean (use true or false); using false", var, value)
    return False
