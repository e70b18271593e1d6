"""The ``psycopg`` integration: one set-up per driver, psycopg2 (``_psycopg2``) and
psycopg 3 (``_psycopg3``), each checked against its own supported versions."""
from __future__ import annotations

import sys

from ddtrace.contrib._integration import Integration
from ddtrace.contrib._integration import guard
from ddtrace.contrib.dbapi import pin_module
from ddtrace.contrib.psycopg import _common
from ddtrace.contrib.psycopg import _psycopg2
from ddtrace.contrib.psycopg import _psycopg3

integration = Integration("psycopg")
patch, unpatch, get_version = integration.patch, integration.unpatch, integration.version


@integration.on_import("psycopg2")
def _patch_psycopg2(psycopg2):
    integration.wrap(psycopg2, "connect", _traced_connect2)
    import psycopg2.extensions  # noqa: F401  (imported by psycopg2 itself; made explicit)
    import psycopg2.sql

    for module_name, names in _psycopg2.SCOPE_FUNCTIONS.items():
        module = sys.modules.get(module_name)
        if module is None:
            continue
        for name in names:
            fn = vars(module).get(name)
            if fn is not None and not hasattr(fn, "__wrapped__"):
                integration.wrap(module, name, _common.pass_driver_objects)
    # ``sql.Literal`` prepares its adapter with the connection it is given.
    integration.wrap(psycopg2.sql.Literal, "as_string", _common.pass_driver_objects)
    pin_module(integration, psycopg2)


@integration.on_import("psycopg")
def _patch_psycopg3(psycopg):
    integration.wrap(psycopg.Connection, "connect", _traced_connect3)
    integration.wrap(psycopg.AsyncConnection, "connect", _traced_async_connect3)
    # ``psycopg.connect`` is ``Connection.connect`` bound at import time.
    if "connect" in vars(psycopg):
        integration.wrap(psycopg, "connect", _traced_connect3)
    pin_module(integration, psycopg)


def _traced_connect2(wrapped, instance, args, kwargs):
    conn = wrapped(*args, **kwargs)
    with guard("wrapping a psycopg2 connection"):
        return _psycopg2.traced_connection(conn, integration)
    return conn


def _traced_connect3(wrapped, instance, args, kwargs):
    conn = wrapped(*args, **kwargs)
    with guard("wrapping a psycopg connection"):
        return _psycopg3.traced_connection(conn, integration)
    return conn


def _traced_async_connect3(wrapped, instance, args, kwargs):
    return _connect_async(wrapped(*args, **kwargs))


async def _connect_async(pending):
    conn = await pending
    with guard("wrapping a psycopg async connection"):
        return _psycopg3.traced_connection(conn, integration)
    return conn
