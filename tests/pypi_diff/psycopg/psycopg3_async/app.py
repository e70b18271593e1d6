"""psycopg 3 (async) under ddtrace-run: AsyncConnection.execute, async cursors, commit,
rollback and a failing query."""
import asyncio

import psycopg

from ddtrace import tracer


DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test application_name=pg-app"


async def main():
    async with await psycopg.AsyncConnection.connect(DSN) as conn:
        with tracer.trace("job", service="worker", resource="report"):
            async with conn.cursor() as cur:
                await cur.execute("select %s::int + 1", (41,))
                print("RESULT", await cur.fetchone())
                await cur.executemany("select %s", [(1,), (2,)])
            cur = await conn.execute("select 'via connection'")
            print("RESULT", await cur.fetchone())
            await conn.commit()
        try:
            await conn.cursor().execute("selec 1")
        except psycopg.errors.SyntaxError as e:
            print("RESULT error", type(e).__name__)
        await conn.rollback()


asyncio.run(main())
