"""Connects logs and traces: adds the active trace's ids to ``logging`` records.

Turn it on with ``DD_LOGS_INJECTION=true`` (the integration itself is enabled by
``ddtrace-run`` and ``ddtrace.patch_all()``, or ``ddtrace.patch(logging=True)``, and
does nothing while injection is off). Every record made by a ``logging.Logger`` then
has these attributes:

``dd.trace_id``
    The trace id: 32 hexadecimal characters for 128-bit trace ids (the default),
    decimal for 64-bit ones (``DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED=false``
    logs the low 64 bits in decimal). ``"0"`` outside a span.
``dd.span_id``
    The active span's id in decimal, ``"0"`` outside a span.
``dd.service``, ``dd.env``, ``dd.version``
    ``DD_SERVICE``, ``DD_ENV``, ``DD_VERSION`` (empty strings when unset).

Use them in ``%``-style formats::

    FORMAT = ("%(asctime)s %(levelname)s [%(name)s] "
              "[dd.service=%(dd.service)s dd.env=%(dd.env)s dd.version=%(dd.version)s "
              "dd.trace_id=%(dd.trace_id)s dd.span_id=%(dd.span_id)s] %(message)s")
    logging.basicConfig(format=FORMAT)

or in ``{}``-style formats, where they are attributes of ``record.dd``::

    logging.basicConfig(style="{", format="{message} [dd.trace_id={dd.trace_id} dd.span_id={dd.span_id}]")

JSON formatters that copy record attributes get both the ``dd.*`` keys and a ``dd``
object. Attributes you pass with ``extra=`` are never overwritten.

structlog, loguru and other logging libraries can add the same values with
``tracer.get_log_correlation_context()``, which returns them as a dict
(``trace_id``, ``span_id``, ``service``, ``env``, ``version``).
"""
