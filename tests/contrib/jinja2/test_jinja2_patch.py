"""Patch lifecycle of the Jinja2 integration, each case in a fresh interpreter."""
import json
import os
import subprocess
import sys
import textwrap

import pytest


pytestmark = pytest.mark.subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

PRELUDE = """
import atexit, json, sys
from ddtrace.internal.writer import InMemoryWriter
from ddtrace.trace import tracer
_w = InMemoryWriter()
tracer.configure(writer=_w)

def _dump():
    spans = sorted((s for t in _w.pop_traces() for s in t), key=lambda s: s.start_ns)
    print("SPANS=" + json.dumps([[s.name, s.resource, s.service] for s in spans]))

atexit.register(_dump)
"""


def run(code, **env):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DD_", "_DD_"))}
    full_env.update(env)
    full_env["PYTHONPATH"] = ROOT
    full_env.setdefault("DD_TRACE_STARTUP_LOGS", "false")
    proc = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)], capture_output=True, text=True, env=full_env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.startswith("SPANS=")]
    assert len(lines) == 1, proc.stdout
    return json.loads(lines[0][len("SPANS="):])


RENDERED = [["jinja2.compile", "<memory>", None], ["jinja2.render", "<memory>", None]]


def test_patch_before_import():
    assert run(
        """
        from ddtrace import patch
        patch(jinja2=True)
        assert "jinja2" not in sys.modules
        import jinja2
        assert jinja2.Template("{{ 1 }}").render() == "1"
        """
    ) == RENDERED


def test_patch_all():
    assert run(
        """
        from ddtrace import patch_all
        patch_all()
        import jinja2
        jinja2.Template("x").render()
        """
    ) == RENDERED


def test_patch_after_import_and_double_patch():
    assert run(
        """
        import jinja2
        from ddtrace.contrib.jinja2 import patch as p
        assert p.patch() is True
        assert p.patch() is False
        jinja2.Template("x").render()
        """
    ) == RENDERED


def test_unpatch_and_repatch():
    assert run(
        """
        import jinja2
        from ddtrace.contrib.jinja2 import patch as p
        p.patch()
        assert p.unpatch() is True
        assert p.unpatch() is False
        jinja2.Template("untraced").render()
        p.patch()
        jinja2.Template("traced").render()
        """
    ) == RENDERED


def test_disabled_and_service_from_environment():
    assert run(
        """
        import jinja2
        from ddtrace.contrib.jinja2 import patch as p
        p.patch()
        jinja2.Template("x").render()
        """,
        DD_TRACE_JINJA2_ENABLED="false",
    ) == []
    assert run(
        """
        import jinja2
        from ddtrace.contrib.jinja2 import patch as p
        p.patch()
        jinja2.Template("x").render()
        """,
        DD_SERVICE="web",
        DD_JINJA2_SERVICE="templates",
    ) == [["jinja2.compile", "<memory>", "templates"], ["jinja2.render", "<memory>", "templates"]]
