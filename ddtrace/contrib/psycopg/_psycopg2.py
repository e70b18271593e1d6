"""psycopg2: the connections ``psycopg2.connect`` returns, wrapped in DB-API proxies.

psycopg2 is a C extension whose functions check the exact type of a connection or
cursor argument (``register_type(oid, conn_or_curs)``, ``quote_ident(s, scope)``,
an adapter's ``prepare(conn)``), which a proxy fails. Those functions are wrapped to
receive the driver's own objects; see :data:`SCOPE_FUNCTIONS`.
"""
from __future__ import annotations

import sys

from ddtrace.contrib._integration import guard
from ddtrace.contrib.dbapi import FetchTracedCursor
from ddtrace.contrib.dbapi import TracedConnection
from ddtrace.contrib.dbapi import TracedCursor
from ddtrace.contrib.dbapi import connection_pin
from ddtrace.contrib.psycopg import _common

#: Module -> functions whose connection / cursor arguments must be the C objects.
#: ``psycopg2.extensions`` re-exports ``_psycopg``'s; the other modules bound their
#: own names at import (``from psycopg2._psycopg import register_type``), so each
#: binding is wrapped. Modules imported after patching bind the wrapped functions.
SCOPE_FUNCTIONS = {
    "psycopg2._psycopg": ("register_type", "quote_ident", "encrypt_password"),
    "psycopg2.extensions": ("register_type", "quote_ident", "encrypt_password"),
    "psycopg2._json": ("register_type",),
    "psycopg2._range": ("register_type",),
    "psycopg2._ipaddress": ("register_type",),
    "psycopg2.extras": ("quote_ident",),
}


def traced_connection(conn, integration, pin=None):
    """``conn`` (a ``psycopg2.extensions.connection``) wrapped so its queries are traced.

    :param pin: the pin to use (default: a copy of the ``psycopg2`` module's, with the
        connection's host, port, database, user and application name as tags).
    """
    if isinstance(conn, TracedConnection):
        return conn
    if pin is None:
        tags = {}
        with guard("reading a psycopg2 connection's parameters"):
            tags = _connection_tags(conn)
        pin = connection_pin(sys.modules.get("psycopg2"), tags)
    return Psycopg2TracedConnection(conn, pin, _common.dbapi_settings(integration))


def _connection_tags(conn):
    info = getattr(conn, "info", None)  # psycopg2 >= 2.8
    if info is None:
        return {}
    # What libpq connected with: the DSN's or keyword's application_name, else PGAPPNAME.
    return _common.connection_tags(info, info.dsn_parameters.get("application_name"))


def _render(cursor):
    raw = cursor.__wrapped__

    def render(query):
        return query.as_string(raw)

    return render


class Psycopg2TracedCursor(TracedCursor):
    """A traced psycopg2 cursor (client-side or named): ``execute``,
    ``executemany``, ``callproc``, ``copy_expert``, ``copy_from`` and ``copy_to``
    make ``postgres.query`` spans."""

    def execute(self, query, vars=None, *args, **kwargs):
        """Run ``query``, in a ``postgres.query`` span (``psycopg2.sql`` objects are
        rendered to their SQL for the resource)."""
        resource = _common.sql_text(query, _render(self))
        self._self_last_resource = resource
        return self._dd_trace_query(self.__wrapped__.execute, resource, False, (query, vars) + args, kwargs)

    def executemany(self, query, vars_list, *args, **kwargs):
        """Run ``query`` once per parameter set, in one ``postgres.query`` span."""
        resource = _common.sql_text(query, _render(self))
        self._self_last_resource = resource
        return self._dd_trace_query(self.__wrapped__.executemany, resource, True, (query, vars_list) + args, kwargs)

    def copy_expert(self, sql, file, *args, **kwargs):
        """``COPY`` with a statement of your own, in a ``postgres.query`` span."""
        resource = _common.sql_text(sql, _render(self))
        self._self_last_resource = resource
        return self._dd_trace_query(self.__wrapped__.copy_expert, resource, False, (sql, file) + args, kwargs)

    def copy_from(self, file, table, *args, **kwargs):
        """``COPY table FROM STDIN``, in a ``postgres.query`` span."""
        resource = _copy_resource(table, kwargs.get("columns", args[3] if len(args) > 3 else None), "FROM STDIN")
        self._self_last_resource = resource
        return self._dd_trace_query(self.__wrapped__.copy_from, resource, False, (file, table) + args, kwargs)

    def copy_to(self, file, table, *args, **kwargs):
        """``COPY table TO STDOUT``, in a ``postgres.query`` span."""
        resource = _copy_resource(table, kwargs.get("columns", args[2] if len(args) > 2 else None), "TO STDOUT")
        self._self_last_resource = resource
        return self._dd_trace_query(self.__wrapped__.copy_to, resource, False, (file, table) + args, kwargs)


def _copy_resource(table, columns, direction):
    """``COPY users (id, name) FROM STDIN``: the statement psycopg2 builds, without
    its options."""
    try:
        text = "COPY %s" % (table,)
        if columns:
            text += " (%s)" % ", ".join(str(c) for c in columns)
        return "%s %s" % (text, direction)
    except Exception:
        return "COPY"


class FetchTracedPsycopg2Cursor(Psycopg2TracedCursor, FetchTracedCursor):
    """A :class:`Psycopg2TracedCursor` that also traces the fetch methods."""


class Psycopg2TracedConnection(TracedConnection):
    """A traced ``psycopg2.extensions.connection`` (or a ``connection_factory``
    subclass): its cursors are traced, ``commit`` / ``rollback`` make
    ``postgres.connection.commit`` / ``rollback`` spans."""

    cursor_cls = Psycopg2TracedCursor
    fetch_cursor_cls = FetchTracedPsycopg2Cursor
