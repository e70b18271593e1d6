"""Fixtures for the psycopg integration: the PostgreSQL server at 127.0.0.1:5432
(db ``test``, user ``postgres``, trust auth) and per-test tables with unique names."""
import uuid

import pytest

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "test"}
DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"


def unique_name(prefix="dd_psycopg"):
    return "%s_%s" % (prefix, uuid.uuid4().hex[:12])


@pytest.fixture
def table_name():
    """A fresh table ``(id int primary key, name text)``, dropped after the test.

    Made and dropped over a connection of its own, outside the integration. List it
    before the connection fixtures so they are closed before the table is dropped."""
    psycopg2 = pytest.importorskip("psycopg2")
    import psycopg2.extensions

    name = unique_name()
    raw = psycopg2.extensions.connection(DSN)
    raw.autocommit = True
    with raw.cursor() as cur:
        cur.execute("create table %s (id int primary key, name text)" % name)
    try:
        yield name
    finally:
        _drop(raw, name)
        raw.close()


def _drop(raw, name):
    # A test connection still in a transaction holds a lock on the table (the
    # connection fixtures of a test are torn down after this one when listed first):
    # give it a moment, then end it rather than wait forever.
    import psycopg2

    with raw.cursor() as cur:
        cur.execute("set lock_timeout = '2s'")
        try:
            cur.execute("drop table if exists %s" % name)
            return
        except psycopg2.errors.LockNotAvailable:
            pass
        cur.execute(
            "select pg_terminate_backend(l.pid) from pg_locks l"
            " where l.relation = %s::regclass and l.pid <> pg_backend_pid()",
            (name,),
        )
        cur.execute("set lock_timeout = 0")
        cur.execute("drop table if exists %s" % name)
