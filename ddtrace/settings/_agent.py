"""Where the Datadog Agent's trace intake listens.

The rules, in order: ``DD_TRACE_AGENT_URL`` as given; else ``DD_AGENT_HOST`` (legacy
``DD_TRACE_AGENT_HOSTNAME``) and ``DD_TRACE_AGENT_PORT`` over HTTP, defaulting to
``localhost:8126``; with neither set and ``/var/run/datadog/apm.socket`` present, that
Unix socket.

IPv6 addresses are bracketed in URLs (``http://[::1]:8126``).
"""
from __future__ import annotations

import os

DEFAULT_HOST = "localhost"
DEFAULT_TRACE_PORT = 8126
DEFAULT_TRACE_SOCKET = "/var/run/datadog/apm.socket"

# How socket paths are checked; the tests replace it.
path_exists = os.path.exists


def parse_host(raw):
    """A host name or IP address; ``[::1]`` is accepted and unbracketed."""
    host = raw.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host or "/" in host or any(c.isspace() for c in host) or "[" in host or "]" in host:
        raise ValueError("expected a host name or IP address (use DD_TRACE_AGENT_URL for a full URL)")
    return host


def url_host(host):
    """The host as it goes in a URL: IPv6 addresses in brackets."""
    return "[%s]" % host if ":" in host else host


def trace_agent_url(url, host, port, exists=None):
    """Return ``(url, from_env)`` for the trace agent; arguments are parsed values or None."""
    if url is not None:
        return url, True
    if host is not None or port is not None:
        return "http://%s:%d" % (url_host(host or DEFAULT_HOST), port or DEFAULT_TRACE_PORT), True
    if _socket_exists(DEFAULT_TRACE_SOCKET, exists):
        return "unix://" + DEFAULT_TRACE_SOCKET, False
    return "http://%s:%d" % (DEFAULT_HOST, DEFAULT_TRACE_PORT), False


def _socket_exists(path, exists):
    try:
        return bool((exists or path_exists)(path))
    except Exception:  # an unreadable /var/run must not stop the tracer
        return False
