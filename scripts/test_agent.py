#!/usr/bin/env python3
"""Datadog's test agent (``ddapm-test-agent``), in a venv of its own under ``.test-agent/``.

    python scripts/test_agent.py install          # idempotent; quick when up to date
    python scripts/test_agent.py start [--port 0] # prints the URL, writes the PID file
    python scripts/test_agent.py stop             # kills the PID from that file only

The agent checks every payload it receives (``ENABLED_CHECKS``) and keeps the
failures per test session, for ``/test/trace_check/failures``. Besides TCP on
127.0.0.1 it listens on a Unix socket (``--uds``). ``tests/testagent.py`` imports this
module to run the agent for the test suite.
"""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

#: Checked to install and pass our suite on CPython 3.11 (the interpreter install() prefers).
TEST_AGENT_VERSION = "1.69.1"
ENABLED_CHECKS = ("trace_count_header", "meta_tracer_version_header", "trace_content_length")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOME = os.path.join(ROOT, ".test-agent")
VENV = os.path.join(HOME, "venv")
STAMP = os.path.join(VENV, ".installed")
PID_FILE = os.path.join(HOME, "agent.pid")
URL_FILE = os.path.join(HOME, "agent.url")


def _venv_bin(name):
    return os.path.join(VENV, "Scripts" if os.name == "nt" else "bin", name)


def installed():
    """Whether the pinned test agent is installed."""
    try:
        with open(STAMP) as f:
            return f.read().strip() == TEST_AGENT_VERSION and os.path.exists(_venv_bin("ddapm-test-agent"))
    except OSError:
        return False


def _python_for_venv():
    # The agent runs the same on any of our Pythons; prefer 3.11, what CI's lead venv uses.
    return shutil.which("python3.11") or sys.executable


def install(quiet=False, uv=None):
    """Create ``.test-agent/venv`` with the pinned ``ddapm-test-agent`` (no-op if present).

    :param uv: a ``uv`` executable to create the venv and install with (the test
        matrix passes its own); without one, ``venv`` and pip do it.
    """
    if installed():
        return
    os.makedirs(HOME, exist_ok=True)
    if uv:
        env = dict(os.environ, UV_PYTHON_DOWNLOADS="never")
        env.pop("VIRTUAL_ENV", None)
        if not os.path.exists(_venv_bin("python")):
            subprocess.check_call([uv, "venv", "-q", "--python", _python_for_venv(), VENV], env=env)
        cmd = [uv, "pip", "install", "-q", "--python", _venv_bin("python")]
        subprocess.check_call(cmd + ["ddapm-test-agent==%s" % TEST_AGENT_VERSION], env=env)
    else:
        if not os.path.exists(_venv_bin("python")):
            subprocess.check_call([_python_for_venv(), "-m", "venv", VENV])
        cmd = [_venv_bin("python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        subprocess.check_call(cmd + ["ddapm-test-agent==%s" % TEST_AGENT_VERSION])
    with open(STAMP, "w") as f:
        f.write(TEST_AGENT_VERSION + "\n")
    if not quiet:
        print("ddapm-test-agent %s installed in %s" % (TEST_AGENT_VERSION, VENV))


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Agent:
    """A running test agent: ``url``, ``uds_path`` (or None), ``pid``, ``log_path``."""

    def __init__(self, url, pid, uds_path=None, log_path=None, process=None):
        self.url = url
        self.pid = pid
        self.uds_path = uds_path
        self.log_path = log_path
        self.process = process
        self.temporary_log = False

    def stop(self):
        """Stop this agent (by its PID) and remove its socket directory."""
        _kill(self.pid, self.process)
        if self.uds_path:
            shutil.rmtree(os.path.dirname(self.uds_path), ignore_errors=True)
        if self.temporary_log:
            try:
                os.unlink(self.log_path)
            except OSError:
                pass

    def __repr__(self):
        return "Agent(url=%r, pid=%r, uds_path=%r)" % (self.url, self.pid, self.uds_path)


def _answers(url, timeout=1.0):
    try:
        with urllib.request.urlopen(url + "/info", timeout=timeout) as resp:
            return resp.status == 200
    except Exception:
        return False


def start(port=0, uds=True, wait=30.0, pid_file=None, log_path=None):
    """Start the test agent on 127.0.0.1 and wait until it answers.

    :param port: TCP port; 0 picks a free one.
    :param uds: also listen on a Unix socket in a new temporary directory.
    :param pid_file: where to write the PID (None: do not write one).
    :param log_path: the agent's output (default: a new temporary file).
    :returns: an :class:`Agent`.
    :raises RuntimeError: if it does not answer within ``wait`` seconds.
    """
    install(quiet=True)
    uds_path = None
    if uds and hasattr(socket, "AF_UNIX"):
        # Socket paths are limited to ~100 bytes: keep it short.
        uds_path = os.path.join(tempfile.mkdtemp(prefix="ddta-"), "apm.sock")
    temporary_log = log_path is None
    if temporary_log:
        fd, log_path = tempfile.mkstemp(prefix="ddtrace-test-agent-", suffix=".log")
        os.close(fd)
    last_error = None
    for _ in range(3):  # a port picked free may be taken before the agent binds it
        p = port or free_port()
        otlp_http, otlp_grpc = free_port(), free_port()
        if len({p, otlp_http, otlp_grpc}) < 3:
            continue
        cmd = [
            _venv_bin("ddapm-test-agent"),
            "--host=127.0.0.1",
            "--port=%d" % p,
            "--otlp-http-port=%d" % otlp_http,
            "--otlp-grpc-port=%d" % otlp_grpc,
            "--pool-trace-check-failures=true",
            "--log-level=WARNING",
        ]
        if uds_path:
            cmd.append("--trace-uds-socket=%s" % uds_path)
        env = dict(os.environ)
        for k in list(env):
            if k.startswith(("DD_", "_DD_")):
                del env[k]  # the agent must not pick up the tracer's test settings
        # Through the environment: the agent's --enabled-checks option fails to parse.
        env["ENABLED_CHECKS"] = ",".join(ENABLED_CHECKS)
        log_file = open(log_path, "ab")
        try:
            proc = subprocess.Popen(
                cmd,
                cwd=HOME,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in the terminal is not meant for it
            )
        finally:
            log_file.close()
        url = "http://127.0.0.1:%d" % p
        give_up = time.monotonic() + wait
        while time.monotonic() < give_up:
            if proc.poll() is not None:
                break
            if _answers(url) and (not uds_path or os.path.exists(uds_path)):
                if pid_file:
                    with open(pid_file, "w") as f:
                        f.write("%d\n" % proc.pid)
                    with open(URL_FILE if pid_file == PID_FILE else pid_file + ".url", "w") as f:
                        f.write(url + "\n")
                        if uds_path:
                            f.write("unix://" + uds_path + "\n")
                agent = Agent(url, proc.pid, uds_path, log_path, proc)
                agent.temporary_log = temporary_log
                return agent
            time.sleep(0.1)
        last_error = "exit code %r" % proc.poll()
        _kill(proc.pid, proc)
        if port:
            break
    try:
        with open(log_path, "rb") as f:
            tail = f.read()[-3000:].decode("utf-8", "replace")
    except OSError:
        tail = ""
    raise RuntimeError("the test agent did not start (%s); its log %s ends with:\n%s" % (last_error, log_path, tail))


def _kill(pid, process=None):
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    give_up = time.monotonic() + 10
    while time.monotonic() < give_up:
        if process is not None:
            if process.poll() is not None:
                return
        else:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    if process is not None:
        process.wait(10)


def stop(pid_file=PID_FILE):
    """Stop the agent whose PID is in ``pid_file``; False if there was none."""
    try:
        with open(pid_file) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return False
    _kill(pid)
    url_file = URL_FILE if pid_file == PID_FILE else pid_file + ".url"
    try:
        with open(url_file) as f:
            for line in f:
                if line.startswith("unix://"):
                    shutil.rmtree(os.path.dirname(line.strip()[len("unix://") :]), ignore_errors=True)
    except OSError:
        pass
    for path in (pid_file, url_file):
        try:
            os.unlink(path)
        except OSError:
            pass
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install", help="install the pinned test agent into .test-agent/venv")
    p_start = sub.add_parser("start", help="start it in the background")
    p_start.add_argument("--port", type=int, default=0, help="TCP port (0: a free one)")
    p_start.add_argument("--no-uds", action="store_true", help="do not listen on a Unix socket")
    sub.add_parser("stop", help="stop the agent started by 'start'")
    args = parser.parse_args(argv)
    if args.command == "install":
        install()
    elif args.command == "start":
        if os.path.exists(PID_FILE):
            parser.error("an agent seems to be running already (%s); run 'stop' first" % PID_FILE)
        agent = start(args.port, uds=not args.no_uds, pid_file=PID_FILE, log_path=os.path.join(HOME, "agent.log"))
        print(agent.url)
        if agent.uds_path:
            print("unix://" + agent.uds_path)
    elif args.command == "stop":
        if not stop():
            print("no agent to stop (%s not found)" % PID_FILE, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
