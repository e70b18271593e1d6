"""One trace across two services, through real processes.

A client program under ``ddtrace-run`` calls, with ``requests``, a Flask app that
gunicorn serves under ``ddtrace-run``; the app queries PostgreSQL and Redis. Both
send to the same test agent. For every propagation style the agent must receive one
trace in which the server's root span is the child of the client's request span, and
the client's sampling decision (user keep) is the server's too.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest

pytest.importorskip("flask")
pytest.importorskip("psycopg2")
pytest.importorskip("redis")
pytest.importorskip("gunicorn")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXAMPLES = os.path.join(ROOT, "examples")  # the same two programs `make demo` runs
BIN = os.path.dirname(sys.executable)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url, proc, timeout=30.0):
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        if proc.poll() is not None:
            raise AssertionError("the server exited with %s: %s" % (proc.returncode, proc.stderr.read()))
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the server did not answer in %.0f s" % timeout)


def _env(agent_url, token, style):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DD_")}
    env.update(
        {
            "DD_TRACE_AGENT_URL": agent_url,
            "DD_TRACE_PROPAGATION_STYLE": style,
            "DD_ENV": "e2e",
            "_DD_TRACE_WRITER_ADDITIONAL_HEADERS": "X-Datadog-Test-Session-Token:" + token,
            "PYTHONPATH": os.pathsep.join([EXAMPLES, ROOT, env.get("PYTHONPATH", "")]),
        }
    )
    return env


def _spans(agent_url, token, want, timeout=20.0):
    give_up = time.monotonic() + timeout
    spans = []
    while time.monotonic() < give_up:
        with urllib.request.urlopen("%s/test/session/traces?test_session_token=%s" % (agent_url, token)) as r:
            spans = [s for trace in json.loads(r.read() or b"[]") for s in trace]
        if want(spans):
            return spans
        time.sleep(0.3)
    return spans


@pytest.mark.parametrize("style", ["datadog", "tracecontext", "b3multi", "b3"])
def test_one_trace_across_two_services(test_agent, style):
    token = "e2e-%s-%s" % (style, uuid.uuid4().hex[:8])
    urllib.request.urlopen("%s/test/session/start?test_session_token=%s" % (test_agent.url, token)).read()
    port = _free_port()
    server_env = _env(test_agent.url, token, style)
    server_env["DD_SERVICE"] = "shop"
    server = subprocess.Popen(
        [
            os.path.join(BIN, "ddtrace-run"),
            os.path.join(BIN, "gunicorn"),
            "--bind", "127.0.0.1:%d" % port,
            "--workers", "1",
            "--chdir", EXAMPLES,
            "shop_app:app",
        ],
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = "http://127.0.0.1:%d/stock/41" % port
        _wait_until_up("http://127.0.0.1:%d/stock/0" % port, server)
        client_env = _env(test_agent.url, token, style)
        client_env["DD_SERVICE"] = "shop-client"
        out = subprocess.run(
            [os.path.join(BIN, "ddtrace-run"), sys.executable, os.path.join(EXAMPLES, "shop_client.py"), url],
            env=client_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        seen = json.loads(out.stdout.strip().splitlines()[-1])
        assert seen["answer"]["count"] == 42
    finally:
        server.send_signal(signal.SIGTERM)  # gunicorn flushes its workers' traces on the way out
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    low64 = seen["trace_id"] & (2**64 - 1)

    def complete(spans):
        mine = [s for s in spans if s["trace_id"] == low64]
        return any(s["name"] == "flask.request" for s in mine) and any(s["name"] == "requests.request" for s in mine)

    spans = _spans(test_agent.url, token, complete)
    mine = [s for s in spans if s["trace_id"] == low64]
    names = sorted({s["name"] for s in mine})
    assert complete(spans), names
    by_name = {}
    for s in mine:
        by_name.setdefault(s["name"], []).append(s)

    client_request = by_name["requests.request"][0]
    server_root = [s for s in by_name["flask.request"] if s["parent_id"] == client_request["span_id"]]
    assert server_root, "the server's root span is not the child of the client's request span"
    server_root = server_root[0]
    assert client_request["parent_id"] == seen["root_span_id"]
    assert server_root["service"] == "shop" and client_request["service"] == "requests"
    # The database and cache calls of the request are in the same trace.
    assert "postgres.query" in by_name and "redis.command" in by_name, names
    # The sampling decision travelled: user keep on both sides.
    assert server_root["metrics"]["_sampling_priority_v1"] == 2
    client_root = [s for s in mine if s["span_id"] == seen["root_span_id"]][0]
    assert client_root["metrics"]["_sampling_priority_v1"] == 2
    # Everything of the trace arrived with one 128-bit id: same high bits on both sides.
    assert client_root["meta"]["_dd.p.tid"] == server_root["meta"]["_dd.p.tid"] == "%016x" % (seen["trace_id"] >> 64)
