"""The ``async`` variant of the DB-API proxies (:mod:`ddtrace.contrib.dbapi`).

For drivers whose cursors have coroutine methods (``await cur.execute(...)``) and whose
connections commit with ``await conn.commit()`` (psycopg 3's ``AsyncConnection``,
aiopg). Import them from :mod:`ddtrace.contrib.dbapi`.

- :class:`TracedAsyncCursor`: ``await execute / executemany / callproc`` in a
  ``<prefix>.query`` span, ``async with`` and ``async for`` returning / iterating the
  proxy;
- :class:`FetchTracedAsyncCursor`: also ``await fetchone / fetchmany / fetchall``;
- :class:`TracedAsyncConnection`: ``cursor()`` (a plain method, as in the drivers)
  returns a traced async cursor, ``await commit() / rollback()`` make spans,
  ``async with conn`` returns the proxy.

The spans, tags and settings are those of the synchronous layer.
"""
from __future__ import annotations

import sys

from ddtrace.contrib.dbapi import EXECUTEMANY
from ddtrace.contrib.dbapi import FetchTracedCursor
from ddtrace.contrib.dbapi import TracedConnection
from ddtrace.contrib.dbapi import TracedCursor
from ddtrace.contrib.dbapi import _as_resource
from ddtrace.contrib.dbapi import _fetch_size
from ddtrace.ext import SpanTypes


class _AsyncContextMixin:
    async def __aenter__(self):
        enter = getattr(type(self.__wrapped__), "__aenter__", None)
        if enter is None:
            raise TypeError(
                "%r object does not support the asynchronous context manager protocol" % type(self.__wrapped__).__name__
            )
        result = await enter(self.__wrapped__)
        return self if result is self.__wrapped__ else result

    async def __aexit__(self, exc_type, exc_val, exc_tb):
        exit_ = getattr(type(self.__wrapped__), "__aexit__", None)
        if exit_ is None:
            raise TypeError(
                "%r object does not support the asynchronous context manager protocol" % type(self.__wrapped__).__name__
            )
        return await exit_(self.__wrapped__, exc_type, exc_val, exc_tb)


class TracedAsyncCursor(_AsyncContextMixin, TracedCursor):
    """An async DB-API cursor whose ``execute``, ``executemany`` and ``callproc``
    coroutines are traced. Same parameters as :class:`~ddtrace.contrib.dbapi.TracedCursor`.

    Subclasses turn a query object into the resource with :meth:`_dd_resource`.
    """

    def _dd_resource(self, query):
        return _as_resource(query)

    async def _dd_trace_query_async(self, method, resource, executemany, args, kwargs):
        pin = self._dd_tracing()
        if pin is None:
            return await method(*args, **kwargs)
        span = self._dd_start(pin, self._self_dbapi.query_name, resource, SpanTypes.SQL, True)
        if span is None:
            return await method(*args, **kwargs)
        if executemany:
            span.set_tag_str(EXECUTEMANY, "true")
        try:
            result = await method(*args, **kwargs)
        except BaseException:
            self._dd_finish(span, sys.exc_info())
            raise
        self._dd_finish(span, None)
        return self if result is self.__wrapped__ else result

    async def execute(self, query, *args, **kwargs):
        """Run ``query``, in a ``<prefix>.query`` span."""
        resource = self._dd_resource(query)
        self._self_last_resource = resource
        return await self._dd_trace_query_async(self.__wrapped__.execute, resource, False, (query,) + args, kwargs)

    async def executemany(self, query, *args, **kwargs):
        """Run ``query`` once per parameter set, in one ``<prefix>.query`` span."""
        resource = self._dd_resource(query)
        self._self_last_resource = resource
        return await self._dd_trace_query_async(self.__wrapped__.executemany, resource, True, (query,) + args, kwargs)

    async def callproc(self, procname, *args, **kwargs):
        """Call a stored procedure, in a ``<prefix>.query`` span named after it."""
        resource = _as_resource(procname)
        self._self_last_resource = resource
        return await self._dd_trace_query_async(self.__wrapped__.callproc, resource, False, (procname,) + args, kwargs)

    def __aiter__(self):
        it = self.__wrapped__.__aiter__()
        return self if it is self.__wrapped__ else it

    async def __anext__(self):
        return await self.__wrapped__.__anext__()


class FetchTracedAsyncCursor(TracedAsyncCursor):
    """A :class:`TracedAsyncCursor` that also traces ``fetchone``, ``fetchmany`` and
    ``fetchall`` (spans ``<prefix>.query.fetchone``..., resource the last query)."""

    _dd_start_fetch = FetchTracedCursor._dd_start_fetch

    async def _dd_trace_fetch_async(self, name, method, args, kwargs, size=None):
        span = self._dd_start_fetch(name, size)
        if span is None:
            return await method(*args, **kwargs)
        try:
            result = await method(*args, **kwargs)
        except BaseException:
            self._dd_finish(span, sys.exc_info())
            raise
        self._dd_finish(span, None)
        return result

    async def fetchone(self, *args, **kwargs):
        return await self._dd_trace_fetch_async("fetchone", self.__wrapped__.fetchone, args, kwargs)

    async def fetchmany(self, *args, **kwargs):
        size = _fetch_size(self.__wrapped__, args, kwargs)
        return await self._dd_trace_fetch_async("fetchmany", self.__wrapped__.fetchmany, args, kwargs, size)

    async def fetchall(self, *args, **kwargs):
        return await self._dd_trace_fetch_async("fetchall", self.__wrapped__.fetchall, args, kwargs)


class TracedAsyncConnection(_AsyncContextMixin, TracedConnection):
    """An async DB-API connection whose cursors are traced and whose ``commit`` and
    ``rollback`` coroutines make spans. Same parameters as
    :class:`~ddtrace.contrib.dbapi.TracedConnection`."""

    cursor_cls = TracedAsyncCursor
    fetch_cursor_cls = FetchTracedAsyncCursor

    async def _dd_trace_call_async(self, name, method, args, kwargs):
        pin = self._dd_tracing()
        if pin is None:
            return await method(*args, **kwargs)
        span = self._dd_start(pin, name, None, None, False)
        if span is None:
            return await method(*args, **kwargs)
        try:
            result = await method(*args, **kwargs)
        except BaseException:
            try:
                span.set_exc_info(*sys.exc_info())
            finally:
                span.finish()
            raise
        span.finish()
        return result

    async def commit(self, *args, **kwargs):
        """Commit, in a ``<prefix>.connection.commit`` span."""
        return await self._dd_trace_call_async(self._self_dbapi.commit_name, self.__wrapped__.commit, args, kwargs)

    async def rollback(self, *args, **kwargs):
        """Roll back, in a ``<prefix>.connection.rollback`` span."""
        return await self._dd_trace_call_async(self._self_dbapi.rollback_name, self.__wrapped__.rollback, args, kwargs)
