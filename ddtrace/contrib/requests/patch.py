"""Traces ``requests``: one ``requests.request`` client span per ``Session.send``."""
from __future__ import annotations

import requests
import wrapt

from ddtrace.contrib import _http_client
from ddtrace.contrib._integration import Integration
from ddtrace.contrib._integration import guard

integration = Integration("requests")
patch, unpatch, get_version = integration.patch, integration.unpatch, integration.version


@integration.on_import("requests.sessions")
def _patch(sessions):
    integration.wrap(sessions.Session, "send", _traced_send)


def _traced_send(wrapped, instance, args, kwargs):
    pin = integration.pin_of(instance)
    if not integration.should_trace(pin):
        return wrapped(*args, **kwargs)
    span = None
    with guard("starting a requests span"):
        request = args[0] if args else kwargs["request"]
        url = request.url or ""
        method = (request.method or "").upper()
        host, port, path = _http_client.split_url(url)
        span = _http_client.start_span(
            integration, pin, "requests.request", host, port, "%s %s" % (method, path), measured=True
        )
    if span is None:
        return wrapped(*args, **kwargs)
    with span:
        with guard("tagging a requests span"):
            _http_client.tag_request(span, integration, method, url, host or None, request.headers)
            if _http_client.wants_trace_headers(integration, request.headers):
                _http_client.inject(span, request.headers)
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
    send = requests.Session.__dict__["send"]
    if isinstance(send, wrapt.FunctionWrapper) and getattr(send, "_self_wrapper", None) is _traced_send:
        send = send.__wrapped__
    TracedSession.send = wrapt.FunctionWrapper(send, _traced_send)
    return TracedSession
