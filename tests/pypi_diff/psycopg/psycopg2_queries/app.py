"""psycopg2 under ddtrace-run: queries, executemany, callproc, copy, composed SQL, commit,
rollback and a failing query, inside and outside a parent span."""
import io

import psycopg2
import psycopg2.extras
from psycopg2 import sql

from ddtrace import tracer

conn = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="test", application_name="pg-app")
with tracer.trace("batch", service="worker", resource="import users"):
    cur = conn.cursor()
    cur.execute("create temp table users (id int primary key, name text)")
    cur.executemany("insert into users values (%s, %s)", [(1, "ann"), (2, "bob")])
    cur.copy_from(io.StringIO("3\tcid\n"), "users")
    conn.commit()
    with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as dict_cur:
        dict_cur.execute(sql.SQL("select {} from {} order by id").format(sql.Identifier("name"), sql.Identifier("users")))
        print("RESULT", [r["name"] for r in dict_cur.fetchall()])
    cur.callproc("upper", ("x",))
    print("RESULT", cur.fetchone())
try:
    conn.cursor().execute("selec 1")
except psycopg2.errors.SyntaxError as e:
    print("RESULT error", type(e).__name__)
conn.rollback()
cur = conn.cursor()
cur.execute("select %s::int + 1", (41,))
print("RESULT", cur.fetchone())
conn.close()
