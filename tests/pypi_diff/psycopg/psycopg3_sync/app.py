"""psycopg 3 (sync) under ddtrace-run: Connection.execute, cursors, executemany, copy,
commit, rollback and a failing query."""
import psycopg

from ddtrace import tracer

with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test application_name=pg-app") as conn:
    with tracer.trace("batch", service="worker", resource="import users"):
        conn.execute("create temp table users (id int primary key, name text)")
        with conn.cursor() as cur:
            cur.executemany("insert into users values (%s, %s)", [(1, "ann"), (2, "bob")])
            with cur.copy("COPY users (id, name) FROM STDIN") as copy:
                copy.write_row((3, "cid"))
            conn.commit()
            cur.execute("select name from users order by id")
            print("RESULT", cur.fetchall())
        print("RESULT", conn.execute("select count(*) from users").fetchone())
    try:
        conn.cursor().execute("selec 1")
    except psycopg.errors.SyntaxError as e:
        print("RESULT error", type(e).__name__)
    conn.rollback()
    print("RESULT", conn.execute("select %s::int + 1", (41,)).fetchone())
