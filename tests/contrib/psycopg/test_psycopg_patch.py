"""Patch lifecycle and environment settings of the psycopg integration (both drivers
under one name), each case in a fresh interpreter."""
import subprocess
import sys

import pytest

from tests.contrib.kit import CHILD_PRELUDE
from tests.contrib.kit import ROOT
from tests.contrib.kit import check
from tests.contrib.kit import lifecycle_tests
from tests.contrib.kit import python_env
from tests.contrib.kit import run_python

pytest.importorskip("psycopg2")
pytest.importorskip("psycopg")

pytestmark = pytest.mark.subprocess

DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"

# A query through each driver, psycopg 3's by the connection's execute shortcut.
test_lifecycle = lifecycle_tests(
    "psycopg",
    span="postgres.query",
    count=2,
    exercise="""
        import psycopg2, psycopg
        c2 = psycopg2.connect("%s")
        c2.cursor().execute("select 1")
        c2.close()
        with psycopg.connect("%s") as c3:
            c3.execute("select 2")
    """
    % (DSN, DSN),
)


def run(code, **env):
    """The names, resources and services of the spans ``code`` made."""
    report = "\nfor s in spans():\n    print(s.name, s.resource, s.service, sep='|')\n"
    program = CHILD_PRELUDE + "DSN = %r\n" % DSN + code + report
    return check(run_python(program, env=python_env(**env))).splitlines()


def test_importing_one_driver_imports_not_the_other():
    out = run(
        """
import ddtrace._monkey as m
m.patch(psycopg=True)
import psycopg2
print("OTHER=%s" % ("psycopg" in sys.modules))
import psycopg
psycopg.connect(DSN).cursor().execute("select 3")
"""
    )
    assert out == ["OTHER=False", "postgres.query|select 3|postgres"]


def test_own_patch_imports_the_installed_drivers():
    out = run(
        """
from ddtrace.contrib.psycopg import patch as p
assert p.patch() is True
print("IMPORTED=%s,%s" % ("psycopg2" in sys.modules, "psycopg" in sys.modules))
"""
    )
    assert out == ["IMPORTED=True,True"]


def test_unpatch_keeps_connections_traced():
    out = run(
        """
import psycopg2, psycopg2.extensions, psycopg
original = psycopg2.connect
from ddtrace.contrib.psycopg import patch as p
p.patch()
traced = psycopg2.connect(DSN)
assert p.unpatch() is True
assert p.unpatch() is False
assert psycopg2.connect is original
assert not getattr(psycopg2, "_datadog_patch", False)
assert not getattr(psycopg, "_datadog_patch", False)
assert type(psycopg2.connect(DSN)) is psycopg2.extensions.connection
assert type(psycopg.connect(DSN)) is psycopg.Connection
traced.cursor().execute("select 'still traced'")
"""
    )
    assert out == ["postgres.query|select 'still traced'|postgres"]


def test_unsupported_driver_version_is_left_alone_the_other_traced():
    out = run(
        """
from ddtrace.contrib import _registry
row = _registry.get("psycopg")
row.module("psycopg2").versions = ">=99"
import ddtrace._monkey as m
m.patch(psycopg=True)
import psycopg2, psycopg
print(type(psycopg2.connect(DSN)).__name__, type(psycopg.connect(DSN)).__name__)
"""
    )
    assert out == ["connection Psycopg3TracedConnection"]


SETTINGS_PROGRAM = """
import ddtrace._monkey as m
m.patch_all()
import psycopg2, psycopg
c2 = psycopg2.connect(DSN)
cur = c2.cursor()
cur.execute("select 10")
cur.fetchall()
c2.close()
with psycopg.connect(DSN) as c3:
    c3.cursor().execute("select 11")
"""


@pytest.mark.parametrize(
    "env,expected",
    [
        ({"DD_SERVICE": "web"}, ["postgres.query|select 10|postgres", "postgres.query|select 11|postgres"]),
        (
            {"DD_PSYCOPG_SERVICE": "orders-db", "DD_PSYCOPG_TRACE_FETCH_METHODS": "true", "DD_SERVICE": "web"},
            [
                "postgres.query|select 10|orders-db",
                "postgres.query.fetchall|select 10|orders-db",
                "postgres.query|select 11|orders-db",
            ],
        ),
        ({"DD_TRACE_PSYCOPG_ENABLED": "false"}, []),
    ],
)
def test_environment(env, expected):
    assert run(SETTINGS_PROGRAM, **env) == expected


def test_ddtrace_run():
    code = "import psycopg2\nprint('TYPE=' + type(psycopg2.connect(%r)).__name__)" % DSN
    proc = subprocess.run(
        [sys.executable, "-m", "ddtrace.commands.ddtrace_run", sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=python_env(DD_SERVICE="web"),
        cwd=ROOT,
        timeout=60,
    )
    assert "TYPE=Psycopg2TracedConnection" in check(proc)

