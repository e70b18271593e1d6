"""Patches ``sqlite3.connect`` so connections come back wrapped in DB-API proxies."""
from __future__ import annotations

import sys

from ddtrace.contrib._integration import Integration
from ddtrace.contrib._integration import guard
from ddtrace.contrib.dbapi import DBAPISettings
from ddtrace.contrib.dbapi import FetchTracedCursor
from ddtrace.contrib.dbapi import TracedConnection
from ddtrace.contrib.dbapi import TracedCursor
from ddtrace.contrib.dbapi import _as_resource
from ddtrace.contrib.dbapi import connection_pin
from ddtrace.contrib.dbapi import pin_module

integration = Integration("sqlite3", component="sqlite")
patch, unpatch = integration.patch, integration.unpatch

_NAMES = {"_dbapi_span_name_prefix": "sqlite"}


def get_version():
    """The SQLite library's version (``sqlite3.sqlite_version``), as the PyPI tracer
    reports it; "" before sqlite3 is imported."""
    return getattr(sys.modules.get("sqlite3"), "sqlite_version", "")


@integration.on_import("sqlite3")
def _patch(sqlite3):
    integration.wrap(sqlite3, "connect", _traced_connect)
    # Imported by sqlite3 itself, which copied ``connect`` from it.
    dbapi2 = sys.modules.get("sqlite3.dbapi2")
    if dbapi2 is not None and "connect" in vars(dbapi2):
        integration.wrap(dbapi2, "connect", _traced_connect)
    pin_module(integration, sqlite3)


def _traced_connect(wrapped, instance, args, kwargs):
    conn = wrapped(*args, **kwargs)
    with guard("wrapping a sqlite3 connection"):
        return traced_connection(conn)
    return conn


def traced_connection(conn, pin=None):
    """``conn`` (a ``sqlite3.Connection``) wrapped so its queries are traced.

    :param pin: the pin to use (default: a copy of the ``sqlite3`` module's, if any).
    """
    if isinstance(conn, TracedConnection):
        return conn
    if pin is None:
        pin = connection_pin(sys.modules.get("sqlite3"))
    return TracedSQLiteConnection(conn, pin, DBAPISettings(_NAMES, integration))


class TracedSQLiteCursor(TracedCursor):
    """A traced ``sqlite3.Cursor``; ``executescript`` is traced too."""

    def executescript(self, script, *args, **kwargs):
        """Run a script of several statements, in one ``sqlite.query`` span."""
        resource = _as_resource(script)
        self._self_last_resource = resource
        return self._dd_trace_query(self.__wrapped__.executescript, resource, False, (script,) + args, kwargs)


class FetchTracedSQLiteCursor(TracedSQLiteCursor, FetchTracedCursor):
    """A :class:`TracedSQLiteCursor` that also traces the fetch methods."""


class TracedSQLiteConnection(TracedConnection):
    """A traced ``sqlite3.Connection``.

    Its ``execute`` / ``executemany`` / ``executescript`` shortcuts go through a traced
    cursor, as sqlite3's own do through ``self.cursor()``.
    """

    cursor_cls = TracedSQLiteCursor
    fetch_cursor_cls = FetchTracedSQLiteCursor

    def _dd_new_cursor(self):
        # What cursor() does, minus two calls: these shortcuts run once per query.
        return self._self_cursor_cls(self.__wrapped__.cursor(), self._self_pin, self._self_dbapi)

    def execute(self, *args, **kwargs):
        return self._dd_new_cursor().execute(*args, **kwargs)

    def executemany(self, *args, **kwargs):
        return self._dd_new_cursor().executemany(*args, **kwargs)

    def executescript(self, *args, **kwargs):
        return self._dd_new_cursor().executescript(*args, **kwargs)

    def backup(self, target, *args, **kwargs):
        # sqlite3 checks the target's exact type: hand it the real connection.
        if isinstance(target, TracedConnection):
            target = target.__wrapped__
        return self.__wrapped__.backup(target, *args, **kwargs)
