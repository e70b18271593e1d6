"""Traces `Starlette <https://www.starlette.io>`_ applications (0.13 and later).

Enabled by ``ddtrace-run`` and ``ddtrace.patch_all()``; in code, before the
application handles requests::

    import ddtrace
    ddtrace.patch(starlette=True)

Every ``Starlette`` application is traced, whenever it was created; no middleware to
add. (FastAPI applications have :mod:`their own integration <ddtrace.contrib.fastapi>`,
built on this one.)

What a request produces
~~~~~~~~~~~~~~~~~~~~~~~

One ``starlette.request`` span per HTTP request and per websocket connection, made by
the ASGI middleware (:mod:`ddtrace.contrib.asgi`, which documents the HTTP tags):

- type ``web``, tags ``component=starlette``, ``span.kind=server``, ``http.method``,
  ``http.url``, ``http.status_code``, ``http.useragent``, ``http.version``,
  ``asgi.version``, and ``http.upgraded=websocket`` for websockets;
- resource ``<METHOD> <route template>`` and tag ``http.route``, e.g.
  ``GET /items/{item_id}``; routes inside a ``Mount`` (or a mounted application or
  router) get the whole template, ``GET /api/v1/users/{user_id:int}``. A websocket
  route is named ``websocket /ws/{room}``. A request no route matches keeps its path
  (``GET /favicon.ico``, status 404, no ``http.route``); inside a mount that matched
  but whose routes did not, it is named after the mount (``GET /static``). A request a
  middleware answered before routing (a 401, say) is still named after the route it
  was for;
- an exception the application does not handle marks the span as an error with
  ``error.type``, ``error.message`` and ``error.stack``, status 500; the exception
  reaches the server unchanged. ``HTTPException`` and exceptions that an exception
  handler turns into a response are answers, not errors: only a status in
  ``DD_TRACE_HTTP_SERVER_ERROR_STATUSES`` (default 500-599) marks the span then;
- a streamed response (``StreamingResponse``, ``FileResponse``) is timed until its
  last chunk is sent, or until the client goes away;
- an application mounted inside another traced one does not start a second span.

Background tasks (``BackgroundTask`` / ``BackgroundTasks``) run after the response is
sent; each one gets a ``starlette.background_task`` span (resource the function's
name) in a new trace, with a span link to the request that scheduled it. Spans made
inside the task (database queries...) are its children.

Individual websocket messages are not traced as spans.

Settings
~~~~~~~~

``config.starlette["service"]`` / ``DD_STARLETTE_SERVICE``
    Service name of the spans (default ``DD_SERVICE``).

``config.starlette["distributed_tracing"]`` / ``DD_STARLETTE_DISTRIBUTED_TRACING``
    Continue the trace of the caller named by incoming headers (Datadog, W3C
    ``traceparent``; see ``DD_TRACE_PROPAGATION_STYLE``). Default ``True``.

``config.starlette["request_span_name"]`` / ``DD_STARLETTE_REQUEST_SPAN_NAME``
    Name of the request spans (default ``starlette.request``).

``config.starlette["trace_query_string"]`` / ``DD_STARLETTE_TRACE_QUERY_STRING``
    Keep the query string in ``http.url`` (default ``DD_HTTP_SERVER_TAG_QUERY_STRING``,
    true; secrets in it are replaced by ``<redacted>``).

``config.starlette["http_header_tags"]``
    ``{header: tag}`` recorded on this integration's spans, on top of
    ``DD_TRACE_HEADER_TAGS``.

``DD_TRACE_STARLETTE_ENABLED=false``
    Turn the integration off.

One application can get its own service name with a :class:`~ddtrace.trace.Pin`::

    from ddtrace.trace import Pin

    Pin.override(app, service="billing-web")

Differences from the PyPI tracer, on purpose
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~

- A websocket connection is named after its route template
  (``websocket /ws/{room}``, with ``http.route``), as HTTP requests are; the PyPI
  tracer names it after the path (``websocket /ws/lobby``), one resource per room.
- Websocket messages are not traced (see :mod:`ddtrace.contrib.asgi`).
- Background task spans carry ``component`` like every span of the integration.
"""
