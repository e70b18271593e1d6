"""Patch lifecycle and environment settings of the sqlite3 integration, each in a fresh
interpreter."""
import pytest

from tests.contrib.kit import CHILD_PRELUDE
from tests.contrib.kit import check
from tests.contrib.kit import lifecycle_tests
from tests.contrib.kit import python_env
from tests.contrib.kit import run_python

pytestmark = pytest.mark.subprocess

# ``sqlite3.connect`` and ``sqlite3.dbapi2.connect`` (the same function, bound twice).
test_lifecycle = lifecycle_tests(
    "sqlite3",
    span="sqlite.query",
    count=2,
    exercise="""
        import sqlite3.dbapi2
        sqlite3.connect(":memory:").execute("select 1")
        sqlite3.dbapi2.connect(":memory:").cursor().execute("select 2")
    """,
)


def test_enabling_imports_nothing():
    # (The lifecycle suite does not check this for the standard library's modules.)
    out = check(run_python("import sys, ddtrace._monkey as m\nm.patch(sqlite3=True)\nprint('sqlite3' in sys.modules)"))
    assert out.strip() == "False"


def test_unpatch_keeps_connections_traced():
    code = CHILD_PRELUDE + """
import sqlite3, _sqlite3
from ddtrace.contrib.sqlite3 import patch as p
p.patch()
traced = sqlite3.connect(":memory:")
assert p.unpatch() is True
assert p.unpatch() is False
assert sqlite3.connect is _sqlite3.connect
assert sqlite3.dbapi2.connect is _sqlite3.connect
assert not getattr(sqlite3, "_datadog_patch", False)
plain = sqlite3.connect(":memory:")
assert type(plain) is sqlite3.Connection
plain.execute("select 'untraced'")
traced.execute("select 'still traced'")
print([s.resource for s in spans()])
"""
    assert check(run_python(code)).strip() == "[\"select 'still traced'\"]"


SETTINGS_PROGRAM = (
    CHILD_PRELUDE
    + """
import ddtrace._monkey as m
m.patch_all()
import sqlite3
cur = sqlite3.connect(":memory:").execute("select 1 union all select 2")
cur.fetchmany()
for s in spans():
    print("%s|%s" % (s.name, s.service))
"""
)


@pytest.mark.parametrize(
    "env,expected",
    [
        ({}, ["sqlite.query|sqlite"]),
        ({"DD_SERVICE": "web"}, ["sqlite.query|sqlite"]),
        # The PyPI tracer's names, and the integration's own
        ({"DD_SQLITE_SERVICE": "orders-db", "DD_SERVICE": "web"}, ["sqlite.query|orders-db"]),
        ({"DD_SQLITE3_SERVICE": "orders-db"}, ["sqlite.query|orders-db"]),
        ({"DD_SQLITE_SERVICE": "a", "DD_SQLITE3_SERVICE": "b"}, ["sqlite.query|a"]),
        ({"DD_SERVICE_MAPPING": "sqlite:mapped"}, ["sqlite.query|mapped"]),
        ({"DD_SQLITE_TRACE_FETCH_METHODS": "true"}, ["sqlite.query|sqlite", "sqlite.query.fetchmany|sqlite"]),
        ({"DD_SQLITE_TRACE_FETCH_METHODS": "maybe"}, ["sqlite.query|sqlite"]),
        ({"DD_TRACE_SQLITE3_ENABLED": "false"}, []),
    ],
)
def test_environment(env, expected):
    proc = run_python(SETTINGS_PROGRAM, env=python_env(**env))
    assert check(proc).split() == expected
    if env.get("DD_SQLITE_TRACE_FETCH_METHODS") == "maybe":
        assert "DD_SQLITE_TRACE_FETCH_METHODS" in proc.stderr
