"""The DB-API layer's async proxies (what psycopg 3's AsyncConnection and aiopg use),
over sqlite3 given coroutine methods: the layer knows nothing of the driver but its
DB-API shape, and sqlite3 is the real driver that runs in-process."""
import asyncio
import sqlite3

import pytest

from ddtrace.contrib.dbapi import FetchTracedAsyncCursor
from ddtrace.contrib.dbapi import TracedAsyncConnection
from ddtrace.contrib.dbapi import TracedAsyncCursor
from ddtrace.trace import Pin

CFG = {"_dbapi_span_name_prefix": "testdb", "_db_system": "testsys"}


class AsyncCursor:
    """sqlite3's cursor with the coroutine methods of an async driver."""

    def __init__(self, cursor):
        self._cursor = cursor
        self.calls = 0

    @property
    def rowcount(self):
        return self._cursor.rowcount

    @property
    def arraysize(self):
        return self._cursor.arraysize

    async def execute(self, sql, params=()):
        self.calls += 1
        await asyncio.sleep(0)
        self._cursor.execute(sql, params)
        return self

    async def executemany(self, sql, seq):
        self._cursor.executemany(sql, seq)

    async def fetchone(self):
        return self._cursor.fetchone()

    async def fetchmany(self, size=None):
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self):
        return self._cursor.fetchall()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        self._cursor.close()

    def __aiter__(self):
        return self

    async def __anext__(self):
        row = self._cursor.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row


class AsyncConnection:
    def __init__(self):
        self._conn = sqlite3.connect(":memory:")
        self._conn.execute("create table users (id integer primary key, name text unique)")
        self._conn.executemany("insert into users (name) values (?)", [("ann",), ("bob",)])
        self._conn.commit()
        self.closed = False

    def cursor(self):
        return AsyncCursor(self._conn.cursor())

    async def commit(self):
        self._conn.commit()

    async def rollback(self):
        self._conn.rollback()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        self.closed = True


def traced(integration, **cfg):
    return TracedAsyncConnection(AsyncConnection(), Pin(), dict(CFG, **cfg), integration=integration)


def test_query_spans(spans, integration):
    async def work(conn):
        cur = conn.cursor()
        assert isinstance(cur, TracedAsyncCursor)
        assert await cur.execute("select name from users where id = ?", (1,)) is cur
        assert await cur.fetchone() == ("ann",)
        await cur.executemany("insert into users (name) values (?)", [("cyd",), ("dee",)])
        await conn.commit()
        await conn.rollback()

    asyncio.run(work(traced(integration)))
    query, many, commit, rollback = spans()
    assert (query.name, query.resource, query.service, query.span_type) == (
        "testdb.query",
        "select name from users where id = ?",
        "testdb-svc",
        "sql",
    )
    assert (query.get_tag("component"), query.get_tag("span.kind"), query.get_tag("db.system")) == (
        "testdb",
        "client",
        "testsys",
    )
    assert query.get_metric("_dd.measured") == 1
    assert query.get_metric("db.row_count") == -1
    assert many.get_tag("sql.executemany") == "true"
    assert many.get_metric("db.row_count") == 2
    assert (commit.name, commit.resource, commit.span_type) == (
        "testdb.connection.commit",
        "testdb.connection.commit",
        None,
    )
    assert commit.get_metric("_dd.measured") is None
    assert rollback.name == "testdb.connection.rollback"


def test_fetch_methods(spans, integration):
    async def work(conn):
        cur = conn.cursor()
        assert isinstance(cur, FetchTracedAsyncCursor)
        await cur.execute("select 1 union all select 2 union all select 3")
        return [await cur.fetchone(), await cur.fetchmany(1), await cur.fetchall()]

    assert asyncio.run(work(traced(integration, trace_fetch_methods=True))) == [(1,), [(2,)], [(3,)]]
    got = spans()
    assert [s.name for s in got] == [
        "testdb.query",
        "testdb.query.fetchone",
        "testdb.query.fetchmany",
        "testdb.query.fetchall",
    ]
    assert {s.resource for s in got} == {"select 1 union all select 2 union all select 3"}
    assert got[2].get_metric("db.fetch.size") == 1
    assert [s.get_metric("_dd.measured") for s in got] == [1, None, None, None]


def test_context_managers_and_iteration_keep_the_proxy(spans, integration):
    async def work(conn):
        async with conn as c:
            assert c is conn
            async with c.cursor() as cur:
                assert isinstance(cur, TracedAsyncCursor)
                await cur.execute("select id from users order by id")
                return [row async for row in cur]

    conn = traced(integration)
    assert asyncio.run(work(conn)) == [(1,), (2,)]
    assert conn.closed
    assert [s.resource for s in spans()] == ["select id from users order by id"]


def test_error_reaches_the_caller_unchanged(spans, integration):
    async def work(conn):
        with pytest.raises(sqlite3.OperationalError) as info:
            await conn.cursor().execute("selec nothing")
        return info.value

    error = asyncio.run(work(traced(integration)))
    assert type(error) is sqlite3.OperationalError
    (span,) = spans()
    assert span.error == 1
    assert span.get_tag("error.type") == "sqlite3.OperationalError"
    assert span.get_tag("error.message") == str(error)


def test_the_driver_is_called_once(spans, integration):
    async def work(conn):
        cur = conn.cursor()
        await cur.execute("select 1")
        return cur.__wrapped__.calls

    assert asyncio.run(work(traced(integration))) == 1


def test_disabled_integration_calls_straight_through(spans, integration, monkeypatch):
    monkeypatch.setitem(integration.config, "enabled", False)

    async def work(conn):
        cur = conn.cursor()
        await cur.execute("select 7")
        await conn.commit()
        return await cur.fetchone()

    assert asyncio.run(work(traced(integration))) == (7,)
    assert spans() == []


def test_spans_follow_tasks(spans, integration):
    async def one(n):
        with spans.tracer.trace("task-%d" % n) as parent:
            await traced(integration).cursor().execute("select ?", (n,))
        return parent

    async def work():
        return await asyncio.gather(one(1), one(2))

    parents = asyncio.run(work())
    got = spans()
    for parent in parents:
        (child,) = [s for s in got if s.parent_id == parent.span_id]
        assert child.name == "testdb.query"
        assert child.trace_id == parent.trace_id
