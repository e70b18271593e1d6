"""``ddtrace-run``: runs the command untouched, enables the default integrations,
``--info`` and ``-d``. Every test runs real interpreters."""
import json
import os
import subprocess
import sys

import pytest

from ddtrace.commands import ddtrace_run
from tests.contrib.kit import HTTPTestServer
from tests.contrib.kit import ROOT
from tests.contrib.kit import free_port
from tests.contrib.kit import python_env

pytestmark = pytest.mark.subprocess


def _installed(name):
    import importlib.util

    return importlib.util.find_spec(name) is not None


#: For the tests that show a real library patched (the suite's venv installs them).
needs_http_libs = pytest.mark.skipif(
    not (_installed("requests") and _installed("urllib3")), reason="requests and urllib3 are not installed"
)


def ddtrace_run_cmd(*args):
    script = os.path.join(os.path.dirname(sys.executable), "ddtrace-run")
    if os.path.exists(script):
        return [script] + list(args)
    return [sys.executable, "-m", "ddtrace.commands.ddtrace_run"] + list(args)


def run(*args, env=None, cwd=None):
    import subprocess

    return subprocess.run(
        ddtrace_run_cmd(*args), env=env or python_env(), capture_output=True, text=True, timeout=60, cwd=cwd
    )


def test_argv_exit_code_and_output_are_kept():
    proc = run(sys.executable, "-c", "import sys; print(sys.argv[1:]); sys.stderr.write('err'); sys.exit(7)", "a", "--b")
    assert proc.returncode == 7
    assert proc.stdout == "['a', '--b']\n"
    assert proc.stderr == "err"


def test_exec_replaces_the_process():
    # Same pid: nothing sits between the caller and the program (signals, exit codes).
    import subprocess

    p = subprocess.Popen(
        ddtrace_run_cmd(sys.executable, "-c", "import os; print(os.getpid())"),
        env=python_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    out, _ = p.communicate(timeout=60)
    assert int(out) == p.pid


def test_script_with_its_own_arguments(tmp_path):
    script = tmp_path / "app.py"
    script.write_text("import sys\nprint(sys.argv)\n")
    proc = run("python" if os.path.basename(sys.executable) == "python" else sys.executable, str(script), "-d", "--info")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == repr([str(script), "-d", "--info"])


@needs_http_libs
def test_default_integrations_are_patched():
    code = "import requests, urllib3, ddtrace._monkey as m; print([n for n in m.get_patched_modules() if n in ('requests', 'urllib3')])"
    proc = run(sys.executable, "-c", code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['requests']"


@needs_http_libs
def test_patch_modules_and_enabled_variables():
    code = "import requests, urllib3, ddtrace._monkey as m; print([n for n in m.get_patched_modules() if n in ('requests', 'urllib3')])"
    proc = run(sys.executable, "-c", code, env=python_env(DD_PATCH_MODULES="requests:false,urllib3:true"))
    assert proc.stdout.strip() == "['urllib3']", proc.stderr
    proc = run(sys.executable, "-c", code, env=python_env(DD_TRACE_REQUESTS_ENABLED="false"))
    assert proc.stdout.strip() == "[]", proc.stderr


def test_nothing_instrumented_is_imported_at_start():
    code = "import sys; print(sorted(m for m in ('requests', 'urllib3', 'http.client', 'wrapt', 'asyncio') if m in sys.modules))"
    proc = run(sys.executable, "-c", code)
    assert proc.stdout.strip() == "[]", proc.stderr


@needs_http_libs
def test_child_processes_are_traced_too():
    code = (
        "import subprocess, sys; "
        "print(subprocess.run([sys.executable, '-c', 'import requests, ddtrace._monkey as m; "
        "print(\\'requests\\' in m.get_patched_modules())'], capture_output=True, text=True).stdout.strip())"
    )
    proc = run(sys.executable, "-c", code)
    assert proc.stdout.strip() == "True", proc.stderr


@needs_http_libs
def test_traces_reach_the_agent(tmp_path):
    # A local server standing in for the agent: it records what it receives.
    with HTTPTestServer() as agent, HTTPTestServer() as app_server:
        code = "import requests; requests.get('http://127.0.0.1:%d/hello')" % app_server.port
        env = python_env(DD_TRACE_AGENT_URL=agent.url(""), DD_TRACE_API_VERSION="v0.4")
        proc = run(sys.executable, "-c", code, env=env)
        assert proc.returncode == 0, proc.stderr
        # Traced: the request carried trace headers, and the writer sent a payload at exit.
        assert "x-datadog-trace-id" in app_server.received[-1][2]
        sent = [path for _, path, _ in agent.received if path.endswith("/traces")]
        assert sent == ["/v0.4/traces"]


@needs_http_libs
def test_debug_flag():
    proc = run("-d", sys.executable, "-c", "import os, requests; print(os.environ['DD_TRACE_DEBUG'])")
    assert proc.returncode == 0
    assert proc.stdout.strip() == "true"
    assert "patched requests" in proc.stderr


def test_command_not_found():
    proc = run("dd-no-such-command-xyz")
    assert proc.returncode == 127
    assert "command not found: dd-no-such-command-xyz" in proc.stderr


def test_no_command_and_bad_option():
    proc = run()
    assert proc.returncode == 2 and "usage:" in proc.stderr
    proc = run("--frobnicate", "python")
    assert proc.returncode == 2 and "unknown option --frobnicate" in proc.stderr


def test_help_and_version():
    proc = run("--help")
    assert proc.returncode == 0 and "usage: ddtrace-run" in proc.stdout
    proc = run("-v")
    from ddtrace.version import __version__

    assert proc.stdout.strip() == "ddtrace %s" % __version__


def test_info_agent_unreachable():
    port = free_port()
    env = python_env(DD_TRACE_AGENT_URL="http://127.0.0.1:%d" % port, DD_SERVICE="checkout", DD_ENV="staging")
    proc = run("--info", env=env)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    from ddtrace.version import __version__

    assert out.startswith("ddtrace %s\n" % __version__)
    assert "NOT REACHABLE" in out and "127.0.0.1:%d" % port in out
    lines = out.splitlines()
    service = [line for line in lines if line.strip().startswith("DD_SERVICE ")][0]
    assert service.split() == ["DD_SERVICE", "checkout", "env"]
    env_line = [line for line in lines if line.strip().startswith("DD_ENV ")][0]
    assert env_line.split() == ["DD_ENV", "staging", "env"]
    version_line = [line for line in lines if line.strip().startswith("DD_VERSION ")][0]
    assert version_line.split() == ["DD_VERSION", "None", "default"]


@needs_http_libs
def test_info_agent_reachable_and_integrations():
    import requests as _requests
    import urllib3 as _urllib3

    info = {"version": "7.99.0", "endpoints": ["/v0.4/traces", "/v0.5/traces", "/info"]}
    with HTTPTestServer(info=info) as agent:
        env = python_env(DD_TRACE_AGENT_URL=agent.url(""), DD_PATCH_MODULES="urllib3:true")
        proc = run("--info", env=env)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "reachable, agent version 7.99.0" in out
    assert "traces are sent to /v0.5/traces" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith("  ") and len(line.split()) >= 4}
    assert rows["requests"][:4] == ["requests", "yes", "default", _requests.__version__]
    assert rows["urllib3"][:4] == ["urllib3", "yes", "DD_PATCH_MODULES", _urllib3.__version__]
    assert rows["httplib"][:3] == ["httplib", "no", "default"]
    assert "flask" in rows
    # Only what exists: no row for an integration not written yet, none in "enabled in code".
    assert "tornado" not in out and "gunicorn" not in out
    code = [line for line in out.splitlines() if "enabled in code" in line][0]
    assert code.split(": ")[1].split(", ") == ["asgi", "djangorestframework", "wsgi"]
    assert "DD_RUNTIME_METRICS_ENABLED" not in out and "DD_DOGSTATSD_URL" not in out


def test_info_lists_integration_settings_with_their_source():
    env = python_env(DD_TRACE_AGENT_URL="http://127.0.0.1:%d" % free_port(), DD_REDIS_CMD_MAX_LENGTH="50",
                     DD_REQUESTS_SERVICE="outbound")
    proc = run("--info", env=env)
    assert proc.returncode == 0, proc.stderr
    settings = proc.stdout.split("Integration settings:")[1].splitlines()
    rows = {line.split()[0]: line.split()[1:] for line in settings if line.startswith("  DD_")}
    assert rows["DD_REDIS_CMD_MAX_LENGTH"] == ["50", "env"]
    assert rows["DD_REDIS_RESOURCE_ONLY_COMMAND"] == ["True", "default"]
    assert rows["DD_REQUESTS_SERVICE"] == ["outbound", "env"]
    assert "DD_FLASK_SERVICE" not in rows  # common settings: only when set


@needs_http_libs
def test_info_reports_unsupported_versions():
    report = ddtrace_run.integration_report({})
    by_name = {r["name"]: r for r in report}
    assert by_name["requests"]["ok"] is True and by_name["requests"]["supported"] == "2.20 - 2.x"
    assert by_name["futures"]["installed"] == [("concurrent.futures.thread", "")]


def test_info_status_column_in_a_patched_process():
    # Called from an application that patched: each integration's state, a failed patch as failed.
    code = """
import io
import ddtrace.contrib.logging.patch as pm
@pm.integration.on_import("logging")
def broken(module):
    raise RuntimeError("patch bug")
import ddtrace._monkey as m
m.patch(logging=True, asyncio=True)
import logging, asyncio
from ddtrace.commands.ddtrace_run import _integration_lines
for line in _integration_lines():
    print(line)
"""
    proc = subprocess.run([sys.executable, "-c", code], env=python_env(), capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    lines = {line.split()[0]: line for line in proc.stdout.splitlines()}
    assert lines["integration"].split()[-1] == "status"
    assert lines["asyncio"].endswith("  patched")
    assert lines["futures"].endswith("  not requested")
    assert lines["logging"].endswith("  FAILED: see the log")


def test_info_imports_no_instrumented_library():
    code = (
        "import sys, io\n"
        "from ddtrace.commands.ddtrace_run import print_info\n"
        "print_info(io.StringIO())\n"
        "print(sorted(m for m in ('requests', 'urllib3', 'wrapt') if m in sys.modules))\n"
    )
    import subprocess

    proc = subprocess.run([sys.executable, "-c", code], env=python_env(), capture_output=True, text=True, cwd=ROOT)
    assert proc.stdout.strip() == "[]", proc.stderr


def test_agent_status_parses_info():
    info = {"version": "7.50.0", "endpoints": ["/v0.4/traces"]}
    with HTTPTestServer(info=info) as agent:
        status = ddtrace_run.agent_status(agent.url(""), timeout=5)
    assert status["reachable"] and status["version"] == "7.50.0" and status["api"] == "v0.4"
    assert json.dumps(status)


def test_script_that_is_not_executable(tmp_path):
    """``ddtrace-run ./script.py`` on a file without the executable bit: say so and exit
    126, as a shell does (it said "command not found", 127)."""
    script = tmp_path / "script.py"
    script.write_text("print('ran')\n")
    script.chmod(0o644)
    proc = run("./script.py", cwd=str(tmp_path))
    assert proc.returncode == 126, proc.stderr
    assert "not executable" in proc.stderr and "command not found" not in proc.stderr
    proc = run(str(tmp_path), cwd=str(tmp_path))
    assert proc.returncode == 126 and "is a directory" in proc.stderr
    proc = run("./missing.py", cwd=str(tmp_path))
    assert proc.returncode == 127 and "no such file" in proc.stderr


def test_script_that_is_executable(tmp_path):
    script = tmp_path / "script.py"
    script.write_text("#!%s\nprint('ran')\n" % sys.executable)
    script.chmod(0o755)
    proc = run("./script.py", cwd=str(tmp_path))
    assert proc.returncode == 0 and proc.stdout == "ran\n", proc.stderr


def test_a_bad_setting_is_reported_once():
    """DD_TRACE_<NAME>_ENABLED is read by patch_all() and by the integration's own
    settings; the user reads about a bad value once."""
    env = python_env(DD_TRACE_SQLITE3_ENABLED="maybe", DD_TRACE_SAMPLE_RATE="abc")
    code = "import sqlite3\nfrom ddtrace import tracer\nsqlite3.connect(':memory:').execute('select 1')\ntracer.trace('x').finish()\n"
    proc = run(sys.executable, "-c", code, env=env)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert len([line for line in lines if "DD_TRACE_SQLITE3_ENABLED" in line]) == 1, proc.stderr
    assert len([line for line in lines if "DD_TRACE_SAMPLE_RATE" in line]) == 1, proc.stderr


def test_info_redacts_credentials_in_the_agent_url():
    port = free_port()
    env = python_env(DD_TRACE_AGENT_URL="http://user:s3cret@127.0.0.1:%d" % port)
    proc = run("--info", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "s3cret" not in proc.stdout + proc.stderr and "user:" not in proc.stdout
    assert "http://***@127.0.0.1:%d" % port in proc.stdout
