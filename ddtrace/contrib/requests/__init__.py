"""Traces HTTP requests sent with `requests <https://requests.readthedocs.io>`_.

Enabled by default by ``ddtrace-run`` and ``ddtrace.patch_all()``; in code::

    import ddtrace
    ddtrace.patch(requests=True)

Every request sent through a ``requests.Session`` (the module-level functions such as
``requests.get`` use one too, and so do ``Session`` subclasses) is a span:

- name ``requests.request``, type ``http``, resource ``<METHOD> <path>``
  (``GET /users/1``);
- service ``requests`` unless configured (see below);
- tags ``component=requests``, ``span.kind=client``, ``http.method``, ``http.url``
  (without user-info; the query string kept but with tokens and passwords replaced by
  ``<redacted>``, see ``DD_TRACE_OBFUSCATION_QUERY_STRING_REGEXP``),
  ``http.status_code``, ``http.status_msg``, ``http.useragent``, ``out.host`` and the
  ``network.destination.port`` metric;
- a response with a 5xx status marks the span as an error; a failure to connect is
  recorded with its exception type, message and stack, and raised to your code
  unchanged.

The trace context is added to the request headers (Datadog, W3C ``traceparent`` and
``baggage`` headers by default, see ``DD_TRACE_PROPAGATION_STYLE``) so the called
service continues the trace. A request that already carries trace headers (set by your
code) is sent with yours unchanged; PyPI ddtrace replaces them.

Settings
~~~~~~~~

``config.requests["service"]`` / ``DD_REQUESTS_SERVICE``
    Service name of the spans (default ``requests``). ``DD_SERVICE_MAPPING=requests:my-http``
    renames it too.

``config.requests["distributed_tracing"]`` / ``DD_REQUESTS_DISTRIBUTED_TRACING``
    Add trace headers to outgoing requests (default ``True``).

``config.requests["split_by_domain"]`` / ``DD_REQUESTS_SPLIT_BY_DOMAIN``
    Use the request's ``host[:port]`` as the service name, so each remote API is its
    own service in Datadog (default ``False``).

``config.requests["trace_query_string"]`` / ``DD_REQUESTS_TRACE_QUERY_STRING``
    Keep the query string in ``http.url`` (default: ``DD_TRACE_HTTP_CLIENT_TAG_QUERY_STRING``,
    true).

``DD_TRACE_REQUESTS_ENABLED=false``
    Turn the integration off.

One session can get its own service name with a :class:`~ddtrace.trace.Pin`::

    from ddtrace.trace import Pin

    session = requests.Session()
    Pin.override(session, service="billing-api")

``TracedSession`` is a ``requests.Session`` subclass that is traced even when the
integration is not enabled::

    from ddtrace.contrib.requests import TracedSession

    session = TracedSession()
"""


def __getattr__(name):
    # Built on first use so importing this package does not import requests.
    if name == "TracedSession":
        from ddtrace.contrib.requests import patch as _patch

        cls = _patch._traced_session_class()
        globals()["TracedSession"] = cls
        return cls
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


__all__ = ["TracedSession"]
