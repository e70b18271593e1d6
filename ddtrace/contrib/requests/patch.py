"""Traces ``requests``: one ``requests.request`` client span per ``Session.send``."""
from __future__ import annotations

import requests

from ddtrace.contrib import _http_client
from ddtrace.contrib._integration import Integration
from ddtrace.contrib._integration import guard

integration = Integration(
    "requests",
    "requests",
    defaults={"distributed_tracing": True, "split_by_domain": _http_client.env_split_by_domain("requests")},
)

#: Versions the integration is tested with.
SUPPORTED = {"requests": ">=2.20,<3"}

SPAN_NAME = "requests.request"
DEFAULT_SERVICE = "requests"


def get_version():
    """The installed requests version."""
    return integration.version()


def patch():
    """Trace every request sent through ``requests.Session`` (and its subclasses).

    Imports requests. Patching twice patches once; returns True if it patched now.
    """
    return integration.patch(_patch)


def unpatch():
    """Restore ``requests.Session.send``."""
    return integration.unpatch()


def _patch(module):
    integration.wrap(module.sessions.Session, "send", _traced_send)


def _service(pin, netloc):
    if integration.config.get("split_by_domain") and netloc:
        return netloc
    return integration.service(pin, DEFAULT_SERVICE)


def _traced_send(wrapped, instance, args, kwargs):
    pin = integration.pin_of(instance)
    if not integration.should_trace(pin):
        return wrapped(*args, **kwargs)
    request = args[0] if args else kwargs.get("request")
    span = None
    with guard("starting a requests span"):
        url = request.url or ""
        method = (request.method or "").upper()
        scheme, host, port, path = _http_client.split_url(url)
        netloc = "%s:%s" % (host, port) if port else host
        span = _http_client.start_span(
            integration, pin, SPAN_NAME, _service(pin, netloc), "%s %s" % (method, path), activate=True
        )
    if span is None:
        return wrapped(*args, **kwargs)
    with span:
        with guard("tagging a requests span"):
            span.set_metric("_dd.measured", 1)
            _http_client.tag_request(span, integration, pin, method, url, host, port)
            _http_client.tag_request_headers(span, integration, request.headers)
            _http_client.inject(integration, span, request.headers)
        response = wrapped(*args, **kwargs)
        with guard("tagging a requests response"):
            _http_client.tag_response(span, integration, response.status_code, response.reason, response.headers)
    return response


def _traced_session_class():
    """``TracedSession``: a ``requests.Session`` traced even when requests is not patched."""

    class TracedSession(requests.Session):
        """A ``requests.Session`` whose requests are always traced."""

    # Wrapped on the subclass, around the original send, so it is traced whether or
    # not requests is patched and never twice (its own attribute hides Session's).
    import wrapt

    send = requests.Session.__dict__["send"]
    if isinstance(send, wrapt.FunctionWrapper) and getattr(send, "_self_wrapper", None) is _traced_send:
        send = send.__wrapped__
    TracedSession.send = wrapt.FunctionWrapper(send, _traced_send)
    return TracedSession
