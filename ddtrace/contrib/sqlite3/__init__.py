"""Traces the standard library's ``sqlite3`` module.

Enabled by default under ``ddtrace-run`` and ``patch_all()``; in code::

    from ddtrace import patch

    patch(sqlite3=True)

Every connection made with ``sqlite3.connect()`` (or ``sqlite3.dbapi2.connect()``)
after patching is traced through the DB-API layer (:mod:`ddtrace.contrib.dbapi`):

- ``cursor.execute``, ``cursor.executemany``, ``cursor.executescript`` and the
  connection's shortcuts ``conn.execute``, ``conn.executemany`` and
  ``conn.executescript`` make a ``sqlite.query`` span: type ``sql``, resource the SQL,
  tags ``component=sqlite``, ``span.kind=client``, ``db.system=sqlite`` and the metric
  ``db.row_count``;
- ``conn.commit()`` and ``conn.rollback()`` make ``sqlite.connection.commit`` and
  ``sqlite.connection.rollback`` spans;
- with ``DD_SQLITE_TRACE_FETCH_METHODS=true`` (``config.sqlite.trace_fetch_methods``),
  ``fetchone`` / ``fetchmany`` / ``fetchall`` make ``sqlite.query.fetchone``... spans
  (``fetchmany``'s with the metric ``db.fetch.size``, the rows asked for).

The PyPI tracer makes no span for the ``executemany`` and ``executescript`` shortcuts of
the connection (only for ``conn.execute``); this one traces them as it does the
cursor's.

SQL errors are recorded on the span (``error.type`` such as
``sqlite3.OperationalError``, message and stack) and raised unchanged.

Settings
--------

``DD_SQLITE_SERVICE`` / ``config.sqlite.service``
    Service of the spans (default ``"sqlite"``). ``DD_SQLITE3_SERVICE`` works too.
``DD_SQLITE_TRACE_FETCH_METHODS`` / ``config.sqlite.trace_fetch_methods``
    Also trace the fetch methods (default false).
``DD_TRACE_SQLITE3_ENABLED``
    ``false`` leaves sqlite3 untraced.

``config.sqlite`` (the PyPI tracer's name) and ``config.sqlite3`` are the same settings
object.

To name the service of one connection::

    from ddtrace.trace import Pin

    conn = sqlite3.connect("app.db")
    Pin.override(conn, service="app-db")

``Pin.override(sqlite3, service=...)`` does the same for the connections made
afterwards.

Connections are proxies: ``isinstance(conn, sqlite3.Connection)`` holds, and a traced
connection may be passed to ``Connection.backup``.
"""
