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
from ddtrace.trace import Pin

integration = Integration("sqlite3", "sqlite3", distributions=())

#: The standard library's module: every version that ships with a supported Python.
SUPPORTED = {"sqlite3": ""}

#: ``config.sqlite``: the span settings, under the name the Datadog tracer uses.
_SETTINGS_DEFAULTS = {
    "_default_service": "sqlite",
    "_dbapi_span_name_prefix": "sqlite",
    "_db_system": "sqlite",
    "_component": "sqlite",
    "trace_fetch_methods": False,
}


def get_version():
    """The SQLite library version (``sqlite3.sqlite_version``), or "" before import."""
    mod = sys.modules.get("sqlite3")
    return getattr(mod, "sqlite_version", "") if mod is not None else ""


def patch():
    """Trace connections made with ``sqlite3.connect`` from now on (imports sqlite3).

    Patching twice patches once; returns True if it patched now.
    """
    return integration.patch(_patch)


def unpatch():
    """Restore ``sqlite3.connect``; connections already made stay traced."""
    return integration.unpatch()


_span_config = None


def _settings():
    global _span_config
    if _span_config is None:
        from ddtrace.settings import config

        _span_config = config._add("sqlite", _SETTINGS_DEFAULTS)
    return DBAPISettings(_span_config, integration)


def _patch(sqlite3):
    integration.wrap(sqlite3, "connect", _traced_connect)
    dbapi2 = sys.modules.get("sqlite3.dbapi2")
    if dbapi2 is not None and "connect" in vars(dbapi2):
        integration.wrap(dbapi2, "connect", _traced_connect)
    if Pin.get_from(sqlite3) is None:
        Pin().onto(sqlite3)

        @integration.on_unpatch
        def _remove_pin():
            pin = Pin.get_from(sqlite3)
            if pin is not None:
                pin.remove_from(sqlite3)


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
        module_pin = Pin.get_from(sys.modules.get("sqlite3"))
        pin = module_pin.clone() if module_pin is not None else Pin()
    return TracedSQLiteConnection(conn, pin, _settings())


class TracedSQLiteCursor(TracedCursor):
    """A traced ``sqlite3.Cursor``; ``executescript`` is traced too."""

    def executescript(self, script, *args, **kwargs):
        """Run a script of several statements, in one ``sqlite.query`` span."""
        resource = _as_resource(script)
        self._self_last_resource = resource
        return self._dd_trace_query(self.__wrapped__.executescript, resource, None, (script,) + args, kwargs)


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
