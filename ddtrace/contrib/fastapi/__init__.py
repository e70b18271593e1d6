"""Traces `FastAPI <https://fastapi.tiangolo.com>`_ applications (0.100 and later).

Enabled by ``ddtrace-run`` and ``ddtrace.patch_all()``; in code, before the
application handles requests::

    import ddtrace
    ddtrace.patch(fastapi=True)

Every ``FastAPI`` application is traced, whenever it was created; no middleware to add.

FastAPI runs on Starlette, and so does this integration: requests are traced exactly
as :mod:`ddtrace.contrib.starlette` describes (route templates, mounts, errors,
streaming, websockets, background tasks), with FastAPI's names and settings:

- ``fastapi.request``: the server span of each HTTP request and websocket connection
  (type ``web``, ``component=fastapi``, ``span.kind=server``), resource
  ``<METHOD> <route template>`` and ``http.route`` such as ``GET /items/{item_id}``,
  with the prefixes of included routers (``include_router(router, prefix="/v1")``)
  and of mounted applications. A request no route matches keeps its path
  (``GET /nope``, status 404). ``HTTPException`` and validation errors (422) are not
  errors; an exception the application does not handle is recorded on the span, which
  gets status 500.
- ``fastapi.serialize_response``: the validation and serialization of a path
  operation's return value through its response model (not made when the operation
  returns a ``Response`` itself).
- ``fastapi.background_task``: each task added to ``BackgroundTasks``, run after the
  response is sent, in a trace of its own linked to the request (resource: the
  function's name).

Settings
~~~~~~~~

``config.fastapi["service"]`` / ``DD_FASTAPI_SERVICE``
    Service name of the spans (default ``DD_SERVICE``).

``config.fastapi["distributed_tracing"]`` / ``DD_FASTAPI_DISTRIBUTED_TRACING``
    Continue the trace of the caller named by incoming headers. Default ``True``.

``config.fastapi["request_span_name"]`` / ``DD_FASTAPI_REQUEST_SPAN_NAME``
    Name of the request spans (default ``fastapi.request``).

``config.fastapi["trace_query_string"]`` / ``DD_FASTAPI_TRACE_QUERY_STRING``
    Keep the query string in ``http.url`` (default ``DD_HTTP_SERVER_TAG_QUERY_STRING``,
    true; secrets in it are replaced by ``<redacted>``).

``config.fastapi["http_header_tags"]``
    ``{header: tag}`` recorded on this integration's spans, on top of
    ``DD_TRACE_HEADER_TAGS``.

``DD_TRACE_FASTAPI_ENABLED=false``
    Turn the integration off. FastAPI applications are then traced by the Starlette
    integration, if it is on (``starlette.request`` spans, no
    ``fastapi.serialize_response``); add ``DD_TRACE_STARLETTE_ENABLED=false`` to trace
    neither.

One application can get its own service name with a :class:`~ddtrace.trace.Pin`::

    from ddtrace.trace import Pin

    Pin.override(app, service="orders-api")

Differences from the PyPI tracer, on purpose
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~

- A mounted FastAPI (or Starlette) application makes no second ``fastapi.request``
  span: the one server span is named after the whole template
  (``GET /sub/reports/{report_id}``); the PyPI tracer nests a second server span named
  after the template inside the mount (``GET /reports/{report_id}``).
- A background task gets one ``fastapi.background_task`` span; the PyPI tracer also
  makes a ``starlette.background_task`` span named ``traced_task`` around it.
- Websocket connections are named after their route template and their messages are
  not traced, as for :mod:`Starlette <ddtrace.contrib.starlette>`.
"""
