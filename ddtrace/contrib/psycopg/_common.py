"""What psycopg2 and psycopg 3 share: the settings, the connection tags, SQL text."""
from __future__ import annotations

import os
import sys

from ddtrace.contrib.dbapi import DBAPISettings
from ddtrace.contrib.dbapi import _PinnedProxy
from ddtrace.ext import db as _db
from ddtrace.ext import net as _net
from ddtrace.internal.logger import get_logger
from ddtrace.trace import Pin

log = get_logger(__name__)

#: Name of the integration and of ``config.psycopg`` (``DD_PSYCOPG_SERVICE``...).
NAME = "psycopg"


def _env_bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    value = value.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    log.warning("%s=%r is not a boolean (use true or false); using %s", name, value, default)
    return default


def settings_defaults():
    """``config.psycopg`` defaults: the names the DB-API layer gives the spans."""
    return {
        "_default_service": "postgres",
        "_dbapi_span_name_prefix": "postgres",
        "_db_system": "postgresql",
        "_component": NAME,
        # Not one of the variables every integration reads, so read here.
        "trace_fetch_methods": _env_bool("DD_PSYCOPG_TRACE_FETCH_METHODS", False),
    }


def dbapi_settings(integration, commit_name=None, rollback_name=None):
    """The :class:`DBAPISettings` for a new connection (read once per connection, so a
    change to ``config.psycopg`` applies to the connections made afterwards)."""
    settings = DBAPISettings(integration.config, integration)
    if commit_name:
        settings.commit_name = commit_name
    if rollback_name:
        settings.rollback_name = rollback_name
    return settings


def connection_tags(info):
    """Tags describing where a connection goes, from its ``info`` (psycopg2 2.8+'s
    ``ConnectionInfo`` and psycopg 3's share the attribute names)."""
    tags = {}
    host = getattr(info, "host", None)
    if host:
        tags[_net.TARGET_HOST] = str(host)
        tags[_net.SERVER_ADDRESS] = str(host)
    port = getattr(info, "port", None)
    if port:
        try:
            tags[_net.TARGET_PORT] = int(port)  # an int: the span stores it as a metric
        except (TypeError, ValueError):
            pass
    dbname = getattr(info, "dbname", None)
    if dbname:
        tags[_db.NAME] = str(dbname)
    user = getattr(info, "user", None)
    if user:
        tags[_db.USER] = str(user)
    return tags


def connection_pin(module_name, tags):
    """The pin of a new connection: a copy of the driver module's pin (so
    ``Pin.override(psycopg2, service=...)`` reaches the connections made afterwards)
    with the connection's tags added."""
    module_pin = Pin.get_from(sys.modules.get(module_name))
    if module_pin is not None:
        return module_pin.clone(tags=tags)
    return Pin(tags=tags)


def pin_module(integration, module):
    """Put a pin on the driver module (removed again on ``unpatch()``)."""
    if Pin.get_from(module) is not None:
        return
    Pin().onto(module)

    @integration.on_unpatch
    def _remove_pin():
        pin = Pin.get_from(module)
        if pin is not None:
            pin.remove_from(module)


def sql_text(query, render=None):
    """The SQL of ``query`` as a string for the span's resource.

    ``render`` turns a composed query object (``psycopg2.sql`` / ``psycopg.sql``) into
    its text; when that fails (the query is probably bad and the driver will say so),
    the object's ``str()`` is used.
    """
    if isinstance(query, str):
        return query
    if isinstance(query, (bytes, bytearray, memoryview)):
        return bytes(query).decode("utf-8", "replace")
    if render is not None:
        try:
            text = render(query)
        except Exception as e:
            # Not the tracer's fault: the same call is about to fail in the driver.
            log.debug("could not render %s as SQL: %r", type(query).__name__, e)
        else:
            if isinstance(text, str):
                return text
            if isinstance(text, (bytes, bytearray)):
                return bytes(text).decode("utf-8", "replace")
    try:
        return str(query)
    except Exception:
        return type(query).__name__


def unwrap_proxy(obj):
    """The driver's own object behind one of our connection / cursor proxies."""
    while isinstance(obj, _PinnedProxy):
        obj = obj.__wrapped__
    return obj


def pass_driver_objects(wrapped, instance, args, kwargs):
    """Wrapper for driver functions that check the exact C type of a connection or
    cursor argument (``register_type``, ``quote_ident``...): hand them the driver's
    own objects instead of our proxies."""
    if any(isinstance(a, _PinnedProxy) for a in args):
        args = tuple(unwrap_proxy(a) for a in args)
    if kwargs and any(isinstance(v, _PinnedProxy) for v in kwargs.values()):
        kwargs = {k: unwrap_proxy(v) for k, v in kwargs.items()}
    return wrapped(*args, **kwargs)


def clean_version(text):
    """``"2.9.2 (dt dec pq3 ext lo64)"`` -> ``"2.9.2"``."""
    if not text:
        return text
    return str(text).split()[0]
