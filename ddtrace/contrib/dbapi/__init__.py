"""Tracing for DB-API 2 (PEP 249) drivers: the layer every SQL integration builds on.

A driver integration wraps the connections its ``connect()`` returns::

    from ddtrace.contrib.dbapi import TracedConnection
    from ddtrace.trace import Pin

    conn = TracedConnection(raw_connection, Pin(), {"_dbapi_span_name_prefix": "sqlite"}, integration=integration)

and from then on:

- ``cursor.execute(sql, ...)`` and ``cursor.executemany(sql, seq)``: a
  ``sqlite.query`` span whose resource is the SQL;
- ``cursor.callproc(name, ...)``: a ``sqlite.query`` span whose resource is the
  procedure name;
- ``cursor.fetchone()`` / ``fetchmany()`` / ``fetchall()``: nothing, or, with
  ``trace_fetch_methods``, ``sqlite.query.fetchone``... spans whose resource is the
  last SQL (``fetchmany`` adds the metric ``db.fetch.size``: the rows asked for);
- ``conn.commit()`` and ``conn.rollback()``: ``sqlite.connection.commit`` and
  ``sqlite.connection.rollback`` spans.

Spans start through the integration (:meth:`~ddtrace.contrib._integration.Integration.start_span`):
its ``should_trace`` decides whether a call is traced, its ``service`` names the
service (the pin's, ``DD_<NAME>_SERVICE``, the registry row's default, ``DD_SERVICE``).
Every span has the tags ``component``, ``span.kind=client`` and ``db.system``; query
spans have type ``sql``, are measured and have the metric ``db.row_count`` (the cursor's
``rowcount`` after the call); ``executemany`` adds ``sql.executemany=true``. The
driver's exceptions reach the caller unchanged, after being recorded on the span.

Cursors returned by ``conn.cursor()``, by ``with conn:`` and ``with cursor:``, and by
``execute()`` when the driver returns the cursor itself, are the traced proxies, so
chained calls (``conn.cursor().execute(...).fetchall()``) stay traced. Everything else
(attributes, ``close()``, iteration) passes straight through to the driver's object.

The names, from the ``cfg`` mapping (a dict or the integration's config):

``_dbapi_span_name_prefix``
    Span name prefix, e.g. ``"sqlite"`` (default: the integration's name).
``_dbapi_span_operation_name``
    Name of query spans (default ``<prefix>.query``).
``_db_system``
    The ``db.system`` tag (default: the prefix).
``_component``
    The ``component`` tag (default: the integration's).
``trace_fetch_methods``
    Also trace ``fetchone`` / ``fetchmany`` / ``fetchall`` (default: the integration's
    ``trace_fetch_methods`` setting, else ``config.dbapi2.trace_fetch_methods``).

``Pin.override(conn, service="billing-db")`` changes the service of one connection
and of the cursors created from it afterwards.

Drivers whose cursors have coroutine methods use the same layer's async proxies,
:class:`TracedAsyncConnection` and :class:`TracedAsyncCursor`.
"""
import sys

import wrapt

from ddtrace.ext import SpanKind
from ddtrace.ext import SpanTypes
from ddtrace.ext import db as _db
from ddtrace.internal.logger import get_logger
from ddtrace.internal.logger import report_internal_error
from ddtrace.settings import config

log = get_logger(__name__)

__all__ = [
    "TracedConnection",
    "TracedCursor",
    "FetchTracedCursor",
    "DBAPISettings",
    "TracedAsyncConnection",
    "TracedAsyncCursor",
    "FetchTracedAsyncCursor",
]

EXECUTEMANY = "sql.executemany"
FETCH_SIZE = "db.fetch.size"


def _get(cfg, key, default=None):
    if cfg is None:
        return default
    try:
        value = cfg.get(key) if hasattr(cfg, "get") else getattr(cfg, key, None)
    except Exception:
        return default
    return default if value is None else value


class DBAPISettings:
    """The names and switches one integration's DB-API spans use, resolved once per
    connection.

    :param cfg: a mapping with the names listed in this module's documentation (a dict,
        or the integration config), or None for the defaults.
    :param integration: the integration's :class:`~ddtrace.contrib._integration.Integration`:
        it starts the spans, decides whether a call is traced and names the service.
    """

    __slots__ = (
        "config",
        "integration",
        "prefix",
        "query_name",
        "commit_name",
        "rollback_name",
        "db_system",
        "component",
    )

    def __init__(self, cfg, integration):
        if integration is None:
            raise TypeError("DBAPISettings needs the integration whose spans it names")
        self.config = cfg
        self.integration = integration
        self.prefix = _get(cfg, "_dbapi_span_name_prefix", integration.name)
        self.query_name = _get(cfg, "_dbapi_span_operation_name", self.prefix + ".query")
        self.commit_name = self.prefix + ".connection.commit"
        self.rollback_name = self.prefix + ".connection.rollback"
        self.db_system = _get(cfg, "_db_system", self.prefix)
        self.component = _get(cfg, "_component", integration.component)

    def service(self, pin):
        """The service of a span made with ``pin``."""
        return self.integration.service(pin)

    def tracing_pin(self, pin):
        """``pin`` when a call made with it should be traced, else None."""
        if pin is not None and self.integration.should_trace(pin):
            return pin
        return None

    def trace_fetch_methods(self):
        value = _get(self.config, "trace_fetch_methods")
        if value is None:
            value = self.integration.config.get("trace_fetch_methods")
        if value is None:
            value = config.dbapi2.get("trace_fetch_methods")
        return bool(value)


def _as_resource(query):
    if isinstance(query, str):
        return query
    if isinstance(query, (bytes, bytearray)):
        return bytes(query).decode("utf-8", "replace")
    return str(query)


_proxy_init = wrapt.ObjectProxy.__init__


class _PinnedProxy(wrapt.ObjectProxy):
    # Drivers' objects are C types that refuse new attributes: the pin lives on the proxy.

    def __getddpin__(self):
        return self._self_pin

    def __setddpin__(self, pin):
        self._self_pin = pin

    def _dd_tracing(self):
        """The pin when this call should be traced, else None."""
        return self._self_dbapi.tracing_pin(self._self_pin)

    def _dd_start(self, pin, name, resource, span_type, measured):
        """A started span for this call, or None if starting it failed."""
        settings = self._self_dbapi
        span = settings.integration.start_span(
            name,
            pin,
            resource=resource,
            span_type=span_type,
            kind=SpanKind.CLIENT,
            measured=measured,
            component=settings.component,
        )
        if span is not None:
            try:
                span.set_tag_str(_db.SYSTEM, settings.db_system)
            except Exception as e:
                report_internal_error(e, "tagging a %s span" % (name,))
        return span

    def __enter__(self):
        enter = getattr(type(self.__wrapped__), "__enter__", None)
        if enter is None:
            raise TypeError("%r object does not support the context manager protocol" % type(self.__wrapped__).__name__)
        result = enter(self.__wrapped__)
        # The driver returns its own object: hand back the traced proxy instead.
        return self if result is self.__wrapped__ else result

    def __exit__(self, exc_type, exc_val, exc_tb):
        exit_ = getattr(type(self.__wrapped__), "__exit__", None)
        if exit_ is None:
            raise TypeError("%r object does not support the context manager protocol" % type(self.__wrapped__).__name__)
        return exit_(self.__wrapped__, exc_type, exc_val, exc_tb)


class TracedCursor(_PinnedProxy):
    """A DB-API cursor whose ``execute``, ``executemany`` and ``callproc`` are traced.

    :param cursor: the driver's cursor.
    :param pin: the :class:`~ddtrace.trace.Pin` giving service, tags and tracer.
    :param cfg: the names (see :class:`DBAPISettings`), or the :class:`DBAPISettings`.
    :param integration: the integration, when ``cfg`` is not a :class:`DBAPISettings`.
    """

    def __init__(self, cursor, pin, cfg, integration=None):
        _proxy_init(self, cursor)
        self._self_pin = pin
        self._self_dbapi = cfg if isinstance(cfg, DBAPISettings) else DBAPISettings(cfg, integration)
        self._self_last_resource = None

    def _dd_trace_query(self, method, resource, executemany, args, kwargs):
        pin = self._self_dbapi.tracing_pin(self._self_pin)
        if pin is None:
            return method(*args, **kwargs)
        span = self._dd_start(pin, self._self_dbapi.query_name, resource, SpanTypes.SQL, True)
        if span is None:
            return method(*args, **kwargs)
        if executemany:
            span.set_tag_str(EXECUTEMANY, "true")
        try:
            result = method(*args, **kwargs)
        except BaseException:
            self._dd_finish(span, sys.exc_info())
            raise
        self._dd_finish(span, None)
        # Drivers such as sqlite3 return the cursor: keep the caller on the proxy.
        return self if result is self.__wrapped__ else result

    def _dd_finish(self, span, exc_info):
        try:
            if exc_info is not None:
                span.set_exc_info(*exc_info)
            rowcount = getattr(self.__wrapped__, "rowcount", None)
            if isinstance(rowcount, int) and not isinstance(rowcount, bool):
                span.set_metric(_db.ROWCOUNT, rowcount)
        except Exception as e:
            report_internal_error(e, "tagging a database span")
        finally:
            span.finish()

    def execute(self, query, *args, **kwargs):
        """Run ``query`` on the driver's cursor, in a ``<prefix>.query`` span."""
        resource = query if type(query) is str else _as_resource(query)
        self._self_last_resource = resource
        return self._dd_trace_query(self.__wrapped__.execute, resource, False, (query,) + args, kwargs)

    def executemany(self, query, *args, **kwargs):
        """Run ``query`` once per parameter set, in one ``<prefix>.query`` span."""
        resource = _as_resource(query)
        self._self_last_resource = resource
        return self._dd_trace_query(self.__wrapped__.executemany, resource, True, (query,) + args, kwargs)

    def callproc(self, procname, *args, **kwargs):
        """Call a stored procedure, in a ``<prefix>.query`` span named after it."""
        resource = _as_resource(procname)
        self._self_last_resource = resource
        return self._dd_trace_query(self.__wrapped__.callproc, resource, False, (procname,) + args, kwargs)

    # The members every DB-API cursor has, passed through explicitly: a member the
    # proxy lacks is found only after an AttributeError (~0.6 µs per access).

    def fetchone(self, *args, **kwargs):
        return self.__wrapped__.fetchone(*args, **kwargs)

    def fetchmany(self, *args, **kwargs):
        return self.__wrapped__.fetchmany(*args, **kwargs)

    def fetchall(self, *args, **kwargs):
        return self.__wrapped__.fetchall(*args, **kwargs)

    def close(self, *args, **kwargs):
        return self.__wrapped__.close(*args, **kwargs)

    @property
    def rowcount(self):
        return self.__wrapped__.rowcount

    @property
    def description(self):
        return self.__wrapped__.description

    def __next__(self):
        return next(self.__wrapped__)

    def __iter__(self):
        it = iter(self.__wrapped__)
        return self if it is self.__wrapped__ else it


def _fetch_size(cursor, args, kwargs):
    """The rows ``fetchmany(size)`` asks for: ``size``, else the cursor's ``arraysize``."""
    size = args[0] if args else kwargs.get("size")
    if size is None:
        size = getattr(cursor, "arraysize", None)
    return size if isinstance(size, int) and not isinstance(size, bool) else None


class FetchTracedCursor(TracedCursor):
    """A :class:`TracedCursor` that also traces ``fetchone``, ``fetchmany`` and ``fetchall``
    (spans ``<prefix>.query.fetchone``..., resource the last query)."""

    def _dd_start_fetch(self, name, size):
        pin = self._dd_tracing()
        if pin is None:
            return None
        span_name = "%s.%s" % (self._self_dbapi.query_name, name)
        # Not measured: the query's own span carries the trace metrics.
        span = self._dd_start(pin, span_name, self._self_last_resource or span_name, SpanTypes.SQL, False)
        if span is not None and size is not None:
            span.set_metric(FETCH_SIZE, size)
        return span

    def _dd_trace_fetch(self, name, method, args, kwargs, size=None):
        span = self._dd_start_fetch(name, size)
        if span is None:
            return method(*args, **kwargs)
        try:
            result = method(*args, **kwargs)
        except BaseException:
            self._dd_finish(span, sys.exc_info())
            raise
        self._dd_finish(span, None)
        return result

    def fetchone(self, *args, **kwargs):
        return self._dd_trace_fetch("fetchone", self.__wrapped__.fetchone, args, kwargs)

    def fetchmany(self, *args, **kwargs):
        size = _fetch_size(self.__wrapped__, args, kwargs)
        return self._dd_trace_fetch("fetchmany", self.__wrapped__.fetchmany, args, kwargs, size)

    def fetchall(self, *args, **kwargs):
        return self._dd_trace_fetch("fetchall", self.__wrapped__.fetchall, args, kwargs)


class TracedConnection(_PinnedProxy):
    """A DB-API connection whose cursors are traced and whose ``commit`` and
    ``rollback`` make spans.

    :param conn: the driver's connection.
    :param pin: the :class:`~ddtrace.trace.Pin` giving service, tags and tracer
        (default: a new one).
    :param cfg: the names (see :class:`DBAPISettings`), or the :class:`DBAPISettings`.
    :param cursor_cls: the cursor proxy class (default: the class attribute
        ``cursor_cls``, or ``fetch_cursor_cls`` when ``trace_fetch_methods`` is on).
    :param integration: the integration, when ``cfg`` is not a :class:`DBAPISettings`.

    Driver integrations subclass it to add the driver's own shortcuts and set
    ``cursor_cls`` / ``fetch_cursor_cls`` to their cursor proxies.
    """

    cursor_cls = TracedCursor
    fetch_cursor_cls = FetchTracedCursor

    def __init__(self, conn, pin=None, cfg=None, cursor_cls=None, integration=None):
        super().__init__(conn)
        if pin is None:
            from ddtrace.trace import Pin

            pin = Pin()
        self._self_pin = pin
        self._self_dbapi = cfg if isinstance(cfg, DBAPISettings) else DBAPISettings(cfg, integration)
        if cursor_cls is None:
            cursor_cls = self.fetch_cursor_cls if self._self_dbapi.trace_fetch_methods() else self.cursor_cls
        self._self_cursor_cls = cursor_cls

    def _dd_wrap_cursor(self, cursor):
        if cursor is None or isinstance(cursor, TracedCursor):
            return cursor
        return self._self_cursor_cls(cursor, self._self_pin, self._self_dbapi)

    def cursor(self, *args, **kwargs):
        """The driver's cursor, wrapped in a traced proxy sharing this connection's pin."""
        return self._dd_wrap_cursor(self.__wrapped__.cursor(*args, **kwargs))

    def _dd_trace_call(self, name, method, args, kwargs):
        pin = self._dd_tracing()
        if pin is None:
            return method(*args, **kwargs)
        span = self._dd_start(pin, name, None, None, False)
        if span is None:
            return method(*args, **kwargs)
        try:
            result = method(*args, **kwargs)
        except BaseException:
            try:
                span.set_exc_info(*sys.exc_info())
            finally:
                span.finish()
            raise
        span.finish()
        return result

    def commit(self, *args, **kwargs):
        """Commit, in a ``<prefix>.connection.commit`` span."""
        return self._dd_trace_call(self._self_dbapi.commit_name, self.__wrapped__.commit, args, kwargs)

    def rollback(self, *args, **kwargs):
        """Roll back, in a ``<prefix>.connection.rollback`` span."""
        return self._dd_trace_call(self._self_dbapi.rollback_name, self.__wrapped__.rollback, args, kwargs)


def pin_module(integration, module):
    """Put a :class:`~ddtrace.trace.Pin` on a driver module (removed on ``unpatch()``), so
    ``Pin.override(driver, service=...)`` reaches the connections made afterwards."""
    from ddtrace.trace import Pin

    if Pin.get_from(module) is not None:
        return
    Pin().onto(module)

    @integration.on_unpatch
    def _remove_pin():
        pin = Pin.get_from(module)
        if pin is not None:
            pin.remove_from(module)


def connection_pin(module, tags=None):
    """The pin of a new connection: a copy of the driver module's (changing one
    connection's leaves the others alone), with ``tags`` added."""
    from ddtrace.trace import Pin

    module_pin = Pin.get_from(module) if module is not None else None
    if module_pin is not None:
        return module_pin.clone(tags=tags)
    return Pin(tags=tags)


# The async variants build on the classes above.
from ddtrace.contrib.dbapi._async import FetchTracedAsyncCursor  # noqa: E402
from ddtrace.contrib.dbapi._async import TracedAsyncConnection  # noqa: E402
from ddtrace.contrib.dbapi._async import TracedAsyncCursor  # noqa: E402
