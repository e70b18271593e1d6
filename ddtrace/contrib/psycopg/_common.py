"""What psycopg2 and psycopg 3 share: the span names, the connection tags, SQL text."""
from __future__ import annotations

from ddtrace.contrib.dbapi import DBAPISettings
from ddtrace.contrib.dbapi import _PinnedProxy
from ddtrace.ext import db as _db
from ddtrace.ext import net as _net
from ddtrace.internal.logger import get_logger

log = get_logger(__name__)

#: The DB-API layer's names for PostgreSQL spans (``postgres.query``, ``db.system``).
NAMES = {"_dbapi_span_name_prefix": "postgres", "_db_system": "postgresql"}

#: The tag naming the client application (libpq's ``application_name``).
APPLICATION = "db.application"


def dbapi_settings(integration, commit_name=None, rollback_name=None):
    """The :class:`DBAPISettings` for a new connection (read once per connection, so a
    change to ``config.psycopg.trace_fetch_methods`` applies to the connections made
    afterwards)."""
    settings = DBAPISettings(NAMES, integration)
    if commit_name:
        settings.commit_name = commit_name
    if rollback_name:
        settings.rollback_name = rollback_name
    return settings


def connection_tags(info, application_name=None):
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
    # Only when the application has a name: the PyPI tracer writes the text "None".
    if application_name:
        tags[APPLICATION] = str(application_name)
    return tags


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
