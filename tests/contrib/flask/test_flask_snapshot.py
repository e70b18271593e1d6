"""Snapshots of the Flask integration's traces, sent through the test agent: through the
test client, through a real werkzeug server, and from an app run by ``ddtrace-run``."""
import http.client
import os
import subprocess
import sys
import textwrap

import pytest


from .support import FLASK_VERSION
from .support import make_app
from .support import serving

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

# The Flask version (and so werkzeug's) differs between the two ends of the range.
IGNORES = ["meta.flask.version", "meta.jinja2.template_path"]
# Flask 1.0 answers an unhandled exception without running after_request functions
# (1.1 and later do): its traces of a 500 have no flask.process_response.
FLASK_1_0 = FLASK_VERSION < (1, 1)


def _name(test):
    return "tests.contrib.flask.test_flask_snapshot.%s%s" % (test, "_flask1_0" if FLASK_1_0 else "")


@pytest.fixture
def flask_app(snapshot):
    from ddtrace.contrib.flask import patch as flask_patch
    from ddtrace.contrib.jinja2 import patch as jinja2_patch
    from ddtrace.settings import config
    from ddtrace.settings._env import DEFAULT_QUERY_STRING_REGEXP

    config.service = "flask-snapshot"
    flask_patch.patch()
    jinja2_patch.patch()
    saved = (config._obfuscation_query_string_regexp, config._http_server_error_statuses)
    config._obfuscation_query_string_regexp = DEFAULT_QUERY_STRING_REGEXP
    config._http_server_error_statuses = frozenset(range(500, 600))
    try:
        yield make_app()
    finally:
        config._obfuscation_query_string_regexp, config._http_server_error_statuses = saved
        flask_patch.unpatch()
        jinja2_patch.unpatch()


def _get(client, path, method="GET", headers=None):
    all_headers = {"User-Agent": "snapshot-client"}
    all_headers.update(headers or {})
    response = client.open(path, method=method, headers=all_headers)
    response.get_data()
    response.close()
    return response.status_code


@pytest.mark.snapshot(ignores=IGNORES, wait_for_num_traces=9, name=_name("test_flask_test_client"))
def test_flask_test_client(flask_app):
    client = flask_app.test_client()
    assert _get(client, "/users/42?page=2&token=secret") == 200
    assert _get(client, "/template") == 200
    assert _get(client, "/nowhere") == 404
    assert _get(client, "/users/3", method="POST") == 405
    assert _get(client, "/boom") == 500
    assert _get(client, "/handled") == 418
    assert _get(client, "/bp/item/pen") == 200
    assert _get(client, "/stream") == 200
    assert (
        _get(
            client,
            "/hello/remote",
            headers={"x-datadog-trace-id": "1234", "x-datadog-parent-id": "5678", "x-datadog-sampling-priority": "1"},
        )
        == 200
    )


def _http_get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        # A fixed Host keeps the random port out of http.url.
        conn.putrequest("GET", path, skip_host=True)
        conn.putheader("Host", "testserver")
        conn.putheader("User-Agent", "snapshot-client")
        conn.endheaders()
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


@pytest.mark.snapshot(ignores=IGNORES, wait_for_num_traces=3, name=_name("test_flask_werkzeug_server"))
def test_flask_werkzeug_server(flask_app, snapshot):
    with serving(flask_app) as server:
        assert _http_get(server.port, "/users/7") == 200
        assert _http_get(server.port, "/boom") == 500
        assert _http_get(server.port, "/stream") == 200
        # The server finishes the traces on its own threads.
        snapshot.received()


TINY_APP = """
import sqlite3
import sys

from flask import Flask, jsonify, render_template_string

app = Flask("tiny")


@app.route("/users/<int:user_id>")
def user(user_id):
    conn = sqlite3.connect(":memory:")
    conn.execute("create table users (id integer primary key, name text)")
    conn.execute("insert into users values (?, ?)", (user_id, "ann"))
    (name,) = conn.execute("select name from users where id = ?", (user_id,)).fetchone()
    return jsonify(id=user_id, name=name)


@app.route("/page")
def page():
    return render_template_string("<p>{{ who }}</p>", who="tiny")


client = app.test_client()
for path in ("/users/1", "/page"):
    response = client.get(path, headers={"User-Agent": "snapshot-client"})
    assert response.status_code == 200, response.status_code
    response.get_data()
    response.close()
print("served")
"""


@pytest.mark.snapshot(ignores=IGNORES, wait_for_num_traces=2)
def test_flask_ddtrace_run(snapshot, tmp_path):
    script = tmp_path / "tiny_app.py"
    script.write_text(textwrap.dedent(TINY_APP))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DD_", "_DD_"))}
    env.update(snapshot.session.env())
    env.update(
        {
            "PYTHONPATH": ROOT,
            "DD_SERVICE": "tiny-flask",
            "DD_TRACE_STARTUP_LOGS": "false",
            "DD_TRACE_SAMPLING_RULES": "",
        }
    )
    runner = os.path.join(os.path.dirname(sys.executable), "ddtrace-run")
    cmd = [runner] if os.path.exists(runner) else [sys.executable, "-m", "ddtrace.commands.ddtrace_run"]
    proc = subprocess.run(
        cmd + [sys.executable, str(script)], env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "served" in proc.stdout
