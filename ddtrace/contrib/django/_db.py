"""Queries through Django's database connections, on the DB-API layer
(:mod:`ddtrace.contrib.dbapi`).

``BaseDatabaseWrapper._prepare_cursor`` receives every driver cursor Django creates
(``connection.cursor()``, ORM queries, server-side ``chunked_cursor``) before wrapping
it in its own ``CursorWrapper``; the driver cursor is swapped for a traced proxy there,
so the span's resource is the SQL exactly as Django sends it (``%s`` placeholders).

When the driver is traced by its own (enabled) integration already (``sqlite3``,
``psycopg``...), its spans are kept, one per query either way, and get
``django.db.vendor`` and ``django.db.alias``: the driver connection is tagged as the
backend's ``get_new_connection`` returns it (so its commits and the queries Django
makes on it directly are tagged too), a cursor of a connection made before as it is
prepared.
"""
from __future__ import annotations

import sys

from ddtrace.contrib._integration import guard
from ddtrace.contrib.dbapi import DBAPISettings
from ddtrace.contrib.dbapi import FetchTracedCursor
from ddtrace.contrib.dbapi import TracedCursor
from ddtrace.contrib.django._utils import created
from ddtrace.contrib.django._utils import instrumented
from ddtrace.contrib.django.patch import integration
from ddtrace.ext import db as _db
from ddtrace.ext import net as _net
from ddtrace.ext import sql as _sql
from ddtrace.trace import Pin

VENDOR = "django.db.vendor"
ALIAS = "django.db.alias"

# (alias, vendor, settings) -> (DBAPISettings, Pin) built once per alias
_per_alias = {}
_patched_classes = set()

# Span name prefix of each Django vendor (``postgres.query``, ``sqlite.query``...).
_PREFIXES = {"postgresql": "postgres"}


def patch_connections(utils):
    """Wrap ``ConnectionHandler.create_connection`` (``django.db.utils``), and the
    backends of the connections created before patching."""
    integration.wrap(utils.ConnectionHandler, "create_connection", _traced_create_connection)
    integration.on_unpatch(_patched_classes.clear)
    # django.db creates its handler after importing django.db.utils: none yet on a first import.
    for wrapper in created(getattr(sys.modules.get("django.db"), "connections", None)):
        _instrument_backend_class(type(wrapper))


def _traced_create_connection(wrapped, instance, args, kwargs):
    wrapper = wrapped(*args, **kwargs)
    with guard("instrumenting a django database backend"):
        _instrument_backend_class(type(wrapper))
    return wrapper


def _instrument_backend_class(cls):
    for klass in cls.__mro__:
        if klass in _patched_classes:
            return
        if "get_new_connection" in vars(klass):
            _patched_classes.add(klass)
            integration.wrap(klass, "get_new_connection", _traced_get_new_connection)
            return


def _traced_get_new_connection(wrapped, instance, args, kwargs):
    connection = wrapped(*args, **kwargs)
    if instrumented("databases") and integration.should_trace():
        with guard("tagging a django database connection"):
            _tag_driver_object(connection, instance)
    return connection


def _tag_driver_object(obj, wrapper):
    """Add the alias and vendor to the pin of a driver's traced object (if it has one)."""
    pin = Pin.get_from(obj)
    if pin is not None and (not pin.tags or pin.tags.get(ALIAS) != wrapper.alias):
        pin.clone(tags={VENDOR: wrapper.vendor, ALIAS: wrapper.alias}).onto(obj)


def patch_db(module):
    """Wrap ``BaseDatabaseWrapper._prepare_cursor`` (``django.db.backends.base.base``)."""
    _per_alias.clear()
    integration.wrap(module.BaseDatabaseWrapper, "_prepare_cursor", _traced_prepare_cursor)
    integration.on_unpatch(_per_alias.clear)


def database_service(cfg, alias):
    """Service of a database alias: ``database_service_name``, else
    ``<database_service_name_prefix><alias>db``."""
    return cfg.get("database_service_name") or "%s%sdb" % (cfg.get("database_service_name_prefix") or "", alias)


def _traced_prepare_cursor(wrapped, instance, args, kwargs):
    if args and instrumented("databases") and integration.should_trace():
        with guard("tracing a django database cursor"):
            args = (_traced_cursor(integration.config, instance, args[0]),) + args[1:]
    return wrapped(*args, **kwargs)


def _alias_tags(connection):
    settings = connection.settings_dict
    tags = {VENDOR: connection.vendor, ALIAS: connection.alias}
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
            integration,
        )
        state = (settings, Pin(service=service, tags=_alias_tags(connection)), fetch)
        if len(_per_alias) > 256:  # aliases are few; settings dicts replaced in tests are not
            _per_alias.clear()
        _per_alias[key] = state
    return state


def _traced_by_driver(cursor):
    if not isinstance(cursor, TracedCursor):
        return False
    settings = getattr(cursor, "_self_dbapi", None)
    return settings is None or settings.tracing_pin(Pin.get_from(cursor)) is not None


def _traced_cursor(cfg, connection, cursor):
    if _traced_by_driver(cursor):
        # The driver's integration traces it: add what only Django knows to its spans
        # (a connection made before they were on has not been tagged yet).
        _tag_driver_object(connection.connection, connection)
        _tag_driver_object(cursor, connection)
        return cursor
    settings, pin, fetch = _alias_state(cfg, connection)
    cls = FetchTracedCursor if fetch else TracedCursor
    return cls(cursor, pin, settings)
