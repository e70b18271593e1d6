"""Traces PostgreSQL queries made with psycopg2 (2.8+) and psycopg 3 (sync and async).

Enabled by default under ``ddtrace-run`` and ``patch_all()``; in code::

    from ddtrace import patch

    patch(psycopg=True)

``psycopg`` covers both drivers: whichever of ``psycopg2`` and ``psycopg`` the
application imports is instrumented (both, if it imports both). Connections made after
patching by ``psycopg2.connect()``, ``psycopg.connect()``,
``psycopg.Connection.connect()`` and ``await psycopg.AsyncConnection.connect()``
(connection pools use these too) are traced through the DB-API layer
(:mod:`ddtrace.contrib.dbapi`).

Spans
-----

``postgres.query``
    One per ``cursor.execute()``, ``executemany()`` and ``callproc()``; psycopg2's
    ``copy_expert()``, ``copy_from()`` and ``copy_to()``; psycopg 3's
    ``with cursor.copy(...)`` block (the span covers the block). Named (server-side)
    cursors too. Type ``sql``; resource the SQL as passed, ``%s`` placeholders and
    all (``psycopg2.sql`` / ``psycopg.sql`` objects are rendered to their text;
    ``copy_from(f, "users")`` shows as ``COPY users FROM STDIN``); tags
    ``component=psycopg``, ``span.kind=client``, ``db.system=postgresql``,
    ``db.name``, ``db.user``, ``db.application`` (the connection's
    ``application_name``, when it has one), ``out.host``, ``server.address``, the
    metrics ``network.destination.port`` and ``db.row_count`` (the cursor's
    ``rowcount``, ``-1`` when the driver does not know it); ``executemany`` adds
    ``sql.executemany=true``.
``postgres.connection.commit`` / ``postgres.connection.rollback``
    psycopg2's ``conn.commit()`` and ``conn.rollback()``, with the connection's tags.
``psycopg.connection.commit`` / ``psycopg.connection.rollback``
    The same for psycopg 3 (``await conn.commit()`` too).
``psycopg.connection.execute``
    psycopg 3's ``await conn.execute(...)`` on an ``AsyncConnection``, the parent of
    its query's span. The synchronous ``Connection.execute`` makes the query's span
    only, as with the PyPI tracer.
``postgres.query.fetchone`` / ``fetchmany`` / ``fetchall``
    Only with ``DD_PSYCOPG_TRACE_FETCH_METHODS=true`` (``fetchmany``'s with the metric
    ``db.fetch.size``, the rows asked for).

The commit or rollback that ``with conn:`` performs on exit, the rows a named cursor
fetches while you iterate over it, and psycopg 3's ``cursor.stream()`` make no span.

Where this differs from the PyPI tracer: it traces COPY (the PyPI tracer makes no span
for psycopg2's ``copy_*`` methods nor psycopg 3's ``cursor.copy()``); it leaves
``db.application`` out when the connection has no application name (the PyPI tracer
writes the text ``None``), and names psycopg2's from ``PGAPPNAME`` too, as libpq does.

A failing query (a syntax error, a constraint violation) raises the driver's exception
unchanged (``psycopg2.errors.SyntaxError``, ``psycopg.errors.UniqueViolation``...); it is
recorded on the span (``error.type``, ``error.message``, ``error.stack``).

Settings
--------

``DD_PSYCOPG_SERVICE`` / ``config.psycopg.service``
    Service of the spans (default ``"postgres"``).
``DD_PSYCOPG_TRACE_FETCH_METHODS`` / ``config.psycopg.trace_fetch_methods``
    Also trace the fetch methods (default false).
``DD_TRACE_PSYCOPG_ENABLED``
    ``false`` leaves both drivers untraced.

A change to ``config.psycopg.service`` applies at once; one to
``config.psycopg.trace_fetch_methods``, to the connections made afterwards. To name the
service of one connection (and of the cursors it opens afterwards)::

    from ddtrace.trace import Pin

    conn = psycopg2.connect(dsn)
    Pin.override(conn, service="billing-db")

``Pin.override(psycopg2, service=...)`` (or ``psycopg``) does the same for the
connections made afterwards.

Compatibility
-------------

Connections and cursors are proxies: ``isinstance(conn, psycopg2.extensions.connection)``
holds, attributes and methods not listed above reach the driver's object unchanged,
``with conn:`` / ``with conn.cursor() as cur:`` (``async with`` for psycopg 3's async
objects) give back the traced objects, and ``cursor_factory`` / ``row_factory``
(``DictCursor``, ``RealDictCursor``, ``dict_row``...) work as usual.

psycopg2's C functions that insist on a real connection or cursor accept the traced
ones: ``psycopg2.extensions.register_type(..., conn_or_curs)``, ``quote_ident(s, conn)``,
``encrypt_password(..., conn)``, the ``psycopg2.extras.register_*`` helpers (``register_uuid``,
``register_json``, ``register_hstore``, ``register_composite``, ``register_range``...)
and ``psycopg2.sql`` objects' ``as_string(conn)``. Calling a C type with a traced
connection yourself (``psycopg2.extensions.cursor(conn)``, an adapter's
``prepare(conn)``) needs the driver's object: ``conn.__wrapped__``.
"""
