import logging
import os
import subprocess
import sys

import pytest

from ddtrace.settings import Config
from ddtrace.settings import _agent


def clean_environ(**env):
    """os.environ without any DD_* variable, plus ``env``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("DD_")}
    base.update(env)
    return base


def run_python(code, **env):
    """Run ``code`` in a fresh interpreter with only the given DD_* variables set."""
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=clean_environ(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture
def sockets(monkeypatch):
    """The set of socket paths that "exist" for the agent address rules (none by default)."""
    present = set()
    monkeypatch.setattr(_agent, "path_exists", present.__contains__)
    return present


@pytest.fixture
def load(caplog, sockets):
    """``load({"DD_X": "y"})`` -> a loaded Config read from that environment only.

    ``load.warnings`` holds the texts of the warnings that load logged.
    """
    caplog.set_level(logging.WARNING, logger="ddtrace.settings")

    def _load(environ=None):
        caplog.clear()
        config = Config(environ=dict(environ or {}))
        config._ensure_loaded()
        _load.warnings = [r.getMessage() for r in caplog.records if r.name == "ddtrace.settings"]
        return config

    _load.warnings = []
    return _load
