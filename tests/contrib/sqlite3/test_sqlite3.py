"""The sqlite3 integration, in-process: spans, settings, pins, errors."""
import sqlite3

import pytest

from ddtrace.contrib import _registry
from ddtrace.contrib.dbapi import TracedConnection
from ddtrace.contrib.sqlite3 import patch as sqlite_patch
from ddtrace.settings import config
from ddtrace.trace import Pin

_ORIGINAL_CONNECT = sqlite3.connect


@pytest.fixture
def conn(patched, spans):
    c = sqlite3.connect(":memory:")
    c.execute("create table kv (k text primary key, v integer)")
    spans()
    yield c
    c.close()


def test_connect_returns_traced_connection(conn):
    assert isinstance(conn, TracedConnection)
    assert isinstance(conn, sqlite3.Connection)
    assert isinstance(conn.cursor(), sqlite3.Cursor)


def test_dbapi2_connect_is_patched(patched):
    import sqlite3.dbapi2

    assert isinstance(sqlite3.dbapi2.connect(":memory:"), TracedConnection)


def test_query_span(spans, conn):
    conn.cursor().execute("insert into kv values ('a', 1)")
    (span,) = spans()
    assert span.name == "sqlite.query"
    assert span.service == "sqlite"
    assert span.resource == "insert into kv values ('a', 1)"
    assert span.span_type == "sql"
    assert span.get_tag("component") == "sqlite"
    assert span.get_tag("db.system") == "sqlite"
    assert span.get_tag("span.kind") == "client"
    assert span.get_metric("db.row_count") == 1
    assert "version" not in span._meta


def test_connection_shortcuts_are_traced(spans, conn):
    cur = conn.execute("insert into kv values (?, ?)", ("a", 1))
    assert cur.rowcount == 1
    conn.executemany("insert into kv values (?, ?)", [("b", 2), ("c", 3)])
    conn.executescript("update kv set v = v + 1; delete from kv where k = 'c';")
    assert conn.execute("select k, v from kv order by k").fetchall() == [("a", 2), ("b", 3)]
    spans = spans()
    assert [(s.name, s.resource) for s in spans] == [
        ("sqlite.query", "insert into kv values (?, ?)"),
        ("sqlite.query", "insert into kv values (?, ?)"),
        ("sqlite.query", "update kv set v = v + 1; delete from kv where k = 'c';"),
        ("sqlite.query", "select k, v from kv order by k"),
    ]
    assert spans[1].get_tag("sql.executemany") == "true"
    assert spans[1].get_metric("db.row_count") == 2


def test_cursor_executescript(spans, conn):
    cur = conn.cursor()
    assert cur.executescript("insert into kv values ('x', 1);") is cur
    (span,) = spans()
    assert span.resource == "insert into kv values ('x', 1);"


def test_commit_rollback(spans, conn):
    conn.execute("insert into kv values ('a', 1)")
    conn.commit()
    conn.execute("insert into kv values ('b', 1)")
    conn.rollback()
    names = [s.name for s in spans()]
    assert names == ["sqlite.query", "sqlite.connection.commit", "sqlite.query", "sqlite.connection.rollback"]
    assert conn.execute("select count(*) from kv").fetchone() == (1,)


def test_error(spans, conn):
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        conn.execute("select * from missing")
    (span,) = spans()
    assert span.error == 1
    assert span.get_tag("error.type") == "sqlite3.OperationalError"
    assert span.get_tag("error.message") == "no such table: missing"


def test_children_of_active_span(spans, conn):
    with spans.tracer.trace("work") as parent:
        conn.execute("select 1")
    got = spans()
    query = [s for s in got if s.name == "sqlite.query"][0]
    assert query.parent_id == parent.span_id


def test_service_from_config(spans, conn, monkeypatch):
    monkeypatch.setitem(config.sqlite, "service", "my-sqlite")
    conn.execute("select 1")
    assert spans()[0].service == "my-sqlite"


def test_service_setting_changed_between_queries(spans, conn, monkeypatch):
    # The fallback service is resolved once per settings change: a change must show.
    conn.execute("select 1")
    assert spans()[0].service == "sqlite"
    # (setitem / delitem only: monkeypatch undoes its setattr calls before its setitem ones)
    monkeypatch.setitem(config.sqlite, "service", "renamed")
    conn.execute("select 1")
    assert spans()[0].service == "renamed"
    monkeypatch.setitem(config.sqlite3, "service", "by-integration")
    conn.execute("select 1")
    assert spans()[0].service == "by-integration"
    monkeypatch.delitem(config.sqlite, "service")
    conn.execute("select 1")
    assert spans()[0].service == "sqlite"


def test_sqlite_and_sqlite3_configs_are_one(patched):
    # config.sqlite is the PyPI tracer's name; sqlite3 the integration's.
    assert config.sqlite is config.sqlite3 is patched.config


def test_service_from_sqlite3_config(spans, conn, monkeypatch):
    monkeypatch.setitem(config.sqlite3, "service", "from-sqlite3")
    conn.execute("select 1")
    assert spans()[0].service == "from-sqlite3"


def test_pin_override_connection(spans, conn):
    Pin.override(conn, service="app-db")
    conn.execute("select 1")
    conn.commit()
    assert {s.service for s in spans()} == {"app-db"}


def test_pin_override_module(spans, patched):
    Pin.override(sqlite3, service="module-db")
    c = sqlite3.connect(":memory:")
    c.execute("select 1")
    assert spans()[0].service == "module-db"
    # The module's pin is copied, not shared: changing one connection leaves it alone.
    Pin.override(c, service="one-conn")
    assert Pin.get_from(sqlite3).service == "module-db"


def test_trace_fetch_methods(spans, patched, monkeypatch):
    monkeypatch.setitem(config.sqlite, "trace_fetch_methods", True)
    c = sqlite3.connect(":memory:")
    cur = c.execute("select 1")
    assert cur.fetchall() == [(1,)]
    assert [s.name for s in spans()] == ["sqlite.query", "sqlite.query.fetchall"]


def test_integration_disabled(spans, conn, monkeypatch):
    monkeypatch.setitem(config.sqlite3, "enabled", False)
    conn.execute("select 1")
    conn.commit()
    assert spans() == []


def test_backup_to_traced_connection(conn):
    conn.execute("insert into kv values ('a', 1)")
    conn.commit()
    target = sqlite3.connect(":memory:")
    conn.backup(target)
    assert target.execute("select * from kv").fetchall() == [("a", 1)]


def test_row_factory_and_context_manager(conn):
    conn.row_factory = sqlite3.Row
    with conn as c:
        assert c is conn
        c.execute("insert into kv values ('z', 26)")
    row = conn.execute("select * from kv").fetchone()
    assert row["v"] == 26


def test_unpatch_restores_connect(spans, patched):
    traced = sqlite3.connect(":memory:")
    sqlite_patch.unpatch()
    assert sqlite3.connect is _ORIGINAL_CONNECT
    plain = sqlite3.connect(":memory:")
    assert not isinstance(plain, TracedConnection)
    plain.execute("select 1")
    # Connections made while patched stay traced.
    traced.execute("select 2")
    assert [s.resource for s in spans()] == ["select 2"]


def test_patch_twice_patches_once(spans, patched):
    assert sqlite_patch.patch() is False
    c = sqlite3.connect(":memory:")
    c.execute("select 1")
    assert len(spans()) == 1


def test_get_version():
    assert sqlite_patch.get_version() == sqlite3.sqlite_version
    row = _registry.get("sqlite3")
    assert [(m.name, m.versions, m.stdlib) for m in row.modules] == [("sqlite3", "", True)]
