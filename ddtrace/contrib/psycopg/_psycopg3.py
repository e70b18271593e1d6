"""psycopg 3: ``Connection.connect`` / ``AsyncConnection.connect`` (and ``psycopg.connect``)
return connections wrapped in DB-API proxies, sync and async.

psycopg 3 is written in Python and checks connections with ``isinstance``, which our
proxies pass, so no driver function needs the unwrapped object.
"""
from __future__ import annotations

import sys

from ddtrace.contrib._integration import guard
from ddtrace.contrib.dbapi import FetchTracedAsyncCursor
from ddtrace.contrib.dbapi import FetchTracedCursor
from ddtrace.contrib.dbapi import TracedAsyncConnection
from ddtrace.contrib.dbapi import TracedAsyncCursor
from ddtrace.contrib.dbapi import TracedConnection
from ddtrace.contrib.dbapi import TracedCursor
from ddtrace.contrib.dbapi import connection_pin
from ddtrace.contrib.psycopg import _common
from ddtrace.ext import SpanTypes

COMMIT = "psycopg.connection.commit"
ROLLBACK = "psycopg.connection.rollback"
EXECUTE = "psycopg.connection.execute"


def traced_connection(conn, integration, pin=None):
    """``conn`` (a ``psycopg.Connection`` or ``psycopg.AsyncConnection``) wrapped so
    its queries are traced.

    :param pin: the pin to use (default: a copy of the ``psycopg`` module's, with the
        connection's host, port, database, user and application name as tags).
    """
    if isinstance(conn, TracedConnection):
        return conn
    psycopg = sys.modules.get("psycopg")
    if pin is None:
        tags = {}
        with guard("reading a psycopg connection's parameters"):
            info = conn.info
            tags = _common.connection_tags(info, info.get_parameters().get("application_name"))
        pin = connection_pin(psycopg, tags)
    settings = _common.dbapi_settings(integration, COMMIT, ROLLBACK)
    async_cls = getattr(psycopg, "AsyncConnection", None)
    if async_cls is not None and isinstance(conn, async_cls):
        return Psycopg3TracedAsyncConnection(conn, pin, settings)
    return Psycopg3TracedConnection(conn, pin, settings)


def _renderer(cursor):
    def render(query):
        # ``as_string`` wants a connection (psycopg 3.0 rejects a cursor).
        return query.as_string(cursor.__wrapped__.connection)

    return render


def _resource(cursor, query):
    return _common.sql_text(query, _renderer(cursor))


# -- sync


class Psycopg3TracedCursor(TracedCursor):
    """A traced ``psycopg.Cursor`` (or ``ServerCursor``, ``ClientCursor``...):
    ``execute``, ``executemany`` and ``copy`` make ``postgres.query`` spans."""

    def execute(self, query, *args, **kwargs):
        """Run ``query``, in a ``postgres.query`` span (``psycopg.sql`` objects are
        rendered to their SQL for the resource)."""
        resource = _resource(self, query)
        self._self_last_resource = resource
        return self._dd_trace_query(self.__wrapped__.execute, resource, False, (query,) + args, kwargs)

    def executemany(self, query, *args, **kwargs):
        """Run ``query`` once per parameter set, in one ``postgres.query`` span."""
        resource = _resource(self, query)
        self._self_last_resource = resource
        return self._dd_trace_query(self.__wrapped__.executemany, resource, True, (query,) + args, kwargs)

    def copy(self, statement, *args, **kwargs):
        """``with cur.copy(statement) as copy:``: a ``postgres.query`` span covering
        the block."""
        manager = self.__wrapped__.copy(statement, *args, **kwargs)
        resource = _resource(self, statement)
        self._self_last_resource = resource
        return _TracedCopy(self, manager, resource)


class _TracedCopy:
    """The context manager ``Cursor.copy()`` returns, inside a span from enter to exit."""

    __slots__ = ("_cursor", "_manager", "_resource", "_span")

    def __init__(self, cursor, manager, resource):
        self._cursor = cursor
        self._manager = manager
        self._resource = resource
        self._span = None

    def _start(self):
        cursor = self._cursor
        pin = cursor._dd_tracing()
        if pin is not None:
            self._span = cursor._dd_start(pin, cursor._self_dbapi.query_name, self._resource, SpanTypes.SQL, True)

    def _finish(self, exc_info):
        span, self._span = self._span, None
        if span is not None:
            self._cursor._dd_finish(span, exc_info)

    def __enter__(self):
        self._start()
        try:
            return self._manager.__enter__()
        except BaseException:
            self._finish(sys.exc_info())
            raise

    def __exit__(self, exc_type, exc_val, exc_tb):
        try:
            suppressed = self._manager.__exit__(exc_type, exc_val, exc_tb)
        except BaseException:
            self._finish(sys.exc_info())
            raise
        self._finish((exc_type, exc_val, exc_tb) if exc_type is not None and not suppressed else None)
        return suppressed

    async def __aenter__(self):
        self._start()
        try:
            return await self._manager.__aenter__()
        except BaseException:
            self._finish(sys.exc_info())
            raise

    async def __aexit__(self, exc_type, exc_val, exc_tb):
        try:
            suppressed = await self._manager.__aexit__(exc_type, exc_val, exc_tb)
        except BaseException:
            self._finish(sys.exc_info())
            raise
        self._finish((exc_type, exc_val, exc_tb) if exc_type is not None and not suppressed else None)
        return suppressed


class FetchTracedPsycopg3Cursor(Psycopg3TracedCursor, FetchTracedCursor):
    """A :class:`Psycopg3TracedCursor` that also traces the fetch methods."""


class Psycopg3TracedConnection(TracedConnection):
    """A traced ``psycopg.Connection``: its cursors are traced, ``commit`` /
    ``rollback`` make ``psycopg.connection.commit`` / ``rollback`` spans."""

    cursor_cls = Psycopg3TracedCursor
    fetch_cursor_cls = FetchTracedPsycopg3Cursor

    def execute(self, *args, **kwargs):
        """``Connection.execute``, run with this proxy as the connection so the
        cursor it opens is traced; returns that (traced) cursor."""
        # The driver's own method, bound to the proxy: its ``self.cursor()`` is ours.
        # No span of its own, as with the PyPI tracer (which has one for the async
        # connection's only): the query's span is all there is.
        return type(self.__wrapped__).execute(self, *args, **kwargs)


# -- async


class Psycopg3TracedAsyncCursor(TracedAsyncCursor):
    """A traced ``psycopg.AsyncCursor`` (or ``AsyncServerCursor``...): ``await
    execute / executemany`` and ``async with cur.copy(...)`` make ``postgres.query``
    spans."""

    def _dd_resource(self, query):
        return _resource(self, query)

    def copy(self, statement, *args, **kwargs):
        """``async with cur.copy(statement) as copy:``: a ``postgres.query`` span
        covering the block."""
        manager = self.__wrapped__.copy(statement, *args, **kwargs)
        resource = _resource(self, statement)
        self._self_last_resource = resource
        return _TracedCopy(self, manager, resource)


class FetchTracedPsycopg3AsyncCursor(Psycopg3TracedAsyncCursor, FetchTracedAsyncCursor):
    """A :class:`Psycopg3TracedAsyncCursor` that also traces the fetch methods."""


class Psycopg3TracedAsyncConnection(TracedAsyncConnection):
    """A traced ``psycopg.AsyncConnection``: the async counterpart of
    :class:`Psycopg3TracedConnection`."""

    cursor_cls = Psycopg3TracedAsyncCursor
    fetch_cursor_cls = FetchTracedPsycopg3AsyncCursor

    async def execute(self, *args, **kwargs):
        """``AsyncConnection.execute`` with this proxy as the connection; returns
        the traced cursor."""
        method = type(self.__wrapped__).execute.__get__(self)
        return await self._dd_trace_call_async(EXECUTE, method, args, kwargs)
