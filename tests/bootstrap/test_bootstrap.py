"""The bootstrap ``sitecustomize`` and ``import ddtrace.auto``."""
import os
import subprocess
import sys

import pytest

from tests.contrib.kit import python_env
from tests.contrib.kit import run_python

pytestmark = pytest.mark.subprocess

BOOTSTRAP = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "ddtrace", "bootstrap"
)


def _with_bootstrap(env, *extra):
    env = dict(env)
    env["PYTHONPATH"] = os.pathsep.join([BOOTSTRAP] + list(extra) + [env.get("PYTHONPATH", "")])
    return env


def test_users_sitecustomize_still_runs(tmp_path):
    (tmp_path / "sitecustomize.py").write_text("import os\nMARK = 'user-site'\nos.environ['USER_SITE_RAN'] = '1'\n")
    env = _with_bootstrap(python_env(), str(tmp_path))
    proc = run_python(
        """
        import os, sys, sitecustomize, requests
        import ddtrace._monkey as m
        print(sitecustomize.MARK, os.environ.get("USER_SITE_RAN"), [n for n in m.get_patched_modules() if n in ('requests', 'urllib3')])
        """,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "user-site 1 ['requests']"


def test_without_a_user_sitecustomize():
    env = _with_bootstrap(python_env())
    proc = run_python(
        "import sys, sitecustomize; print(sitecustomize.__name__, sitecustomize.__file__.endswith('sitecustomize.py'))",
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "sitecustomize True"


def test_bootstrap_dir_is_not_left_on_sys_path():
    env = _with_bootstrap(python_env())
    proc = run_python("import sys, os; print(any(os.path.abspath(p) == %r for p in sys.path))" % BOOTSTRAP, env=env)
    assert proc.stdout.strip() == "False", proc.stderr


def test_broken_user_sitecustomize_is_reported_like_python_does(tmp_path):
    (tmp_path / "sitecustomize.py").write_text("raise RuntimeError('user bug')\n")
    env = _with_bootstrap(python_env(), str(tmp_path))
    plain = subprocess.run(
        [sys.executable, "-c", "print('ran')"],
        env=dict(python_env(), PYTHONPATH=str(tmp_path) + os.pathsep + python_env()["PYTHONPATH"]),
        capture_output=True,
        text=True,
    )
    traced = run_python("print('ran')", env=env)
    assert traced.stdout == plain.stdout == "ran\n"
    assert "user bug" in traced.stderr and "user bug" in plain.stderr


def test_tracing_disabled_patches_nothing():
    env = _with_bootstrap(python_env(DD_TRACE_ENABLED="false"))
    proc = run_python("import requests, ddtrace._monkey as m; print([n for n in m.get_patched_modules() if n in ('requests', 'urllib3')])", env=env)
    assert proc.stdout.strip() == "[]", proc.stderr


def test_ddtrace_auto():
    proc = run_python(
        """
        import ddtrace.auto
        import ddtrace.auto  # twice: once
        import sys, requests, urllib3
        import ddtrace._monkey as m
        print([n for n in m.get_patched_modules() if n in ('requests', 'urllib3')])
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['requests']"


def test_ddtrace_auto_patches_already_imported_libraries():
    proc = run_python(
        """
        import requests
        import ddtrace.auto
        import ddtrace.contrib.requests.patch as pm
        print(pm.integration.is_patched())
        """
    )
    assert proc.stdout.strip() == "True", proc.stderr


def test_ddtrace_auto_with_debug():
    proc = run_python("import ddtrace.auto, requests", env=python_env(DD_TRACE_DEBUG="true"))
    assert proc.returncode == 0
    assert "patched requests" in proc.stderr
