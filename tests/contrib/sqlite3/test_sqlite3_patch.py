"""Patch lifecycle of the sqlite3 integration, each case in a fresh interpreter."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

# Captures the spans of the global tracer and prints them as JSON at exit.
PRELUDE = """
import atexit, json, sys
from ddtrace.internal.writer import InMemoryWriter
from ddtrace.trace import tracer
_w = InMemoryWriter()
tracer.configure(writer=_w)

def _dump():
    spans = [s for t in _w.pop_traces() for s in t]
    print("SPANS=" + json.dumps([[s.name, s.resource, s.service] for s in spans]))

atexit.register(_dump)
"""


def run(code, **env):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DD_", "_DD_"))}
    full_env.update(env)
    full_env["PYTHONPATH"] = ROOT
    full_env.setdefault("DD_TRACE_STARTUP_LOGS", "false")
    proc = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.startswith("SPANS=")]
    assert len(lines) == 1, proc.stdout
    return json.loads(lines[0][len("SPANS="):]), proc


def test_patch_before_import():
    spans, _ = run(
        """
        from ddtrace._monkey import patch
        patch(sqlite3=True)
        import sqlite3
        conn = sqlite3.connect(":memory:")
        assert type(conn).__name__ == "TracedSQLiteConnection", type(conn)
        conn.execute("select 1")
        """
    )
    assert spans == [["sqlite.query", "select 1", "sqlite"]]


def test_enabling_imports_nothing():
    spans, proc = run(
        """
        from ddtrace._monkey import patch
        patch(sqlite3=True)
        print("IMPORTED=%s" % ("sqlite3" in sys.modules))
        """
    )
    assert "IMPORTED=False" in proc.stdout
    assert spans == []


def test_patch_after_import():
    spans, _ = run(
        """
        import sqlite3
        from ddtrace._monkey import patch
        patch(sqlite3=True)
        sqlite3.connect(":memory:").execute("select 2")
        """
    )
    assert spans == [["sqlite.query", "select 2", "sqlite"]]


def test_double_patch():
    spans, _ = run(
        """
        import sqlite3
        from ddtrace.contrib.sqlite3 import patch as p
        assert p.patch() is True
        assert p.patch() is False
        from ddtrace._monkey import patch
        patch(sqlite3=True)
        c = sqlite3.connect(":memory:")
        assert type(c.__wrapped__).__name__ == "Connection", type(c.__wrapped__)
        c.execute("select 3")
        """
    )
    assert spans == [["sqlite.query", "select 3", "sqlite"]]


def test_unpatch_and_repatch():
    spans, _ = run(
        """
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
        p.patch()
        sqlite3.connect(":memory:").execute("select 'again'")
        """
    )
    assert [s[1] for s in spans] == ["select 'still traced'", "select 'again'"]


def test_patch_all_enables_sqlite3():
    spans, _ = run(
        """
        from ddtrace._monkey import patch_all
        patch_all()
        import sqlite3
        sqlite3.connect(":memory:").execute("select 4")
        """
    )
    assert spans == [["sqlite.query", "select 4", "sqlite"]]


def test_disabled_by_environment():
    spans, _ = run(
        """
        from ddtrace._monkey import patch_all
        patch_all()
        import sqlite3
        c = sqlite3.connect(":memory:")
        c.execute("select 5")
        """,
        DD_TRACE_SQLITE3_ENABLED="false",
    )
    assert spans == []


def test_service_from_environment():
    spans, _ = run(
        """
        from ddtrace._monkey import patch
        patch(sqlite3=True)
        import sqlite3
        sqlite3.connect(":memory:").execute("select 6")
        """,
        DD_SQLITE_SERVICE="orders-db",
        DD_SERVICE="web",
    )
    assert spans == [["sqlite.query", "select 6", "orders-db"]]
