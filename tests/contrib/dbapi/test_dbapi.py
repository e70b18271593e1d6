"""The DB-API layer against a real driver: sqlite3, in-process, under a made-up
integration ``testdb`` (a registry row of its own)."""
import sqlite3

import pytest

from ddtrace.contrib.dbapi import DBAPISettings
from ddtrace.contrib.dbapi import FetchTracedCursor
from ddtrace.contrib.dbapi import TracedConnection
from ddtrace.contrib.dbapi import TracedCursor
from ddtrace.internal.suppress import suppressed
from ddtrace.trace import Pin
from tests.contrib.kit import integration_of

CFG = {
    "_dbapi_span_name_prefix": "testdb",
    "_db_system": "testsys",
}


@pytest.fixture
def conn(integration):
    raw = sqlite3.connect(":memory:")
    c = TracedConnection(raw, Pin(), dict(CFG), integration=integration)
    c.execute  # noqa: B018 - the plain sqlite3 shortcut still exists on the proxy
    raw.execute("create table users (id integer primary key, name text unique)")
    raw.executemany("insert into users (name) values (?)", [("ann",), ("bob",), ("cyd",)])
    raw.commit()
    yield c
    raw.close()


def only_span(spans):
    got = spans()
    assert len(got) == 1, got
    return got[0]


def test_execute_span(spans, conn):
    cur = conn.cursor()
    assert isinstance(cur, TracedCursor)
    result = cur.execute("select name from users where id = ?", (1,))
    assert cur.fetchone() == ("ann",)
    span = only_span(spans)
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


def test_chained_calls_stay_traced(spans, conn):
    rows = conn.cursor().execute("select id from users order by id").fetchall()
    assert rows == [(1,), (2,), (3,)]
    cur = conn.cursor()
    cur.execute("select 1").execute("select 2")
    assert [s.resource for s in spans()] == ["select id from users order by id", "select 1", "select 2"]


def test_executemany_and_rowcount(spans, conn):
    cur = conn.cursor()
    cur.executemany("insert into users (name) values (?)", [("dan",), ("eve",)])
    span = only_span(spans)
    assert span.resource == "insert into users (name) values (?)"
    assert span.get_tag("sql.executemany") == "true"
    assert span.get_metric("db.row_count") == 2


def test_update_rowcount(spans, conn):
    cur = conn.cursor()
    cur.execute("update users set name = name || '!' where id >= 2")
    assert cur.rowcount == 2
    assert only_span(spans).get_metric("db.row_count") == 2


def test_fetch_methods_pass_through(spans, conn):
    cur = conn.cursor()
    cur.execute("select id from users order by id")
    spans()
    assert cur.fetchone() == (1,)
    assert cur.fetchmany(1) == [(2,)]
    assert cur.fetchall() == [(3,)]
    assert spans() == []


def test_fetch_methods_traced_when_enabled(spans, integration):
    raw = sqlite3.connect(":memory:")
    conn = TracedConnection(raw, Pin(), dict(CFG, trace_fetch_methods=True), integration=integration)
    cur = conn.cursor()
    assert isinstance(cur, FetchTracedCursor)
    cur.execute("select 1 union all select 2 union all select 3")
    assert cur.fetchone() == (1,)
    assert cur.fetchmany(1) == [(2,)]
    assert cur.fetchall() == [(3,)]
    got = spans()
    assert [s.name for s in got] == [
        "testdb.query",
        "testdb.query.fetchone",
        "testdb.query.fetchmany",
        "testdb.query.fetchall",
    ]
    assert {s.resource for s in got} == {"select 1 union all select 2 union all select 3"}


def test_fetch_spans_are_tagged_like_the_query(spans, integration):
    cfg = dict(CFG, trace_fetch_methods=True)
    conn = TracedConnection(sqlite3.connect(":memory:"), Pin(), cfg, integration=integration)
    cur = conn.cursor()
    cur.execute("select 1 union all select 2 union all select 3 union all select 4")
    cur.fetchmany()
    cur.fetchmany(2)
    cur.arraysize = 5
    cur.fetchmany()
    cur.fetchone()
    query, *fetches = spans()
    assert [s.name for s in fetches] == ["testdb.query.fetchmany"] * 3 + ["testdb.query.fetchone"]
    # fetchmany's size: as asked for, else the cursor's arraysize
    assert [s.get_metric("db.fetch.size") for s in fetches] == [1, 2, 5, None]
    for span in fetches:
        assert span.span_type == "sql"
        assert (span.get_tag("component"), span.get_tag("span.kind"), span.get_tag("db.system")) == (
            "testdb",
            "client",
            "testsys",
        )
        assert span.get_metric("db.row_count") == -1
        # The query's span has the trace metrics; its fetches are not measured.
        assert span.get_metric("_dd.measured") is None
    assert query.get_metric("_dd.measured") == 1


def test_iteration(spans, conn):
    cur = conn.cursor()
    cur.execute("select id from users order by id")
    assert next(cur) == (1,)
    assert [row for row in cur] == [(2,), (3,)]
    assert list(conn.cursor().execute("select 7")) == [(7,)]


def test_commit_and_rollback_spans(spans, conn):
    cur = conn.cursor()
    cur.execute("insert into users (name) values ('fay')")
    conn.commit()
    cur.execute("insert into users (name) values ('gus')")
    conn.rollback()
    got = spans()
    assert [s.name for s in got] == [
        "testdb.query",
        "testdb.connection.commit",
        "testdb.query",
        "testdb.connection.rollback",
    ]
    commit = got[1]
    assert commit.resource == "testdb.connection.commit"
    assert commit.span_type is None
    assert commit.get_tag("component") == "testdb"
    assert commit.get_tag("db.system") == "testsys"
    assert commit.get_metric("_dd.measured") is None
    names = [r[0] for r in conn.cursor().execute("select name from users order by id")]
    assert names == ["ann", "bob", "cyd", "fay"]


def test_bad_sql_raises_driver_exception_unchanged(spans, conn):
    cur = conn.cursor()
    with pytest.raises(sqlite3.OperationalError) as info:
        cur.execute("selec nothing")
    assert type(info.value) is sqlite3.OperationalError
    assert "syntax error" in str(info.value)
    span = only_span(spans)
    assert span.error == 1
    assert span.resource == "selec nothing"
    assert span.get_tag("error.type") == "sqlite3.OperationalError"
    assert span.get_tag("error.message") == str(info.value)
    assert "OperationalError" in span.get_tag("error.stack")


def test_integrity_error(spans, conn):
    with pytest.raises(sqlite3.IntegrityError):
        conn.cursor().execute("insert into users (name) values ('ann')")
    span = only_span(spans)
    assert span.error == 1
    assert span.get_tag("error.type") == "sqlite3.IntegrityError"


def test_error_in_commit(spans, integration):
    class FailingConn:
        def commit(self):
            raise RuntimeError("disk full")

    conn = TracedConnection(FailingConn(), Pin(), dict(CFG), integration=integration)
    with pytest.raises(RuntimeError, match="disk full"):
        conn.commit()
    span = only_span(spans)
    assert span.name == "testdb.connection.commit"
    assert span.error == 1
    assert span.get_tag("error.message") == "disk full"


def test_connection_context_manager(spans, conn):
    with conn as c:
        assert c is conn
        c.cursor().execute("insert into users (name) values ('hal')")
    with pytest.raises(ZeroDivisionError):
        with conn as c:
            c.cursor().execute("insert into users (name) values ('ivy')")
            1 / 0
    names = [r[0] for r in conn.cursor().execute("select name from users where id > 3")]
    assert names == ["hal"]  # committed on exit, rolled back on error


def test_cursor_context_manager(spans, integration):
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

    conn = TracedConnection(Conn(), Pin(), dict(CFG), integration=integration)
    with conn.cursor() as cur:
        assert isinstance(cur, TracedCursor)
        cur.execute("select 1")
    assert cur.closed
    assert only_span(spans).get_metric("db.row_count") == 5


def test_cursor_without_context_manager_protocol(conn):
    # sqlite3's cursor has none: the proxy must not invent one.
    with pytest.raises(TypeError):
        with conn.cursor():
            pass


def test_callproc(spans, integration):
    class Cursor:
        rowcount = 1

        def callproc(self, name, params=()):
            return ("called", name, params)

    conn = TracedConnection(type("C", (), {"cursor": lambda self: Cursor()})(), Pin(), dict(CFG), None, integration)
    assert conn.cursor().callproc("refresh_stats", (1, 2)) == ("called", "refresh_stats", (1, 2))
    span = only_span(spans)
    assert span.name == "testdb.query"
    assert span.resource == "refresh_stats"


def test_call_happens_exactly_once(spans, integration):
    calls = []

    class Cursor:
        rowcount = 0

        def execute(self, *args, **kwargs):
            calls.append((args, kwargs))
            return "result"

    cur = TracedCursor(Cursor(), Pin(), dict(CFG), integration)
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


def test_pin_override_on_connection(spans, conn):
    Pin.override(conn, service="billing-db", tags={"team": "payments"})
    conn.cursor().execute("select 1")
    span = only_span(spans)
    assert span.service == "billing-db"
    assert span.get_tag("team") == "payments"
    assert Pin.get_from(conn).service == "billing-db"


def test_pin_override_on_cursor(spans, conn):
    cur = conn.cursor()
    Pin.override(cur, service="cursor-svc")
    cur.execute("select 1")
    conn.cursor().execute("select 2")
    assert [s.service for s in spans()] == ["cursor-svc", "testdb-svc"]


def test_service_from_integration_config(spans, integration, monkeypatch):
    monkeypatch.setitem(integration.config, "service", "configured")
    conn = TracedConnection(sqlite3.connect(":memory:"), Pin(), dict(CFG), integration=integration)
    conn.cursor().execute("select 1")
    assert only_span(spans).service == "configured"


def test_service_setting_changed_between_queries(spans, conn, integration, monkeypatch):
    # The service is resolved once per settings change: a change must show at once.
    conn.cursor().execute("select 1")
    monkeypatch.setitem(integration.config, "service", "renamed")
    conn.cursor().execute("select 2")
    monkeypatch.delitem(integration.config, "service")
    conn.cursor().execute("select 3")
    assert [s.service for s in spans()] == ["testdb-svc", "renamed", "testdb-svc"]


def test_parent_is_active_span(spans, conn):
    with spans.tracer.trace("request") as parent:
        conn.cursor().execute("select 1")
        conn.commit()
    got = spans()
    children = [s for s in got if s.name != "request"]
    assert [s.parent_id for s in children] == [parent.span_id, parent.span_id]
    assert {s.trace_id for s in got} == {parent.trace_id}


def test_disabled_tracer_calls_straight_through(spans, conn):
    spans.tracer.enabled = False
    assert conn.cursor().execute("select 3").fetchone() == (3,)
    conn.commit()
    spans.tracer.enabled = True
    assert spans() == []


def test_disabled_integration_config(spans, integration, monkeypatch):
    monkeypatch.setitem(integration.config, "enabled", False)
    conn = TracedConnection(sqlite3.connect(":memory:"), Pin(), dict(CFG), integration=integration)
    conn.cursor().execute("select 1")
    conn.commit()
    assert spans() == []


def test_suppressed_calls_not_traced(spans, conn):
    with suppressed():
        conn.cursor().execute("select 1")
    assert spans() == []


def test_tracer_failure_never_reaches_user(spans, conn, internal_errors):
    internal_errors.allowed = True

    class BrokenTracer:
        enabled = True

        def trace(self, *args, **kwargs):
            raise RuntimeError("tracer bug")

    Pin.override(conn, tracer=BrokenTracer())
    assert conn.cursor().execute("select 5").fetchone() == (5,)
    conn.commit()
    assert [what for what, _ in internal_errors.errors] == [
        "starting a testdb.query span",
        "starting a testdb.connection.commit span",
    ]


def test_bytes_and_object_queries(spans, integration):
    class Cursor:
        rowcount = 0

        def execute(self, q):
            return None

    class Composed:
        def __str__(self):
            return "SELECT composed"

    cur = TracedCursor(Cursor(), Pin(), dict(CFG), integration)
    cur.execute(b"select bytes")
    cur.execute(Composed())
    assert [s.resource for s in spans()] == ["select bytes", "SELECT composed"]


def test_custom_names_for_other_drivers(spans):
    # Another integration's row gives the service and the component.
    cfg = {"_dbapi_span_name_prefix": "postgres", "_db_system": "postgresql"}
    conn = TracedConnection(sqlite3.connect(":memory:"), Pin(), cfg, integration=integration_of("psycopg"))
    conn.cursor().execute("select 1")
    conn.commit()
    query, commit = spans()
    assert (query.name, query.service, query.get_tag("component"), query.get_tag("db.system")) == (
        "postgres.query",
        "postgres",
        "psycopg",
        "postgresql",
    )
    assert commit.name == "postgres.connection.commit"


def test_operation_name_override(spans, integration):
    cfg = dict(CFG, _dbapi_span_operation_name="custom.exec")
    conn = TracedConnection(sqlite3.connect(":memory:"), Pin(), cfg, integration=integration)
    conn.cursor().execute("select 1")
    assert only_span(spans).name == "custom.exec"


def test_settings_defaults_from_the_integration(integration):
    s = DBAPISettings(None, integration)
    assert (s.prefix, s.query_name, s.db_system, s.component, s.commit_name) == (
        "testdb",
        "testdb.query",
        "testdb",
        "testdb",
        "testdb.connection.commit",
    )
    assert DBAPISettings({"_component": "other"}, integration).component == "other"
    with pytest.raises(TypeError):
        DBAPISettings(None, None)


def test_global_trace_fetch_methods(spans, monkeypatch, integration):
    from ddtrace.settings import config

    monkeypatch.setitem(config.dbapi2, "trace_fetch_methods", True)
    conn = TracedConnection(sqlite3.connect(":memory:"), Pin(), dict(CFG), integration=integration)
    assert isinstance(conn.cursor(), FetchTracedCursor)


def test_wrapping_twice_is_a_no_op(spans, integration):
    raw = sqlite3.connect(":memory:")
    conn = TracedConnection(raw, Pin(), dict(CFG), integration=integration)
    cur = conn.cursor()
    assert conn._dd_wrap_cursor(cur) is cur
