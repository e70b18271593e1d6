"""The import rules of ARCHITECTURE.md's rooms, checked by import-linter (the contracts
are in pyproject.toml): the core never imports the integrations, ``internal`` never
imports ``trace``, ``settings`` only ``internal``."""
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_import_contracts_are_kept():
    exe = shutil.which("lint-imports", path=os.path.dirname(sys.executable)) or shutil.which("lint-imports")
    assert exe, "import-linter is not installed in this venv (riotfile: the framework suite)"
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run([exe, "--config", os.path.join(ROOT, "pyproject.toml")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout
