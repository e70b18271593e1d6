"""sqlite3 under ddtrace-run: connection shortcuts, cursors, executemany, executescript,
commit, rollback and a failing query."""
import sqlite3

from ddtrace import tracer

conn = sqlite3.connect(":memory:")
with tracer.trace("batch", service="worker", resource="import users"):
    conn.execute("create table users (id integer primary key, name text)")
    conn.executemany("insert into users (name) values (?)", [("ann",), ("bob",)])
    conn.executescript("insert into users (name) values ('cid'); update users set name = upper(name) where id = 3;")
    conn.commit()
    cur = conn.cursor()
    cur.execute("select name from users order by id")
    print("RESULT", cur.fetchall())
try:
    conn.execute("select * from missing_table")
except sqlite3.OperationalError as e:
    print("RESULT error", e)
conn.execute("insert into users (name) values ('dee')")
conn.rollback()
print("RESULT", conn.execute("select count(*) from users").fetchone())
conn.close()
