"""The psycopg integration with psycopg 3 (synchronous API), against the real server."""
import uuid

import pytest

psycopg = pytest.importorskip("psycopg")

from psycopg import sql  # noqa: E402
from psycopg.rows import dict_row  # noqa: E402
from psycopg.types import TypeInfo  # noqa: E402

from ddtrace.contrib import _registry  # noqa: E402
from ddtrace.contrib.dbapi import TracedConnection  # noqa: E402
from ddtrace.contrib.dbapi import TracedCursor  # noqa: E402
from ddtrace.contrib.psycopg import patch as psycopg_patch  # noqa: E402
from ddtrace.settings import config  # noqa: E402
from ddtrace.trace import Pin  # noqa: E402
from tests.contrib.psycopg.conftest import DSN  # noqa: E402

_ORIGINAL_CONNECT = psycopg.connect
_ORIGINAL_CLASS_CONNECT = vars(psycopg.Connection)["connect"]


@pytest.fixture
def conn(patched):
    c = psycopg.connect(DSN)
    yield c
    c.close()


def test_connect_returns_traced_connection(conn):
    assert isinstance(conn, TracedConnection)
    assert isinstance(conn, psycopg.Connection)
    cur = conn.cursor()
    assert isinstance(cur, TracedCursor)
    assert isinstance(cur, psycopg.Cursor)


def test_class_connect_and_subclasses_are_traced(spans, patched):
    class MyConnection(psycopg.Connection):
        pass

    for connect in (psycopg.Connection.connect, MyConnection.connect):
        c = connect(DSN)
        assert isinstance(c, TracedConnection)
        c.cursor().execute("select 1")
        c.close()
    assert isinstance(c.__wrapped__, MyConnection)
    assert len(spans()) == 2


def test_query_span(spans, table_name, conn):
    cur = conn.cursor()
    assert cur.execute("insert into {} values (%s, %s)".format(table_name), (1, "ann")) is cur
    (span,) = spans()
    assert span.name == "postgres.query"
    assert span.service == "postgres"
    assert span.resource == "insert into %s values (%%s, %%s)" % table_name
    assert span.span_type == "sql"
    assert span.error == 0
    assert span.get_tag("component") == "psycopg"
    assert span.get_tag("span.kind") == "client"
    assert span.get_tag("db.system") == "postgresql"
    assert span.get_tag("db.name") == "test"
    assert span.get_tag("db.user") == "postgres"
    assert span.get_tag("out.host") == "127.0.0.1"
    assert span.get_tag("server.address") == "127.0.0.1"
    assert span.get_metric("network.destination.port") == 5432
    assert span.get_metric("db.row_count") == 1
    assert "version" not in span._meta


def test_application_name(spans, patched, monkeypatch):
    # The name the application gave libpq: in the DSN, as a keyword, or PGAPPNAME.
    with psycopg.connect(DSN + " application_name=billing") as c:
        c.execute("select 1")
        c.commit()
    with psycopg.connect(DSN, application_name="kw") as c:
        c.execute("select 2")
    monkeypatch.setenv("PGAPPNAME", "from-env")
    with psycopg.connect(DSN) as c:
        c.cursor().execute("select 3")
    got = spans()
    assert [(s.name, s.get_tag("db.application")) for s in got] == [
        ("postgres.query", "billing"),
        ("psycopg.connection.commit", "billing"),
        ("postgres.query", "kw"),
        ("postgres.query", "from-env"),
    ]


def test_no_application_name_no_tag(spans, conn):
    # The PyPI tracer writes the text "None" here.
    conn.execute("select 1")
    (span,) = spans()
    assert "db.application" not in span.get_tags()


def test_executemany_and_fetch(spans, table_name, conn):
    cur = conn.cursor()
    cur.executemany("insert into {} values (%s, %s)".format(table_name), [(1, "a"), (2, "b"), (3, "c")])
    assert cur.execute("select name from {} where id > %s order by id".format(table_name), (1,)).fetchall() == [
        ("b",),
        ("c",),
    ]
    many, select = spans()
    assert many.get_tag("sql.executemany") == "true"
    assert many.get_metric("db.row_count") == 3
    assert select.get_metric("db.row_count") == 2


def test_connection_execute(spans, conn):
    # Only the query's span, as with the PyPI tracer (its psycopg.connection.execute
    # parent is for AsyncConnection.execute only).
    with spans.tracer.trace("work") as parent:
        cur = conn.execute("select %s::int", (41,))
    assert isinstance(cur, TracedCursor)
    assert cur.fetchone() == (41,)
    cur.execute("select 2")  # the returned cursor stays traced
    work, query, second = spans()
    assert query.name == "postgres.query"
    assert query.resource == "select %s::int"
    assert query.parent_id == parent.span_id
    assert query.get_tag("db.name") == "test"
    assert second.resource == "select 2"
    assert second.parent_id == 0


def test_connection_execute_error(spans, conn):
    with pytest.raises(psycopg.errors.UndefinedTable):
        conn.execute("select * from dd_psycopg_no_such_table")
    (query,) = spans()
    assert query.name == "postgres.query"
    assert query.error == 1
    assert query.get_tag("error.type") == "psycopg.errors.UndefinedTable"


def test_composed_sql_resource(spans, table_name, conn):
    query = sql.SQL("insert into {} values ({}, %s)").format(sql.Identifier(table_name), sql.Literal(7))
    conn.cursor().execute(query, ("g",))
    cur = conn.cursor()
    cur.execute(sql.SQL("select {} from {}").format(sql.Identifier("name"), sql.Identifier(table_name)))
    assert cur.fetchall() == [("g",)]
    insert, select = spans()
    assert insert.resource == 'insert into "%s" values (7, %%s)' % table_name
    assert select.resource == 'select "name" from "%s"' % table_name


def test_copy(spans, table_name, conn):
    cur = conn.cursor()
    with cur.copy("COPY {} (id, name) FROM STDIN".format(table_name)) as copy:
        copy.write_row((1, "ann"))
        copy.write_row((2, "bob"))
    query = sql.SQL("COPY (select name from {} order by id) TO STDOUT").format(sql.Identifier(table_name))
    with cur.copy(query) as copy:
        rows = [bytes(data) for data in copy]
    assert b"".join(rows) == b"ann\nbob\n"
    write, read = spans()
    assert write.name == read.name == "postgres.query"
    assert write.resource == "COPY %s (id, name) FROM STDIN" % table_name
    assert read.resource == 'COPY (select name from "%s" order by id) TO STDOUT' % table_name
    assert write.get_metric("db.row_count") == 2
    assert write.get_tag("db.name") == "test"


def test_copy_error_inside_block(spans, table_name, conn):
    cur = conn.cursor()
    # psycopg 3.0 turns the block's error into QueryCanceled; later versions re-raise it.
    with pytest.raises((ZeroDivisionError, psycopg.errors.QueryCanceled)) as exc_info:
        with cur.copy("COPY {} FROM STDIN".format(table_name)) as copy:
            copy.write_row((1, "a"))
            1 / 0
    (span,) = spans()
    assert span.error == 1
    exc_type = type(exc_info.value)
    assert span.get_tag("error.type") == "%s.%s" % (exc_type.__module__, exc_type.__name__)
    conn.rollback()


def test_copy_bad_statement(spans, conn):
    with pytest.raises(psycopg.errors.UndefinedTable):
        with conn.cursor().copy("COPY dd_psycopg_no_such_table FROM STDIN"):
            pass
    (span,) = spans()
    assert span.error == 1
    assert span.get_tag("error.type") == "psycopg.errors.UndefinedTable"


def test_server_side_cursor(spans, table_name, conn):
    conn.cursor().executemany("insert into {} values (%s, %s)".format(table_name), [(1, "a"), (2, "b")])
    with conn.cursor(name="dd_named_" + uuid.uuid4().hex[:8]) as named:
        assert isinstance(named, TracedCursor)
        assert isinstance(named, psycopg.ServerCursor)
        named.execute("select id from {} order by id".format(table_name))
        assert named.fetchall() == [(1,), (2,)]
    assert [s.resource for s in spans()] == [
        "insert into %s values (%%s, %%s)" % table_name,
        "select id from %s order by id" % table_name,
    ]


def test_context_managers(spans, patched, table_name):
    with psycopg.connect(DSN) as c:
        assert isinstance(c, TracedConnection)
        with c.cursor() as cur:
            assert isinstance(cur, TracedCursor)
            cur.execute("insert into {} values (1, 'kept')".format(table_name))
    assert c.closed and cur.closed
    with psycopg.connect(DSN) as other:
        assert other.execute("select name from {}".format(table_name)).fetchall() == [("kept",)]
    names = [s.name for s in spans()]
    assert names.count("postgres.query") == 2


def test_transaction_block(table_name, conn):
    with conn.transaction():
        conn.cursor().execute("insert into {} values (1, 'a')".format(table_name))
    try:
        with conn.transaction():
            conn.cursor().execute("insert into {} values (2, 'b')".format(table_name))
            raise RuntimeError("undo")
    except RuntimeError:
        pass
    assert conn.execute("select id from {}".format(table_name)).fetchall() == [(1,)]


def test_commit_and_rollback(spans, table_name, conn):
    cur = conn.cursor()
    cur.execute("insert into {} values (1, 'a')".format(table_name))
    conn.commit()
    cur.execute("insert into {} values (2, 'b')".format(table_name))
    conn.rollback()
    got = spans()
    assert [s.name for s in got] == [
        "postgres.query",
        "psycopg.connection.commit",
        "postgres.query",
        "psycopg.connection.rollback",
    ]
    assert got[1].resource == "psycopg.connection.commit"
    assert got[1].get_tag("db.user") == "postgres"
    assert got[1].span_type is None


def test_syntax_error(spans, conn):
    with pytest.raises(psycopg.errors.SyntaxError) as exc_info:
        conn.cursor().execute("selec 1")
    assert type(exc_info.value) is psycopg.errors.SyntaxError
    (span,) = spans()
    assert span.error == 1
    assert span.get_tag("error.type") == "psycopg.errors.SyntaxError"
    assert 'syntax error at or near "selec"' in span.get_tag("error.message")
    conn.rollback()


def test_row_factory(patched):
    c = psycopg.connect(DSN, row_factory=dict_row)
    assert c.execute("select 1 as n").fetchone() == {"n": 1}
    cur = c.cursor(row_factory=psycopg.rows.namedtuple_row)
    assert cur.execute("select 2 as n").fetchone().n == 2
    c.close()


def test_type_info_with_traced_connection(conn):
    info = TypeInfo.fetch(conn, "int4")
    assert info.oid == 23
    from psycopg.types.range import RangeInfo
    from psycopg.types.range import register_range

    rinfo = RangeInfo.fetch(conn, "int4range")
    register_range(rinfo, conn)
    assert sql.Literal("it's").as_string(conn) == "'it''s'"
    assert sql.Identifier("a b").as_string(conn) == '"a b"'


def test_pin_override_connection(spans, conn):
    Pin.override(conn, service="billing-db")
    conn.cursor().execute("select 1")
    conn.commit()
    assert {s.service for s in spans()} == {"billing-db"}


def test_pin_override_module(spans, patched):
    Pin.override(psycopg, service="module-db")
    c = psycopg.connect(DSN)
    c.cursor().execute("select 1")
    c.close()
    assert spans()[0].service == "module-db"


def test_service_from_config(spans, patched, monkeypatch):
    monkeypatch.setitem(config.psycopg, "service", "orders-db")
    c = psycopg.connect(DSN)
    c.execute("select 1")
    c.close()
    assert {s.service for s in spans()} == {"orders-db"}


def test_trace_fetch_methods(spans, patched, monkeypatch):
    monkeypatch.setitem(config.psycopg, "trace_fetch_methods", True)
    c = psycopg.connect(DSN)
    cur = c.cursor()
    cur.execute("select generate_series(1, 3)")
    assert cur.fetchone() == (1,)
    assert cur.fetchmany(1) == [(2,)]
    assert cur.fetchall() == [(3,)]
    c.close()
    assert [s.name for s in spans()] == [
        "postgres.query",
        "postgres.query.fetchone",
        "postgres.query.fetchmany",
        "postgres.query.fetchall",
    ]


def test_integration_disabled(spans, conn, monkeypatch):
    monkeypatch.setitem(config.psycopg, "enabled", False)
    assert conn.execute("select 1").fetchone() == (1,)
    conn.commit()
    assert spans() == []


def test_unpatch_restores_connect(spans, patched):
    traced = psycopg.connect(DSN)
    assert psycopg_patch.unpatch() is True
    assert psycopg.connect is _ORIGINAL_CONNECT
    assert vars(psycopg.Connection)["connect"] is _ORIGINAL_CLASS_CONNECT
    plain = psycopg.connect(DSN)
    assert type(plain) is psycopg.Connection
    plain.execute("select 'untraced'")
    plain.close()
    traced.cursor().execute("select 'still traced'")
    traced.close()
    assert [s.resource for s in spans()] == ["select 'still traced'"]


def test_patch_twice_patches_once(spans, patched):
    assert psycopg_patch.patch() is False
    c = psycopg.connect(DSN)
    assert type(c.__wrapped__) is psycopg.Connection
    c.cursor().execute("select 1")
    c.close()
    assert len(spans()) == 1


def test_get_version():
    assert psycopg_patch.get_version("psycopg") == psycopg.__version__
    assert _registry.get("psycopg").module("psycopg").versions == ">=3.0,<4"
