"""Traces HTTP requests sent with the standard library's ``http.client``
(``urllib.request`` uses it too).

Off by default: higher-level clients (requests, urllib3) are traced by their own
integrations, and would otherwise show an ``http.client.request`` span under each of
theirs. Enable it with ``DD_TRACE_HTTPLIB_ENABLED=true``,
``DD_PATCH_MODULES=httplib:true`` or in code::

    import ddtrace
    ddtrace.patch(httplib=True)

Each request on an ``HTTPConnection`` / ``HTTPSConnection``, from ``putrequest`` (or
``request``) to ``getresponse``, is a span:

- name and resource ``http.client.request``, type ``http``;
- service: the parent span's, or ``DD_SERVICE`` when the request starts a trace
  (set ``DD_HTTPLIB_SERVICE`` or ``config.httplib["service"]`` to name one);
- tags ``component=httplib``, ``span.kind=client``, ``http.method``, ``http.url``
  (query string obfuscated), ``http.status_code``, ``out.host``, and the
  ``network.destination.port`` metric;
- a 5xx response marks the span as an error; a connection that fails (refused, reset,
  timed out) is recorded with its exception, which reaches your code unchanged.

With ``HTTPConnection.request(...)`` the trace headers are added to a copy of the
headers you pass, unless those carry trace headers already (PyPI ddtrace replaces
them); ``config.httplib["distributed_tracing"]`` / ``DD_HTTPLIB_DISTRIBUTED_TRACING``
turns this off. Requests built by hand with ``putrequest``/``putheader`` are sent as
written.

The tracer's own requests to the Datadog Agent are never traced.
"""
