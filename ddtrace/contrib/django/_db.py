"""Queries through Django's database connections, on the DB-API layer
(:mod:`ddtrace.contrib.dbapi`).

``BaseDatabaseWrapper._prepare_cursor`` receives every driver cursor Django creates
(``connection.cursor()``, ORM queries, server-side ``chunked_cursor``) before wrapping
it in its own ``CursorWrapper``; the driver cursor is swapped for a traced proxy there,
so the span's resource is the SQL exactly as Django sends it (``%s`` placeholders).

When the driver is traced by its own (enabled) integration already (``sqlite3``,
``psycopg``...), its cursor is left alone and only tagged with ``django.db.vendor`` and
``django.db.alias``: one span per query either way.
"""
from __future__ import annotations

from ddtrace.contrib._integration import guard
from ddtrace.contrib.dbapi import DBAPISettings
from ddtrace.contrib.dbapi import FetchTracedCursor
from ddtrace.contrib.dbapi import TracedCursor
from ddtrace.contrib.django._utils import tracing
from ddtrace.ext import db as _db
from ddtrace.ext import net as _net
from ddtrace.ext import sql as _sql

_integration = None
# (alias, vendor, settings) -> (DBAPISettings, Pin) built once per alias
_per_alias = {}

# Span name prefix of each Django vendor (``postgres.query``, ``sqlite.query``...).
_PREFIXES = {"postgresql": "postgres"}


def patch_db(integration, module):
    """Wrap ``BaseDatabaseWrapper._prepare_cursor`` (``django.db.backends.base.base``)."""
    global _integration
    _integration = integration
    _per_alias.clear()
    integration.wrap(module.BaseDatabaseWrapper, "_prepare_cursor", _traced_prepare_cursor)
    integration.on_unpatch(_per_alias.clear)


def database_service(cfg, alias):
    """Service of a database alias: ``database_service_name``, else
    ``<database_service_name_prefix><alias>db``."""
    return cfg.get("database_service_name") or "%s%sdb" % (cfg.get("database_service_name_prefix") or "", alias)


def _traced_prepare_cursor(wrapped, instance, args, kwargs):
    cfg = _integration.config
    if args and cfg.get("instrument_databases") and tracing():
        with guard("tracing a django database cursor"):
            args = (_traced_cursor(cfg, instance, args[0]),) + args[1:]
    return wrapped(*args, **kwargs)


def _alias_tags(connection):
    settings = connection.settings_dict
    vendor = connection.vendor
    tags = {"django.db.vendor": vendor, "django.db.alias": connection.alias}
    for key, tag in (("NAME", _db.NAME), ("USER", _db.USER), ("HOST", _net.TARGET_HOST)):
        value = settings.get(key)
        if value:
            tags[tag] = str(value)
    if settings.get("HOST"):
        tags[_net.SERVER_ADDRESS] = str(settings["HOST"])
    port = settings.get("PORT")
    if port and str(port).isdigit():
        tags[_net.TARGET_PORT] = int(port)
    return tags


def _alias_state(cfg, connection):
    from ddtrace.trace import Pin

    service = database_service(cfg, connection.alias)
    fetch = bool(cfg.get("trace_fetch_methods"))
    key = (connection.alias, connection.vendor, service, fetch, id(connection.settings_dict))
    state = _per_alias.get(key)
    if state is None:
        vendor = connection.vendor
        prefix = _PREFIXES.get(vendor, vendor)
        settings = DBAPISettings(
            {
                "_dbapi_span_name_prefix": prefix,
                "_db_system": _sql.normalize_vendor(vendor),
                "_component": "django-database",
                "_default_service": service,
                "trace_fetch_methods": fetch,
            },
            _integration,
        )
        state = (settings, Pin(service=service, tags=_alias_tags(connection)), fetch)
        if len(_per_alias) > 256:  # aliases are few; settings dicts replaced in tests are not
            _per_alias.clear()
        _per_alias[key] = state
    return state


def _traced_cursor(cfg, connection, cursor):
    if isinstance(cursor, TracedCursor) and cursor._self_dbapi.tracing_pin(cursor._self_pin) is not None:
        # The driver's integration traces it: add what only Django knows to its spans.
        pin = cursor._self_pin
        cursor._self_pin = pin.clone(tags={"django.db.vendor": connection.vendor, "django.db.alias": connection.alias})
        return cursor
    settings, pin, fetch = _alias_state(cfg, connection)
    cls = FetchTracedCursor if fetch else TracedCursor
    return cls(cursor, pin, settings)
