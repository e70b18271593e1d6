"""The psycopg integration with psycopg 3's AsyncConnection / AsyncCursor."""
import asyncio
import uuid

import pytest

psycopg = pytest.importorskip("psycopg")

from psycopg import sql  # noqa: E402
from psycopg.rows import dict_row  # noqa: E402

from ddtrace.contrib.dbapi import TracedAsyncConnection  # noqa: E402
from ddtrace.contrib.dbapi import TracedAsyncCursor  # noqa: E402
from ddtrace.contrib.dbapi import TracedConnection  # noqa: E402
from ddtrace.contrib.dbapi import TracedCursor  # noqa: E402
from ddtrace.contrib.psycopg import patch as psycopg_patch  # noqa: E402
from ddtrace.settings import config  # noqa: E402
from ddtrace.trace import Pin  # noqa: E402
from tests.contrib.psycopg.conftest import DSN  # noqa: E402

_ORIGINAL_ASYNC_CONNECT = vars(psycopg.AsyncConnection)["connect"]


def run(coro_fn):
    """Run ``coro_fn(conn)`` with a fresh traced AsyncConnection, closed afterwards."""

    async def main():
        conn = await psycopg.AsyncConnection.connect(DSN)
        try:
            return await coro_fn(conn)
        finally:
            await conn.close()

    return asyncio.run(main())


def test_connect_returns_traced_async_connection(patched):
    async def check(conn):
        assert isinstance(conn, TracedAsyncConnection)
        assert isinstance(conn, TracedConnection)
        assert isinstance(conn, psycopg.AsyncConnection)
        cur = conn.cursor()
        assert isinstance(cur, TracedAsyncCursor)
        assert isinstance(cur, TracedCursor)
        assert isinstance(cur, psycopg.AsyncCursor)

    run(check)


def test_query_span(spans, patched, table_name):
    async def work(conn):
        cur = conn.cursor()
        assert await cur.execute("insert into {} values (%s, %s)".format(table_name), (1, "ann")) is cur
        await cur.executemany("insert into {} values (%s, %s)".format(table_name), [(2, "b"), (3, "c")])
        await cur.execute("select name from {} order by id".format(table_name))
        return await cur.fetchall()

    assert run(work) == [("ann",), ("b",), ("c",)]
    insert, many, select = spans()
    assert insert.name == "postgres.query"
    assert insert.service == "postgres"
    assert insert.span_type == "sql"
    assert insert.resource == "insert into %s values (%%s, %%s)" % table_name
    assert insert.get_tag("component") == "psycopg"
    assert insert.get_tag("span.kind") == "client"
    assert insert.get_tag("db.system") == "postgresql"
    assert insert.get_tag("db.name") == "test"
    assert insert.get_tag("db.user") == "postgres"
    assert insert.get_tag("out.host") == "127.0.0.1"
    assert insert.get_metric("network.destination.port") == 5432
    assert insert.get_metric("db.row_count") == 1
    assert many.get_tag("sql.executemany") == "true"
    assert many.get_metric("db.row_count") == 2
    assert select.get_metric("db.row_count") == 3


def test_application_name(spans, patched):
    async def work():
        async with await psycopg.AsyncConnection.connect(DSN + " application_name=billing") as conn:
            await (await conn.execute("select 1")).fetchone()
            await conn.commit()

    asyncio.run(work())
    assert [(s.name, s.get_tag("db.application")) for s in spans()] == [
        ("psycopg.connection.execute", "billing"),
        ("postgres.query", "billing"),
        ("psycopg.connection.commit", "billing"),
    ]


def test_context_managers_and_async_iteration(patched, table_name):
    async def work():
        async with await psycopg.AsyncConnection.connect(DSN) as conn:
            assert isinstance(conn, TracedAsyncConnection)
            async with conn.cursor() as cur:
                assert isinstance(cur, TracedAsyncCursor)
                await cur.executemany("insert into {} values (%s, %s)".format(table_name), [(1, "a"), (2, "b")])
                await cur.execute("select id from {} order by id".format(table_name))
                rows = [row async for row in cur]
            return conn, cur, rows

    conn, cur, rows = asyncio.run(work())
    assert rows == [(1,), (2,)]
    assert conn.closed and cur.closed

    async def committed(conn):
        return await (await conn.execute("select count(*) from {}".format(table_name))).fetchone()

    assert run(committed) == (2,)


def test_connection_execute(spans, patched):
    async def work(conn):
        cur = await conn.execute("select %s::int", (41,))
        assert isinstance(cur, TracedAsyncCursor)
        return await cur.fetchone()

    assert run(work) == (41,)
    execute, query = spans()
    assert execute.name == "psycopg.connection.execute"
    assert execute.resource == "psycopg.connection.execute"
    assert query.name == "postgres.query"
    assert query.parent_id == execute.span_id


def test_commit_and_rollback(spans, patched, table_name):
    async def work(conn):
        cur = conn.cursor()
        await cur.execute("insert into {} values (1, 'a')".format(table_name))
        await conn.commit()
        await cur.execute("insert into {} values (2, 'b')".format(table_name))
        await conn.rollback()

    run(work)
    assert [s.name for s in spans()] == [
        "postgres.query",
        "psycopg.connection.commit",
        "postgres.query",
        "psycopg.connection.rollback",
    ]


def test_syntax_error(spans, patched):
    async def work(conn):
        with pytest.raises(psycopg.errors.SyntaxError) as exc_info:
            await conn.cursor().execute("selec 1")
        assert type(exc_info.value) is psycopg.errors.SyntaxError

    run(work)
    (span,) = spans()
    assert span.error == 1
    assert span.get_tag("error.type") == "psycopg.errors.SyntaxError"


def test_copy(spans, patched, table_name):
    async def work(conn):
        cur = conn.cursor()
        async with cur.copy("COPY {} (id, name) FROM STDIN".format(table_name)) as copy:
            await copy.write_row((1, "ann"))
            await copy.write_row((2, "bob"))
        await cur.execute("select count(*) from {}".format(table_name))
        return await cur.fetchone()

    assert run(work) == (2,)
    copy_span, count = spans()
    assert copy_span.name == "postgres.query"
    assert copy_span.resource == "COPY %s (id, name) FROM STDIN" % table_name
    assert copy_span.error == 0
    assert copy_span.get_metric("db.row_count") == 2


def test_server_side_cursor_and_composed(spans, patched, table_name):
    async def work(conn):
        await conn.cursor().execute("insert into {} values (1, 'a')".format(table_name))
        async with conn.cursor(name="dd_named_" + uuid.uuid4().hex[:8], row_factory=dict_row) as named:
            assert isinstance(named, psycopg.AsyncServerCursor)
            await named.execute(sql.SQL("select {} from {}").format(sql.Identifier("name"), sql.Identifier(table_name)))
            return await named.fetchall()

    assert run(work) == [{"name": "a"}]
    resources = [s.resource for s in spans()]
    assert resources[-1] == 'select "name" from "%s"' % table_name


def test_spans_follow_tasks(spans, patched):
    async def one(conn, n):
        with spans.tracer.trace("task-%d" % n) as parent:
            await conn.cursor().execute("select %s", (n,))
        return parent

    async def work(conn):
        # One connection serves one query at a time; two connections run concurrently.
        other = await psycopg.AsyncConnection.connect(DSN)
        try:
            return await asyncio.gather(one(conn, 1), one(other, 2))
        finally:
            await other.close()

    parents = run(work)
    got = spans()
    for parent in parents:
        (child,) = [s for s in got if s.parent_id == parent.span_id]
        assert child.name == "postgres.query"
        assert child.trace_id == parent.trace_id


def test_trace_fetch_methods(spans, patched, monkeypatch):
    monkeypatch.setitem(config.psycopg, "trace_fetch_methods", True)

    async def work(conn):
        cur = conn.cursor()
        await cur.execute("select generate_series(1, 3)")
        return [await cur.fetchone(), await cur.fetchmany(1), await cur.fetchall()]

    assert run(work) == [(1,), [(2,)], [(3,)]]
    assert [s.name for s in spans()] == [
        "postgres.query",
        "postgres.query.fetchone",
        "postgres.query.fetchmany",
        "postgres.query.fetchall",
    ]


def test_pin_override_connection(spans, patched):
    async def work(conn):
        Pin.override(conn, service="async-db")
        await conn.cursor().execute("select 1")
        await conn.commit()

    run(work)
    assert {s.service for s in spans()} == {"async-db"}


def test_integration_disabled(spans, patched, monkeypatch):
    monkeypatch.setitem(config.psycopg, "enabled", False)

    async def work(conn):
        cur = await conn.execute("select 1")
        await conn.commit()
        return await cur.fetchone()

    assert run(work) == (1,)
    assert spans() == []


def test_unpatch_restores_async_connect(spans, patched):
    assert vars(psycopg.AsyncConnection)["connect"] is not _ORIGINAL_ASYNC_CONNECT
    psycopg_patch.unpatch()
    assert vars(psycopg.AsyncConnection)["connect"] is _ORIGINAL_ASYNC_CONNECT

    async def work():
        conn = await psycopg.AsyncConnection.connect(DSN)
        try:
            assert type(conn) is psycopg.AsyncConnection
            await conn.execute("select 1")
        finally:
            await conn.close()

    asyncio.run(work())
    assert spans() == []
