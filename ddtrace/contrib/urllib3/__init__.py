"""Traces HTTP requests sent with `urllib3 <https://urllib3.readthedocs.io>`_.

Off by default: ``requests`` sends its requests through urllib3 and is traced by its
own integration. Enable it with ``DD_TRACE_URLLIB3_ENABLED=true``,
``DD_PATCH_MODULES=urllib3:true`` or in code::

    import ddtrace
    ddtrace.patch(urllib3=True)

Every ``HTTPConnectionPool.urlopen`` call (``PoolManager.request`` and
``urllib3.request`` use it) is a span:

- name ``urllib3.request``, type ``http``, service ``urllib3`` unless configured;
- tags ``component=urllib3``, ``span.kind=client``, ``http.method``, ``http.url``
  (query string obfuscated as for every HTTP integration), ``http.status_code``,
  ``http.status_msg``, ``http.useragent``, ``out.host``, ``server.address``,
  ``http.retries_remain`` (the retries left, as text like PyPI ddtrace; also from the
  pool's default ``retries``, which PyPI ddtrace leaves out) and the
  ``network.destination.port`` metric;
- a 5xx response marks the span as an error; exceptions are recorded and raised
  unchanged. Retries and redirects that urllib3 follows are child spans.

Trace headers are added to the request (a copy of the headers you pass: your dict
is never changed), unless the request already carries them: when ``requests`` traced
it first, its span stays the parent of the remote service's spans, and headers your
code set are sent unchanged (PyPI ddtrace replaces those).

Settings
~~~~~~~~

``config.urllib3["service"]`` / ``DD_URLLIB3_SERVICE``
    Service name (default ``urllib3``).
``config.urllib3["distributed_tracing"]`` / ``DD_URLLIB3_DISTRIBUTED_TRACING``
    Add trace headers (default ``True``).
``config.urllib3["split_by_domain"]`` / ``DD_URLLIB3_SPLIT_BY_DOMAIN``
    Use ``host:port`` of the pool as the service name (default ``False``).
``config.urllib3["trace_query_string"]`` / ``DD_URLLIB3_TRACE_QUERY_STRING``
    Keep the query string in ``http.url``.

A pool can get its own service with ``Pin.override(pool, service="search-api")``.
"""
