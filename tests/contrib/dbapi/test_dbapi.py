"""The DB-API layer against a real driver: sqlite3, in-process."""
import sqlite3

import pytest

from ddtrace.contrib.dbapi import DBAPISettings
from ddtrace.contrib.dbapi import FetchTracedCursor
from ddtrace.contrib.dbapi import TracedConnection
from ddtrace.contrib.dbapi import TracedCursor
from ddtrace.internal.suppress import suppressed
from ddtrace.trace import Pin

CFG = {
    "integration_name": "testdb",
    "_dbapi_span_name_prefix": "testdb",
    "_db_system": "testsys",
    "_default_service": "testdb-svc",
}


@pytest.fixture
def conn(tracer):
    raw = sqlite3.connect(":memory:")
    c = TracedConnection(raw, Pin(tracer=tracer), dict(CFG))
    c.execute  # noqa: B018 - the plain sqlite3 shortcut still exists on the proxy
    raw.execute("create table users (id integer primary key, name text unique)")
    raw.executemany("insert into users (name) values (?)", [("ann",), ("bob",), ("cyd",)])
    raw.commit()
    yield c
    raw.close()


def only_span(tracer):
    spans = tracer.pop()
    assert len(spans) == 1, spans
    return spans[0]


def test_execute_span(tracer, conn):
    cur = conn.cursor()
    assert isinstance(cur, TracedCursor)
    result = cur.execute("select name from users where id = ?", (1,))
    assert cur.fetchone() == ("ann",)
    span = only_span(tracer)
    assert span.name == "testdb.query"
    assert span.resource == "select name from users where id = ?"
    assert span.span_type == "sql"
    assert span.service == "testdb-svc"
    assert span.error == 0
    assert span.get_tag("component") == "testdb"
    assert span.get_tag("span.kind") == "client"
    assert span.get_tag("db.system") == "testsys"
    assert span.get_metric("db.row_count") == -1  # sqlite3 reports -1 for SELECT
    assert span.get_metric("_dd.measured") == 1
    assert span.duration_ns is not None
    # sqlite3 returns the cursor: the caller keeps the traced proxy.
    assert result is cur


def test_chained_calls_stay_traced(tracer, conn):
    rows = conn.cursor().execute("select id from users order by id").fetchall()
    assert rows == [(1,), (2,), (3,)]
    cur = conn.cursor()
    cur.execute("select 1").execute("select 2")
    assert [s.resource for s in tracer.pop()] == ["select id from users order by id", "select 1", "select 2"]


def test_executemany_and_rowcount(tracer, conn):
    cur = conn.cursor()
    cur.executemany("insert into users (name) values (?)", [("dan",), ("eve",)])
    span = only_span(tracer)
    assert span.resource == "insert into users (name) values (?)"
    assert span.get_tag("sql.executemany") == "true"
    assert span.get_metric("db.row_count") == 2


def test_update_rowcount(tracer, conn):
    cur = conn.cursor()
    cur.execute("update users set name = name || '!' where id >= 2")
    assert cur.rowcount == 2
    assert only_span(tracer).get_metric("db.row_count") == 2


def test_fetch_methods_pass_through(tracer, conn):
    cur = conn.cursor()
    cur.execute("select id from users order by id")
    tracer.pop()
    assert cur.fetchone() == (1,)
    assert cur.fetchmany(1) == [(2,)]
    assert cur.fetchall() == [(3,)]
    assert tracer.pop() == []


def test_fetch_methods_traced_when_enabled(tracer):
    raw = sqlite3.connect(":memory:")
    conn = TracedConnection(raw, Pin(tracer=tracer), dict(CFG, trace_fetch_methods=True))
    cur = conn.cursor()
    assert isinstance(cur, FetchTracedCursor)
    cur.execute("select 1 union all select 2 union all select 3")
    assert cur.fetchone() == (1,)
    assert cur.fetchmany(1) == [(2,)]
    assert cur.fetchall() == [(3,)]
    spans = tracer.pop()
    assert [s.name for s in spans] == [
        "testdb.query",
        "testdb.query.fetchone",
        "testdb.query.fetchmany",
        "testdb.query.fetchall",
    ]
    assert {s.resource for s in spans} == {"select 1 union all select 2 union all select 3"}


def test_iteration(tracer, conn):
    cur = conn.cursor()
    cur.execute("select id from users order by id")
    assert next(cur) == (1,)
    assert [row for row in cur] == [(2,), (3,)]
    assert list(conn.cursor().execute("select 7")) == [(7,)]


def test_commit_and_rollback_spans(tracer, conn):
    cur = conn.cursor()
    cur.execute("insert into users (name) values ('fay')")
    conn.commit()
    cur.execute("insert into users (name) values ('gus')")
    conn.rollback()
    spans = tracer.pop()
    assert [s.name for s in spans] == ["testdb.query", "testdb.connection.commit", "testdb.query", "testdb.connection.rollback"]
    commit = spans[1]
    assert commit.resource == "testdb.connection.commit"
    assert commit.span_type is None
    assert commit.get_tag("component") == "testdb"
    assert commit.get_tag("db.system") == "testsys"
    assert commit.get_metric("_dd.measured") is None
    names = [r[0] for r in conn.cursor().execute("select name from users order by id")]
    assert names == ["ann", "bob", "cyd", "fay"]


def test_bad_sql_raises_driver_exception_unchanged(tracer, conn):
    cur = conn.cursor()
    with pytest.raises(sqlite3.OperationalError) as info:
        cur.execute("selec nothing")
    assert type(info.value) is sqlite3.OperationalError
    assert "syntax error" in str(info.value)
    span = only_span(tracer)
    assert span.error == 1
    assert span.resource == "selec nothing"
    assert span.get_tag("error.type") == "sqlite3.OperationalError"
    assert span.get_tag("error.message") == str(info.value)
    assert "OperationalError" in span.get_tag("error.stack")


def test_integrity_error(tracer, conn):
    with pytest.raises(sqlite3.IntegrityError):
        conn.cursor().execute("insert into users (name) values ('ann')")
    span = only_span(tracer)
    assert span.error == 1
    assert span.get_tag("error.type") == "sqlite3.IntegrityError"


def test_error_in_commit(tracer):
    class FailingConn:
        def commit(self):
            raise RuntimeError("disk full")

    conn = TracedConnection(FailingConn(), Pin(tracer=tracer), dict(CFG))
    with pytest.raises(RuntimeError, match="disk full"):
        conn.commit()
    span = only_span(tracer)
    assert span.name == "testdb.connection.commit"
    assert span.error == 1
    assert span.get_tag("error.message") == "disk full"


def test_connection_context_manager(tracer, conn):
    with conn as c:
        assert c is conn
        c.cursor().execute("insert into users (name) values ('hal')")
    with pytest.raises(ZeroDivisionError):
        with conn as c:
            c.cursor().execute("insert into users (name) values ('ivy')")
            1 / 0
    names = [r[0] for r in conn.cursor().execute("select name from users where id > 3")]
    assert names == ["hal"]  # committed on exit, rolled back on error


def test_cursor_context_manager(tracer):
    class Cursor:
        rowcount = 5
        closed = False

        def execute(self, sql):
            return None

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.closed = True

    class Conn:
        def cursor(self):
            return Cursor()

    conn = TracedConnection(Conn(), Pin(tracer=tracer), dict(CFG))
    with conn.cursor() as cur:
        assert isinstance(cur, TracedCursor)
        cur.execute("select 1")
    assert cur.closed
    assert only_span(tracer).get_metric("db.row_count") == 5


def test_cursor_without_context_manager_protocol(conn):
    # sqlite3's cursor has none: the proxy must not invent one.
    with pytest.raises(TypeError):
        with conn.cursor():
            pass


def test_callproc(tracer):
    class Cursor:
        rowcount = 1

        def callproc(self, name, params=()):
            return ("called", name, params)

    conn = TracedConnection(type("C", (), {"cursor": lambda self: Cursor()})(), Pin(tracer=tracer), dict(CFG))
    assert conn.cursor().callproc("refresh_stats", (1, 2)) == ("called", "refresh_stats", (1, 2))
    span = only_span(tracer)
    assert span.name == "testdb.query"
    assert span.resource == "refresh_stats"


def test_call_happens_exactly_once(tracer):
    calls = []

    class Cursor:
        rowcount = 0

        def execute(self, *args, **kwargs):
            calls.append((args, kwargs))
            return "result"

    cur = TracedCursor(Cursor(), Pin(tracer=tracer), dict(CFG))
    assert cur.execute("select ?", (1,), extra=True) == "result"
    assert calls == [(("select ?", (1,)), {"extra": True})]


def test_attributes_pass_through(conn):
    cur = conn.cursor()
    cur.execute("insert into users (name) values ('joe')")
    assert cur.lastrowid == 4
    cur.execute("select id, name from users")
    assert [d[0] for d in cur.description] == ["id", "name"]
    conn.row_factory = sqlite3.Row
    assert conn.__wrapped__.row_factory is sqlite3.Row
    row = conn.cursor().execute("select name from users where id = 1").fetchone()
    assert row["name"] == "ann"
    assert isinstance(conn, sqlite3.Connection)
    assert isinstance(cur, sqlite3.Cursor)
    assert conn.in_transaction in (True, False)


def test_pin_override_on_connection(tracer, conn):
    Pin.override(conn, service="billing-db", tags={"team": "payments"})
    conn.cursor().execute("select 1")
    span = only_span(tracer)
    assert span.service == "billing-db"
    assert span.get_tag("team") == "payments"
    assert Pin.get_from(conn).service == "billing-db"


def test_pin_override_on_cursor(tracer, conn):
    cur = conn.cursor()
    Pin.override(cur, service="cursor-svc")
    cur.execute("select 1")
    conn.cursor().execute("select 2")
    assert [s.service for s in tracer.pop()] == ["cursor-svc", "testdb-svc"]


def test_service_from_integration_config(tracer):
    from ddtrace.settings import config

    cfg = config._add("dbapi_test_svc", dict(CFG))
    cfg.service = "configured"
    try:
        conn = TracedConnection(sqlite3.connect(":memory:"), Pin(tracer=tracer), cfg)
        conn.cursor().execute("select 1")
        assert only_span(tracer).service == "configured"
    finally:
        cfg.service = None


def test_parent_is_active_span(tracer, conn):
    with tracer.trace("request") as parent:
        conn.cursor().execute("select 1")
        conn.commit()
    spans = tracer.pop()
    children = [s for s in spans if s.name != "request"]
    assert [s.parent_id for s in children] == [parent.span_id, parent.span_id]
    assert {s.trace_id for s in spans} == {parent.trace_id}


def test_disabled_tracer_calls_straight_through(tracer, conn):
    tracer.enabled = False
    assert conn.cursor().execute("select 3").fetchone() == (3,)
    conn.commit()
    tracer.enabled = True
    assert tracer.pop() == []


def test_disabled_integration_config(tracer):
    conn = TracedConnection(sqlite3.connect(":memory:"), Pin(tracer=tracer), dict(CFG, enabled=False))
    conn.cursor().execute("select 1")
    conn.commit()
    assert tracer.pop() == []


def test_suppressed_calls_not_traced(tracer, conn):
    with suppressed():
        conn.cursor().execute("select 1")
    assert tracer.pop() == []


def test_tracer_failure_never_reaches_user(tracer, conn, internal_errors):
    internal_errors.allowed = True

    class BrokenTracer:
        enabled = True

        def trace(self, *args, **kwargs):
            raise RuntimeError("tracer bug")

    Pin.override(conn, tracer=BrokenTracer())
    assert conn.cursor().execute("select 5").fetchone() == (5,)
    conn.commit()
    assert [what for what, _ in internal_errors.errors] == ["starting a database span", "starting a database span"]


def test_bytes_and_object_queries(tracer):
    class Cursor:
        rowcount = 0

        def execute(self, q):
            return None

    class Composed:
        def __str__(self):
            return "SELECT composed"

    cur = TracedCursor(Cursor(), Pin(tracer=tracer), dict(CFG))
    cur.execute(b"select bytes")
    cur.execute(Composed())
    assert [s.resource for s in tracer.pop()] == ["select bytes", "SELECT composed"]


def test_custom_names_for_other_drivers(tracer):
    cfg = {
        "integration_name": "psycopg",
        "_dbapi_span_name_prefix": "postgres",
        "_db_system": "postgresql",
        "_default_service": "postgres",
    }
    conn = TracedConnection(sqlite3.connect(":memory:"), Pin(tracer=tracer), cfg)
    conn.cursor().execute("select 1")
    conn.commit()
    query, commit = tracer.pop()
    assert (query.name, query.service, query.get_tag("component"), query.get_tag("db.system")) == (
        "postgres.query",
        "postgres",
        "psycopg",
        "postgresql",
    )
    assert commit.name == "postgres.connection.commit"


def test_operation_name_override(tracer):
    cfg = dict(CFG, _dbapi_span_operation_name="custom.exec")
    conn = TracedConnection(sqlite3.connect(":memory:"), Pin(tracer=tracer), cfg)
    conn.cursor().execute("select 1")
    assert only_span(tracer).name == "custom.exec"


def test_settings_defaults_from_integration_name():
    s = DBAPISettings({"integration_name": "mydb"})
    assert (s.prefix, s.query_name, s.db_system, s.component, s.default_service) == (
        "mydb",
        "mydb.query",
        "mydb",
        "mydb",
        "mydb",
    )
    s = DBAPISettings(None)
    assert s.query_name == "dbapi2.query"


def test_global_trace_fetch_methods(tracer, monkeypatch):
    from ddtrace.settings import config

    monkeypatch.setitem(config.dbapi2, "trace_fetch_methods", True)
    conn = TracedConnection(sqlite3.connect(":memory:"), Pin(tracer=tracer), dict(CFG))
    assert isinstance(conn.cursor(), FetchTracedCursor)


def test_wrapping_twice_is_a_no_op(tracer):
    raw = sqlite3.connect(":memory:")
    conn = TracedConnection(raw, Pin(tracer=tracer), dict(CFG))
    cur = conn.cursor()
    assert conn._dd_wrap_cursor(cur) is cur
