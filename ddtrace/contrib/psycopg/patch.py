"""The ``psycopg`` integration: psycopg2 (``_psycopg2``) and psycopg 3 (``_psycopg3``).

One integration name covers both drivers, as users configure it (``patch(psycopg=True)``,
``DD_PSYCOPG_SERVICE``). Each driver has its own patch state: the post-import hook runs
:func:`patch` once per driver module imported, and each call instruments the drivers
imported so far that are not instrumented yet.
"""
from __future__ import annotations

import sys

from ddtrace.contrib._integration import version_satisfies
from ddtrace.contrib.psycopg import _psycopg2
from ddtrace.contrib.psycopg import _psycopg3
from ddtrace.internal.logger import get_logger

log = get_logger(__name__)

_DRIVERS = (_psycopg2, _psycopg3)

#: Versions the integration is tested with, per driver module (a literal: the
#: registry reads it from the source).
SUPPORTED = {"psycopg2": ">=2.8", "psycopg": ">=3.0"}

#: The psycopg2 half's integration object (``config.psycopg`` is shared by both).
integration = _psycopg2.integration


def _driver(module):
    for driver in _DRIVERS:
        if driver.MODULE == module:
            return driver
    raise ValueError("unknown psycopg driver module %r (expected psycopg2 or psycopg)" % (module,))


def get_version(module=None):
    """The installed version of a driver: ``module`` ``"psycopg2"`` or ``"psycopg"``.

    Without ``module``: the highest version among the drivers already imported (else
    installed). :func:`patch` checks each driver against its own :data:`SUPPORTED`
    range, so this only has to let the import hook through when one of them fits.
    """
    if module is not None:
        return _driver(module).get_version()
    imported = [d for d in _DRIVERS if d.MODULE in sys.modules] or list(_DRIVERS)
    versions = [v for v in (d.get_version() for d in imported) if v]
    if not versions:
        return None
    from ddtrace.contrib._integration import _version_tuple

    return max(versions, key=_version_tuple)


def _supported(driver):
    version = driver.get_version()
    spec = SUPPORTED.get(driver.MODULE, "")
    if version and not version_satisfies(version, spec):
        log.warning(
            "integration psycopg: %s %s is not supported (supported: %s); left untraced",
            driver.MODULE,
            version,
            spec,
        )
        return False
    return True


def patch():
    """Trace psycopg2 and psycopg 3 connections made from now on.

    Instruments each driver already imported; when neither is, imports and instruments
    those installed. Patching twice patches once. Returns True if a driver was
    instrumented by this call; raises ImportError when neither driver is installed.
    """
    drivers = [d for d in _DRIVERS if d.MODULE in sys.modules]
    if not drivers:
        import importlib

        for driver in _DRIVERS:
            try:
                importlib.import_module(driver.MODULE)
            except ImportError:
                continue
            drivers.append(driver)
        if not drivers:
            raise ImportError("neither psycopg2 nor psycopg (3) can be imported")
    patched = False
    for driver in drivers:
        if driver.integration.is_patched() or not _supported(driver):
            continue
        if driver.patch():
            patched = True
    return patched


def unpatch():
    """Restore both drivers' ``connect``; connections already made stay traced.
    Returns True if a driver was unpatched."""
    done = False
    for driver in _DRIVERS:
        if driver.unpatch():
            done = True
    return done
