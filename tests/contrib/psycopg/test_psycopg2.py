"""The psycopg integration with psycopg2, against the real PostgreSQL server."""
import io
import uuid

import pytest

psycopg2 = pytest.importorskip("psycopg2")

import psycopg2.errors  # noqa: E402
import psycopg2.extensions  # noqa: E402
import psycopg2.extras  # noqa: E402
import psycopg2.pool  # noqa: E402
from psycopg2 import sql  # noqa: E402

from ddtrace.contrib import _registry  # noqa: E402
from ddtrace.contrib.dbapi import TracedConnection  # noqa: E402
from ddtrace.contrib.dbapi import TracedCursor  # noqa: E402
from ddtrace.contrib.psycopg import patch as psycopg_patch  # noqa: E402
from ddtrace.settings import config  # noqa: E402
from ddtrace.trace import Pin  # noqa: E402
from tests.contrib.psycopg.conftest import PG  # noqa: E402
from tests.contrib.psycopg.conftest import unique_name  # noqa: E402

_ORIGINAL_CONNECT = psycopg2.connect


@pytest.fixture
def conn(patched):
    c = psycopg2.connect(**PG)
    yield c
    c.close()


def test_connect_returns_traced_connection(conn):
    assert isinstance(conn, TracedConnection)
    assert isinstance(conn, psycopg2.extensions.connection)
    cur = conn.cursor()
    assert isinstance(cur, TracedCursor)
    assert isinstance(cur, psycopg2.extensions.cursor)


def test_query_span(spans, table_name, conn):
    cur = conn.cursor()
    cur.execute("insert into {} values (%s, %s)".format(table_name), (1, "ann"))
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
    assert span.get_metric("_dd.measured") == 1
    assert "version" not in span._meta


def test_application_name(spans, patched, monkeypatch):
    # The name the application gave libpq: in the DSN, as a keyword, or PGAPPNAME.
    c = psycopg2.connect("host=127.0.0.1 port=5432 user=postgres dbname=test application_name=billing")
    c.cursor().execute("select 1")
    c.commit()
    c.cursor().execute("set application_name = 'renamed'")  # the connection's own tags stay
    c.close()
    c = psycopg2.connect(application_name="kw", **PG)
    c.cursor().execute("select 2")
    c.close()
    monkeypatch.setenv("PGAPPNAME", "from-env")
    c = psycopg2.connect(**PG)
    c.cursor().execute("select 3")
    c.close()
    got = spans()
    assert [(s.name, s.get_tag("db.application")) for s in got] == [
        ("postgres.query", "billing"),
        ("postgres.connection.commit", "billing"),
        ("postgres.query", "billing"),
        ("postgres.query", "kw"),
        ("postgres.query", "from-env"),
    ]


def test_no_application_name_no_tag(spans, conn, monkeypatch):
    # The PyPI tracer writes the text "None" here.
    conn.cursor().execute("select 1")
    (span,) = spans()
    assert "db.application" not in span.get_tags()


def test_select_row_count_and_results(spans, table_name, conn):
    cur = conn.cursor()
    cur.executemany("insert into {} values (%s, %s)".format(table_name), [(1, "a"), (2, "b"), (3, "c")])
    cur.execute("select name from {} where id > %s order by id".format(table_name), (1,))
    assert cur.fetchall() == [("b",), ("c",)]
    many, select = spans()
    assert many.get_tag("sql.executemany") == "true"
    assert many.get_metric("db.row_count") == 3
    assert "sql.executemany" not in select._meta
    assert select.get_metric("db.row_count") == 2


def test_keyword_arguments(spans, conn):
    cur = conn.cursor()
    cur.execute(query="select %(x)s", vars={"x": 5})
    assert cur.fetchone() == (5,)
    cur.executemany(query="select %s", vars_list=[(1,), (2,)])
    assert [s.resource for s in spans()] == ["select %(x)s", "select %s"]


def test_composed_sql_resource(spans, table_name, conn):
    cur = conn.cursor()
    query = sql.SQL("insert into {} ({}) values ({})").format(
        sql.Identifier(table_name), sql.SQL(", ").join([sql.Identifier("id"), sql.Identifier("name")]),
        sql.SQL(", ").join([sql.Literal(7), sql.Placeholder()]),
    )
    cur.execute(query, ("g",))
    cur.execute(sql.SQL("select {} from {}").format(sql.Identifier("name"), sql.Identifier(table_name)))
    assert cur.fetchall() == [("g",)]
    insert, select = spans()
    assert insert.resource == 'insert into "%s" ("id", "name") values (7, %%s)' % table_name
    assert select.resource == 'select "name" from "%s"' % table_name


def test_composed_that_cannot_render(spans, conn):
    # The driver raises for this query; the tracer falls back quietly.
    bad = sql.SQL("select {}").format(sql.Literal(object()))
    with pytest.raises(psycopg2.ProgrammingError, match="can't adapt"):
        conn.cursor().execute(bad)
    (span,) = spans()
    assert span.error == 1
    assert span.resource.startswith("Composed(")


def test_bytes_query(spans, conn):
    cur = conn.cursor()
    cur.execute(b"select 'bytes'")
    assert cur.fetchone() == ("bytes",)
    assert spans()[0].resource == "select 'bytes'"


def test_callproc(spans, conn):
    cur = conn.cursor()
    cur.callproc("upper", ("abc",))
    assert cur.fetchone() == ("ABC",)
    (span,) = spans()
    assert span.name == "postgres.query"
    assert span.resource == "upper"
    assert span.get_metric("db.row_count") == 1


def test_copy_methods(spans, table_name, conn):
    cur = conn.cursor()
    cur.copy_from(io.StringIO("1\tann\n2\tbob\n"), table_name)
    cur.copy_from(io.StringIO("3\n"), table_name, columns=("id",))
    out = io.StringIO()
    cur.copy_to(out, table_name, columns=["id", "name"])
    assert out.getvalue() == "1\tann\n2\tbob\n3\t\\N\n"
    out = io.StringIO()
    cur.copy_expert("COPY (select name from %s where id = 2) TO STDOUT" % table_name, out)
    assert out.getvalue() == "bob\n"
    cur.copy_expert(sql="COPY %s FROM STDIN" % table_name, file=io.StringIO("4\tdee\n"))
    got = spans()
    assert [(s.name, s.resource) for s in got] == [
        ("postgres.query", "COPY %s FROM STDIN" % table_name),
        ("postgres.query", "COPY %s (id) FROM STDIN" % table_name),
        ("postgres.query", "COPY %s (id, name) TO STDOUT" % table_name),
        ("postgres.query", "COPY (select name from %s where id = 2) TO STDOUT" % table_name),
        ("postgres.query", "COPY %s FROM STDIN" % table_name),
    ]
    assert [s.get_metric("db.row_count") for s in got] == [2, 1, 3, 1, 1]
    assert {s.get_tag("db.name") for s in got} == {"test"}


def test_copy_error(spans, conn):
    with pytest.raises(psycopg2.errors.UndefinedTable):
        conn.cursor().copy_from(io.StringIO("1\n"), "dd_psycopg_missing_table")
    (span,) = spans()
    assert span.error == 1
    assert span.get_tag("error.type") == "psycopg2.errors.UndefinedTable"


def test_named_cursor(spans, table_name, conn):
    conn.cursor().executemany("insert into {} values (%s, %s)".format(table_name), [(1, "a"), (2, "b")])
    with conn.cursor("dd_named_" + uuid.uuid4().hex[:8]) as named:
        assert isinstance(named, TracedCursor)
        named.itersize = 1
        named.execute("select id from {} order by id".format(table_name))
        assert [row for row in named] == [(1,), (2,)]
    got = spans()
    assert [s.resource for s in got] == [
        "insert into %s values (%%s, %%s)" % table_name,
        "select id from %s order by id" % table_name,
    ]


def test_context_managers(spans, table_name, conn):
    with conn as c:
        assert c is conn
        with c.cursor() as cur:
            assert isinstance(cur, TracedCursor)
            cur.execute("insert into {} values (1, 'kept')".format(table_name))
    assert cur.closed
    # ``with conn`` committed: another connection sees the row.
    other = psycopg2.extensions.connection(" ".join("%s=%s" % kv for kv in PG.items()))
    with other.cursor() as oc:
        oc.execute("select name from {}".format(table_name))
        assert oc.fetchall() == [("kept",)]
    other.close()
    assert [s.name for s in spans()] == ["postgres.query"]


def test_commit_and_rollback(spans, table_name, conn):
    cur = conn.cursor()
    cur.execute("insert into {} values (1, 'a')".format(table_name))
    conn.commit()
    cur.execute("insert into {} values (2, 'b')".format(table_name))
    conn.rollback()
    got = spans()
    assert [s.name for s in got] == [
        "postgres.query",
        "postgres.connection.commit",
        "postgres.query",
        "postgres.connection.rollback",
    ]
    commit = got[1]
    assert commit.resource == "postgres.connection.commit"
    assert commit.service == "postgres"
    assert commit.span_type is None
    assert commit.get_tag("db.name") == "test"
    assert commit.get_tag("component") == "psycopg"
    cur.execute("select count(*) from {}".format(table_name))
    assert cur.fetchone() == (1,)


def test_syntax_error(spans, conn):
    cur = conn.cursor()
    with pytest.raises(psycopg2.errors.SyntaxError) as exc_info:
        cur.execute("selec 1")
    assert type(exc_info.value) is psycopg2.errors.SyntaxError
    assert exc_info.value.pgcode == "42601"
    (span,) = spans()
    assert span.error == 1
    assert span.resource == "selec 1"
    assert span.get_tag("error.type") == "psycopg2.errors.SyntaxError"
    assert 'syntax error at or near "selec"' in span.get_tag("error.message")
    assert "Traceback" in span.get_tag("error.stack")
    conn.rollback()


def test_children_of_active_span(spans, conn):
    with spans.tracer.trace("work") as parent:
        conn.cursor().execute("select 1")
        conn.commit()
    got = spans()
    assert [s.name for s in got] == ["work", "postgres.query", "postgres.connection.commit"]
    assert all(s.parent_id == parent.span_id for s in got[1:])
    assert len({s.trace_id for s in got}) == 1


def test_register_type_and_quote_ident_accept_traced_objects(conn):
    cur = conn.cursor()
    ext = psycopg2.extensions
    assert ext.quote_ident("my table", conn) == '"my table"'
    assert ext.quote_ident("x", cur) == '"x"'
    assert psycopg2._psycopg.quote_ident("y", conn) == '"y"'
    assert ext.encrypt_password("secret", "bob", conn, "md5").startswith("md5")
    # A caster registered on the traced cursor only applies to that cursor.
    shout = ext.new_type((25,), "SHOUT", lambda value, c: None if value is None else value.upper())
    ext.register_type(shout, cur)
    cur.execute("select 'hi'::text")
    assert cur.fetchone() == ("HI",)
    other = conn.cursor()
    other.execute("select 'hi'::text")
    assert other.fetchone() == ("hi",)
    # On the traced connection: every cursor of it.
    ext.register_type(shout, conn)
    other.execute("select 'yo'::text")
    assert other.fetchone() == ("YO",)


def test_sql_objects_render_with_traced_objects(conn):
    cur = conn.cursor()
    assert sql.Identifier("a b").as_string(conn) == '"a b"'
    assert sql.Identifier("a b").as_string(cur) == '"a b"'
    assert sql.Literal("it's").as_string(conn) == "'it''s'"
    assert sql.Literal(b"\x00").as_string(conn).endswith("::bytea")
    composed = sql.SQL("select {} from {}").format(sql.Literal("x"), sql.Identifier("t"))
    assert composed.as_string(conn) == "select 'x' from \"t\""


def test_extras_register_helpers(spans, conn):
    extras = psycopg2.extras
    extras.register_uuid(None, conn)
    extras.register_json(conn)
    extras.register_default_jsonb(conn)
    extras.register_ipaddress(conn)
    extras.register_range("pg_catalog.int4range", "IntRange", conn)
    cur = conn.cursor()
    cur.execute("select %s::uuid, '{\"a\": 1}'::json, '{\"b\": 2}'::jsonb, '10.0.0.1'::inet, int4range(1, 3)",
                (uuid.UUID(int=1),))
    u, js, jsb, inet, rng = cur.fetchone()
    assert u == uuid.UUID(int=1)
    assert js == {"a": 1} and jsb == {"b": 2}
    assert str(inet) == "10.0.0.1/32"  # an ipaddress.IPv4Interface
    assert (rng.lower, rng.upper) == (1, 3)
    # The catalog look-ups the helpers run go through the traced connection.
    resources = [s.resource for s in spans()]
    assert any("pg_type" in r for r in resources)


def test_register_composite_on_traced_cursor(conn):
    type_name = unique_name("dd_pair")
    cur = conn.cursor()
    cur.execute("create type %s as (a int, b text)" % type_name)
    try:
        caster = psycopg2.extras.register_composite(type_name, cur)
        cur.execute("select (1, 'x')::%s" % type_name)
        value = cur.fetchone()[0]
        assert (value.a, value.b) == (1, "x")
        assert caster.name == type_name
    finally:
        conn.rollback()


def test_register_hstore(conn):
    cur = conn.cursor()
    try:
        cur.execute("create extension if not exists hstore")
    except psycopg2.Error:
        conn.rollback()
        pytest.skip("hstore extension not available on this server")
    psycopg2.extras.register_hstore(conn)
    cur.execute("select 'a=>1'::hstore")
    assert cur.fetchone() == ({"a": "1"},)
    conn.rollback()


@pytest.mark.parametrize(
    "factory, expected",
    [
        (psycopg2.extras.DictCursor, lambda row: row["n"] == 1 and row[0] == 1),
        (psycopg2.extras.RealDictCursor, lambda row: row == {"n": 1}),
        (psycopg2.extras.NamedTupleCursor, lambda row: row.n == 1),
    ],
)
def test_cursor_factories(spans, conn, factory, expected):
    cur = conn.cursor(cursor_factory=factory)
    assert isinstance(cur, TracedCursor)
    assert isinstance(cur, factory)
    cur.execute("select 1 as n")
    assert expected(cur.fetchone())
    (span,) = spans()
    assert span.resource == "select 1 as n"


def test_cursor_factory_on_connect(spans, patched):
    c = psycopg2.connect(cursor_factory=psycopg2.extras.RealDictCursor, **PG)
    cur = c.cursor()
    cur.execute("select 2 as n")
    assert cur.fetchall() == [{"n": 2}]
    c.close()
    assert [s.resource for s in spans()] == ["select 2 as n"]


def test_connection_factory(spans, patched):
    c = psycopg2.connect(connection_factory=psycopg2.extras.RealDictConnection, **PG)
    assert isinstance(c, psycopg2.extras.RealDictConnection)
    cur = c.cursor()
    cur.execute("select 3 as n")
    assert cur.fetchone() == {"n": 3}
    c.close()
    assert len(spans()) == 1


def test_execute_values_and_batch(spans, table_name, conn):
    cur = conn.cursor()
    psycopg2.extras.execute_values(
        cur, sql.SQL("insert into {} values %s").format(sql.Identifier(table_name)), [(1, "a"), (2, "b")]
    )
    psycopg2.extras.execute_batch(cur, "update {} set name = %s where id = %s".format(table_name), [("z", 1)])
    cur.execute("select name from {} order by id".format(table_name))
    assert cur.fetchall() == [("z",), ("b",)]
    got = spans()
    assert got[0].resource.startswith('insert into "%s" values (1,' % table_name)
    assert got[-1].resource == "select name from %s order by id" % table_name


def test_pool_connections_are_traced(spans, patched):
    pool = psycopg2.pool.SimpleConnectionPool(1, 2, **PG)
    try:
        c = pool.getconn()
        assert isinstance(c, TracedConnection)
        c.cursor().execute("select 'pooled'")
        pool.putconn(c)
        assert pool.getconn() is c
    finally:
        pool.closeall()
    # putconn() rolls the connection back, through the traced connection.
    assert [s.resource for s in spans()] == ["select 'pooled'", "postgres.connection.rollback"]


def test_pin_override_connection(spans, conn):
    cur_before = conn.cursor()
    Pin.override(conn, service="billing-db", tags={"team": "payments"})
    conn.cursor().execute("select 1")
    conn.commit()
    cur_before.execute("select 2")
    got = spans()
    assert [(s.resource, s.service) for s in got] == [
        ("select 1", "billing-db"),
        ("postgres.connection.commit", "billing-db"),
        ("select 2", "postgres"),  # cursors keep the pin they were made with
    ]
    assert got[0].get_tag("team") == "payments"
    assert got[0].get_tag("db.name") == "test"  # the connection's own tags survive


def test_pin_override_module(spans, patched):
    Pin.override(psycopg2, service="module-db")
    c = psycopg2.connect(**PG)
    c.cursor().execute("select 1")
    c.close()
    assert spans()[0].service == "module-db"


def test_service_from_config(spans, patched, monkeypatch):
    monkeypatch.setitem(config.psycopg, "service", "orders-db")
    c = psycopg2.connect(**PG)
    c.cursor().execute("select 1")
    c.close()
    assert spans()[0].service == "orders-db"


def test_trace_fetch_methods(spans, patched, monkeypatch):
    monkeypatch.setitem(config.psycopg, "trace_fetch_methods", True)
    c = psycopg2.connect(**PG)
    cur = c.cursor()
    cur.execute("select generate_series(1, 3)")
    assert cur.fetchone() == (1,)
    assert cur.fetchmany(1) == [(2,)]
    assert cur.fetchall() == [(3,)]
    c.close()
    got = spans()
    assert [s.name for s in got] == [
        "postgres.query",
        "postgres.query.fetchone",
        "postgres.query.fetchmany",
        "postgres.query.fetchall",
    ]
    assert {s.resource for s in got} == {"select generate_series(1, 3)"}


def test_integration_disabled(spans, conn, monkeypatch):
    monkeypatch.setitem(config.psycopg, "enabled", False)
    conn.cursor().execute("select 1")
    conn.commit()
    assert spans() == []


def test_tracer_disabled(spans, conn):
    spans.tracer.enabled = False
    try:
        conn.cursor().execute("select 1")
    finally:
        spans.tracer.enabled = True
    assert spans() == []


def test_unpatch_restores_connect(spans, patched):
    traced = psycopg2.connect(**PG)
    assert psycopg_patch.unpatch() is True
    assert psycopg2.connect is _ORIGINAL_CONNECT
    assert not hasattr(psycopg2.extensions.register_type, "__wrapped__")
    assert not hasattr(psycopg2.extensions.quote_ident, "__wrapped__")
    plain = psycopg2.connect(**PG)
    assert type(plain) is psycopg2.extensions.connection
    plain.cursor().execute("select 'untraced'")
    plain.close()
    # Connections made while patched stay traced.
    traced.cursor().execute("select 'still traced'")
    traced.close()
    assert [s.resource for s in spans()] == ["select 'still traced'"]


def test_patch_twice_patches_once(spans, patched):
    assert psycopg_patch.patch() is False
    c = psycopg2.connect(**PG)
    assert type(c.__wrapped__) is psycopg2.extensions.connection
    c.cursor().execute("select 1")
    c.close()
    assert len(spans()) == 1


def test_get_version():
    version = psycopg_patch.get_version("psycopg2")
    assert version == psycopg2.__version__.split()[0]
    assert _registry.get("psycopg").module("psycopg2").versions == ">=2.8,<3"
