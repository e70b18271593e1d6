"""Snapshots of the psycopg integration's spans, sent through the test agent.

Temporary tables keep the SQL (the resources) the same on every run without clashing
with other runs on the same server."""
import asyncio
import io

import pytest

from tests.contrib.psycopg.conftest import DSN


@pytest.mark.snapshot
def test_psycopg2(patched):
    psycopg2 = pytest.importorskip("psycopg2")
    import psycopg2.errors
    import psycopg2.extras
    from psycopg2 import sql

    from ddtrace.trace import tracer

    conn = psycopg2.connect(DSN)
    with tracer.trace("batch", service="worker", resource="import users"):
        cur = conn.cursor()
        cur.execute("create temp table users (id int primary key, name text)")
        cur.executemany("insert into users values (%s, %s)", [(1, "ann"), (2, "bob")])
        cur.copy_from(io.StringIO("3\tcid\n"), "users")
        conn.commit()
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as dict_cur:
            query = sql.SQL("select {} from {} order by id").format(sql.Identifier("name"), sql.Identifier("users"))
            dict_cur.execute(query)
            assert [r["name"] for r in dict_cur.fetchall()] == ["ann", "bob", "cid"]
        cur.callproc("upper", ("x",))
    with pytest.raises(psycopg2.errors.SyntaxError):
        conn.cursor().execute("selec 1")
    conn.rollback()
    conn.close()


@pytest.mark.snapshot
def test_psycopg3(patched):
    psycopg = pytest.importorskip("psycopg")

    from ddtrace.trace import tracer

    with psycopg.connect(DSN) as conn:
        with tracer.trace("batch", service="worker", resource="import users"):
            conn.execute("create temp table users (id int primary key, name text)")
            with conn.cursor() as cur:
                cur.executemany("insert into users values (%s, %s)", [(1, "ann"), (2, "bob")])
                with cur.copy("COPY users (id, name) FROM STDIN") as copy:
                    copy.write_row((3, "cid"))
                conn.commit()
                cur.execute("select name from users order by id")
                assert cur.fetchall() == [("ann",), ("bob",), ("cid",)]
        with pytest.raises(psycopg.errors.SyntaxError):
            conn.cursor().execute("selec 1")
        conn.rollback()


@pytest.mark.snapshot
def test_psycopg3_async(patched):
    psycopg = pytest.importorskip("psycopg")

    from ddtrace.trace import tracer

    async def main():
        async with await psycopg.AsyncConnection.connect(DSN) as conn:
            with tracer.trace("job", service="worker", resource="report"):
                async with conn.cursor() as cur:
                    await cur.execute("select %s::int + 1", (41,))
                    assert await cur.fetchone() == (42,)
                await conn.execute("select 'via connection'")
                await conn.commit()

    asyncio.run(main())
