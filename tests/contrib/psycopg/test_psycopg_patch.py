"""Patch lifecycle of the psycopg integration, each case in a fresh interpreter."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("psycopg2")
pytest.importorskip("psycopg")

pytestmark = pytest.mark.subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

# Captures the spans of the global tracer and prints them as JSON at exit.
PRELUDE = """
import atexit, json, sys
from ddtrace.internal.writer import InMemoryWriter
from ddtrace.trace import tracer
_w = InMemoryWriter()
tracer.configure(writer=_w)
DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"

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


def test_patch_before_import_psycopg2():
    spans, _ = run(
        """
        from ddtrace._monkey import patch
        patch(psycopg=True)
        import psycopg2
        conn = psycopg2.connect(DSN)
        assert type(conn).__name__ == "Psycopg2TracedConnection", type(conn)
        conn.cursor().execute("select 1")
        conn.commit()
        """
    )
    assert spans == [
        ["postgres.query", "select 1", "postgres"],
        ["postgres.connection.commit", "postgres.connection.commit", "postgres"],
    ]


def test_patch_before_import_psycopg3():
    spans, _ = run(
        """
        from ddtrace._monkey import patch
        patch(psycopg=True)
        import psycopg
        conn = psycopg.connect(DSN)
        assert type(conn).__name__ == "Psycopg3TracedConnection", type(conn)
        conn.cursor().execute("select 1")
        conn.commit()
        """
    )
    assert spans == [
        ["postgres.query", "select 1", "postgres"],
        ["psycopg.connection.commit", "psycopg.connection.commit", "postgres"],
    ]


def test_enabling_imports_nothing():
    spans, proc = run(
        """
        from ddtrace._monkey import patch
        patch(psycopg=True)
        print("IMPORTED=%s,%s" % ("psycopg2" in sys.modules, "psycopg" in sys.modules))
        """
    )
    assert "IMPORTED=False,False" in proc.stdout
    assert spans == []


def test_importing_one_driver_does_not_import_the_other():
    spans, proc = run(
        """
        from ddtrace._monkey import patch
        patch(psycopg=True)
        import psycopg2
        print("OTHER=%s" % ("psycopg" in sys.modules))
        import psycopg
        c = psycopg.connect(DSN)
        c.execute("select 3")
        """
    )
    assert "OTHER=False" in proc.stdout
    assert [s[0] for s in spans] == ["postgres.query", "psycopg.connection.execute"]


def test_patch_after_import():
    spans, _ = run(
        """
        import psycopg2, psycopg
        from ddtrace._monkey import patch
        patch(psycopg=True)
        psycopg2.connect(DSN).cursor().execute("select 2")
        psycopg.connect(DSN).cursor().execute("select 3")
        """
    )
    assert spans == [["postgres.query", "select 2", "postgres"], ["postgres.query", "select 3", "postgres"]]


def test_direct_patch_imports_installed_drivers():
    spans, proc = run(
        """
        from ddtrace.contrib.psycopg import patch as p
        assert p.patch() is True
        print("IMPORTED=%s,%s" % ("psycopg2" in sys.modules, "psycopg" in sys.modules))
        import psycopg2
        psycopg2.connect(DSN).cursor().execute("select 4")
        """
    )
    assert "IMPORTED=True,True" in proc.stdout
    assert spans == [["postgres.query", "select 4", "postgres"]]


def test_double_patch():
    spans, _ = run(
        """
        import psycopg2, psycopg
        from ddtrace.contrib.psycopg import patch as p
        assert p.patch() is True
        assert p.patch() is False
        from ddtrace._monkey import patch
        patch(psycopg=True)
        c = psycopg2.connect(DSN)
        assert type(c.__wrapped__) is psycopg2.extensions.connection, type(c.__wrapped__)
        c3 = psycopg.connect(DSN)
        assert type(c3.__wrapped__) is psycopg.Connection, type(c3.__wrapped__)
        c.cursor().execute("select 5")
        c3.cursor().execute("select 6")
        """
    )
    assert [s[1] for s in spans] == ["select 5", "select 6"]


def test_unpatch_and_repatch():
    spans, _ = run(
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
        plain = psycopg2.connect(DSN)
        assert type(plain) is psycopg2.extensions.connection
        plain.cursor().execute("select 'untraced'")
        assert type(psycopg.connect(DSN)) is psycopg.Connection
        traced.cursor().execute("select 'still traced'")
        p.patch()
        psycopg2.connect(DSN).cursor().execute("select 'again'")
        psycopg.connect(DSN).cursor().execute("select 'again 3'")
        """
    )
    assert [s[1] for s in spans] == ["select 'still traced'", "select 'again'", "select 'again 3'"]


def test_patch_all_enables_psycopg():
    spans, _ = run(
        """
        from ddtrace._monkey import patch_all
        patch_all()
        import psycopg2
        psycopg2.connect(DSN).cursor().execute("select 7")
        """
    )
    assert spans == [["postgres.query", "select 7", "postgres"]]


def test_disabled_by_environment():
    spans, _ = run(
        """
        from ddtrace._monkey import patch_all
        patch_all()
        import psycopg2, psycopg
        psycopg2.connect(DSN).cursor().execute("select 8")
        psycopg.connect(DSN).execute("select 9")
        """,
        DD_TRACE_PSYCOPG_ENABLED="false",
    )
    assert spans == []


def test_service_and_fetch_methods_from_environment():
    spans, _ = run(
        """
        from ddtrace._monkey import patch
        patch(psycopg=True)
        import psycopg2
        cur = psycopg2.connect(DSN).cursor()
        cur.execute("select 10")
        cur.fetchall()
        """,
        DD_PSYCOPG_SERVICE="orders-db",
        DD_PSYCOPG_TRACE_FETCH_METHODS="true",
        DD_SERVICE="web",
    )
    assert spans == [
        ["postgres.query", "select 10", "orders-db"],
        ["postgres.query.fetchall", "select 10", "orders-db"],
    ]


def test_ddtrace_run():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DD_", "_DD_"))}
    env.update(PYTHONPATH=ROOT, DD_TRACE_STARTUP_LOGS="false", DD_SERVICE="web")
    code = PRELUDE + textwrap.dedent(
        """
        import psycopg2
        c = psycopg2.connect(DSN)
        print("TYPE=" + type(c).__name__)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-m", "ddtrace.commands.ddtrace_run", sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "TYPE=Psycopg2TracedConnection" in proc.stdout, proc.stdout
