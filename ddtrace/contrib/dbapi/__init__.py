"""Tracing for DB-API 2 (PEP 249) drivers: the layer every SQL integration builds on.

A driver integration wraps the connections its ``connect()`` returns::

    from ddtrace.contrib.dbapi import TracedConnection
    from ddtrace.trace import Pin

    conn = TracedConnection(raw_connection, Pin(), config.sqlite)

and from then on, with ``config.sqlite`` holding ``_dbapi_span_name_prefix="sqlite"``:

- ``cursor.execute(sql, ...)`` and ``cursor.executemany(sql, seq)``: a
  ``sqlite.query`` span whose resource is the SQL;
- ``cursor.callproc(name, ...)``: a ``sqlite.query`` span whose resource is the
  procedure name;
- ``cursor.fetchone()`` / ``fetchmany()`` / ``fetchall()``: nothing, or, with
  ``trace_fetch_methods``, ``sqlite.query.fetchone``... spans whose resource is the
  last SQL;
- ``conn.commit()`` and ``conn.rollback()``: ``sqlite.connection.commit`` and
  ``sqlite.connection.rollback`` spans.

Query spans have type ``sql`` and the tags ``component``, ``span.kind=client``,
``db.system`` and the metric ``db.row_count`` (the cursor's ``rowcount`` after the
call); ``executemany`` adds ``sql.executemany=true``. The driver's exceptions reach
the caller unchanged, after being recorded on the span.

Cursors returned by ``conn.cursor()``, by ``with conn:`` and ``with cursor:``, and by
``execute()`` when the driver returns the cursor itself, are the traced proxies, so
chained calls (``conn.cursor().execute(...).fetchall()``) stay traced. Everything else
(attributes, ``close()``, iteration) passes straight through to the driver's object.

Integration settings read from the integration config (``config.<name>``):

``_dbapi_span_name_prefix``
    Span name prefix, e.g. ``"sqlite"`` (default: the integration's name).
``_dbapi_span_operation_name``
    Name of query spans (default ``<prefix>.query``).
``_db_system``
    The ``db.system`` tag (default: the prefix).
``_component``
    The ``component`` tag (default: the integration's name).
``_default_service``
    Service of the spans when neither a :class:`~ddtrace.trace.Pin` nor
    ``DD_<INTEGRATION>_SERVICE`` names one (default: the prefix).
``trace_fetch_methods``
    Also trace ``fetchone`` / ``fetchmany`` / ``fetchall`` (default False; falls back
    to ``config.dbapi2.trace_fetch_methods``).

``Pin.override(conn, service="billing-db")`` changes the service of one connection
and of the cursors created from it afterwards.

The proxies are synchronous; drivers with ``async`` cursors (psycopg 3, aiopg) will
get an async variant of the same layer along with those integrations.
"""
import sys

import wrapt

from ddtrace.constants import SPAN_MEASURED_KEY
from ddtrace.contrib import trace_utils
from ddtrace.ext import COMPONENT
from ddtrace.ext import SPAN_KIND
from ddtrace.ext import SpanKind
from ddtrace.ext import SpanTypes
from ddtrace.ext import db as _db
from ddtrace.internal.logger import get_logger
from ddtrace.internal.logger import report_internal_error
from ddtrace.internal.suppress import _suppressed
from ddtrace.settings import config
from ddtrace.trace import tracer as _global_tracer

log = get_logger(__name__)

__all__ = ["TracedConnection", "TracedCursor", "FetchTracedCursor", "DBAPISettings"]


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

    :param cfg: the integration config (``config.<name>``) or a dict with the settings
        listed in this module's documentation.
    :param integration: the integration's :class:`~ddtrace.contrib._integration.Integration`,
        if it has one: its ``should_trace`` decides whether a call is traced
        (``DD_TRACE_<NAME>_ENABLED``, tracer enabled, tracer's own I/O) and its
        ``service`` setting is the fallback when ``cfg`` names none.
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
        "default_service",
        "_service",
        "_service_gen",
    )

    def __init__(self, cfg, integration=None):
        self.config = cfg
        self.integration = integration
        name = getattr(cfg, "integration_name", None) or _get(cfg, "integration_name")
        if not name and integration is not None:
            name = integration.name
        name = name or "dbapi2"
        self.prefix = _get(cfg, "_dbapi_span_name_prefix", name)
        self.query_name = _get(cfg, "_dbapi_span_operation_name", self.prefix + ".query")
        self.commit_name = self.prefix + ".connection.commit"
        self.rollback_name = self.prefix + ".connection.rollback"
        self.db_system = _get(cfg, "_db_system", self.prefix)
        self.component = _get(cfg, "_component", name)
        self.default_service = _get(cfg, "_default_service", self.prefix)
        self._service = None
        self._service_gen = -1

    def service(self, pin):
        """The pin's service, else the integration's ``service`` setting, else the default."""
        if pin is not None and pin.service:
            return pin.service
        # Settings change rarely and every change bumps config._generation: resolve
        # the fallback once per change, not once per query.
        gen = config._generation
        if gen != self._service_gen:
            service = trace_utils.ext_service(None, self.config, None)
            if not service and self.integration is not None and self.integration.config is not self.config:
                service = self.integration.config.get("service")
            self._service = service or self.default_service
            self._service_gen = gen
        return self._service

    def tracing_pin(self, pin):
        """``pin`` when a call made with it should be traced, else None."""
        if pin is None:
            return None
        integration = self.integration
        if integration is not None:
            return pin if integration.should_trace(pin) else None
        if _suppressed.get():
            return None
        try:
            if _get(self.config, "enabled", True) is False or not pin.enabled():
                return None
        except Exception as e:
            report_internal_error(e, "checking whether a database call is traced")
            return None
        return pin

    def trace_fetch_methods(self):
        value = _get(self.config, "trace_fetch_methods")
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

    def _dd_start(self, pin, name, resource, span_type):
        """A started span for this call, or None if starting it failed."""
        settings = self._self_dbapi
        try:
            tracer = pin._tracer
            if tracer is None:
                tracer = _global_tracer
            span = tracer.trace(name, service=settings.service(pin), resource=resource, span_type=span_type)
        except Exception as e:
            report_internal_error(e, "starting a database span")
            return None
        try:
            meta = span._meta
            meta[COMPONENT] = settings.component
            meta[SPAN_KIND] = SpanKind.CLIENT
            meta[_db.SYSTEM] = settings.db_system
            if span_type is not None:
                span._metrics[SPAN_MEASURED_KEY] = 1
            if pin.tags:
                span.set_tags(pin.tags)
        except Exception as e:
            # The span is started (and active): it must still be finished by the caller.
            report_internal_error(e, "tagging a database span")
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
    :param cfg: the integration config, or the :class:`DBAPISettings` made from it.
    :param integration: the integration object, see :class:`DBAPISettings`.
    """

    def __init__(self, cursor, pin, cfg, integration=None):
        _proxy_init(self, cursor)
        self._self_pin = pin
        self._self_dbapi = cfg if isinstance(cfg, DBAPISettings) else DBAPISettings(cfg, integration)
        self._self_last_resource = None

    def _dd_trace_query(self, method, resource, extra, args, kwargs):
        pin = self._self_dbapi.tracing_pin(self._self_pin)
        if pin is None:
            return method(*args, **kwargs)
        span = self._dd_start(pin, self._self_dbapi.query_name, resource, SpanTypes.SQL)
        if span is None:
            return method(*args, **kwargs)
        if extra:
            span._meta.update(extra)
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
        return self._dd_trace_query(self.__wrapped__.execute, resource, None, (query,) + args, kwargs)

    def executemany(self, query, *args, **kwargs):
        """Run ``query`` once per parameter set, in one ``<prefix>.query`` span."""
        resource = _as_resource(query)
        self._self_last_resource = resource
        return self._dd_trace_query(
            self.__wrapped__.executemany, resource, {"sql.executemany": "true"}, (query,) + args, kwargs
        )

    def callproc(self, procname, *args, **kwargs):
        """Call a stored procedure, in a ``<prefix>.query`` span named after it."""
        resource = _as_resource(procname)
        self._self_last_resource = resource
        return self._dd_trace_query(self.__wrapped__.callproc, resource, None, (procname,) + args, kwargs)

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


class FetchTracedCursor(TracedCursor):
    """A :class:`TracedCursor` that also traces ``fetchone``, ``fetchmany`` and ``fetchall``
    (spans ``<prefix>.query.fetchone``..., resource the last query)."""

    def _dd_trace_fetch(self, name, method, args, kwargs):
        pin = self._dd_tracing()
        if pin is None:
            return method(*args, **kwargs)
        span_name = "%s.%s" % (self._self_dbapi.query_name, name)
        span = self._dd_start(pin, span_name, self._self_last_resource or span_name, SpanTypes.SQL)
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
        return self._dd_trace_fetch("fetchmany", self.__wrapped__.fetchmany, args, kwargs)

    def fetchall(self, *args, **kwargs):
        return self._dd_trace_fetch("fetchall", self.__wrapped__.fetchall, args, kwargs)


class TracedConnection(_PinnedProxy):
    """A DB-API connection whose cursors are traced and whose ``commit`` and
    ``rollback`` make spans.

    :param conn: the driver's connection.
    :param pin: the :class:`~ddtrace.trace.Pin` giving service, tags and tracer
        (default: a new one).
    :param cfg: the integration config (``config.<name>``) with the settings listed in
        this module's documentation, or a :class:`DBAPISettings`.
    :param cursor_cls: the cursor proxy class (default: the class attribute
        ``cursor_cls``, or ``fetch_cursor_cls`` when ``trace_fetch_methods`` is on).
    :param integration: the integration object, see :class:`DBAPISettings`.

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
        span = self._dd_start(pin, name, None, None)
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
