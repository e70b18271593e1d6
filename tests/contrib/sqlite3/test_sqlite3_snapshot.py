"""Snapshot of the sqlite3 integration's spans, sent through the test agent."""
import sqlite3

import pytest


@pytest.mark.snapshot
def test_sqlite3_queries(patched):
    from ddtrace.trace import tracer

    conn = sqlite3.connect(":memory:")
    with tracer.trace("batch", service="worker", resource="import users"):
        conn.execute("create table users (id integer primary key, name text)")
        conn.executemany("insert into users (name) values (?)", [("ann",), ("bob",)])
        conn.commit()
        cur = conn.cursor()
        cur.execute("select name from users order by id")
        assert cur.fetchall() == [("ann",), ("bob",)]
    with pytest.raises(sqlite3.OperationalError):
        conn.execute("select * from missing_table")
    conn.rollback()
    conn.close()
