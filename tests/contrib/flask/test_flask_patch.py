"""Patch lifecycle of the Flask integration, each case in a fresh interpreter."""
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
    spans = sorted((s for t in _w.pop_traces() for s in t), key=lambda s: s.start_ns)
    print("SPANS=" + json.dumps([[s.name, s.resource, s.service] for s in spans]))

atexit.register(_dump)

def make_app(flask):
    app = flask.Flask("lifecycle")

    @app.before_request
    def before():
        pass

    @app.route("/users/<int:user_id>")
    def user(user_id):
        return flask.jsonify(id=user_id)

    return app

def call(app, path="/users/1", **kwargs):
    r = app.test_client().get(path, **kwargs)
    r.get_data()
    r.close()
    return r
"""


def run(code, **env):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DD_", "_DD_"))}
    full_env.update(env)
    full_env["PYTHONPATH"] = ROOT
    full_env.setdefault("DD_TRACE_STARTUP_LOGS", "false")
    proc = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning:ddtrace", "-c", PRELUDE + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.startswith("SPANS=")]
    assert len(lines) == 1, proc.stdout
    return json.loads(lines[0][len("SPANS="):]), proc


FULL = [
    "flask.request",
    "flask.application",
    "flask.preprocess_request",
    "__main__.before",
    "flask.dispatch_request",
    "__main__.user",
    "flask.jsonify",
    "flask.process_response",
    "flask.do_teardown_request",
    "flask.do_teardown_appcontext",
    "flask.response",
]


def test_patch_before_import():
    spans, proc = run(
        """
        from ddtrace import patch
        patch(flask=True)
        assert "flask" not in sys.modules
        import flask
        app = make_app(flask)
        call(app)
        """
    )
    assert [s[0] for s in spans] == FULL
    assert spans[0][1] == "GET /users/<int:user_id>"


def test_patch_after_import():
    spans, _ = run(
        """
        import flask
        from ddtrace import patch
        patch(flask=True)
        call(make_app(flask))
        """
    )
    assert [s[0] for s in spans] == FULL


def test_patch_module_imported_before_the_library():
    # The patch module imports flask itself: the hook that fires inside that import
    # must wait for the patch module to be complete, then patch.
    spans, proc = run(
        """
        from ddtrace import patch
        patch(flask=True)
        assert "flask" not in sys.modules
        from ddtrace.contrib.flask import patch as p
        import flask
        assert getattr(flask, "_datadog_patch", False)
        call(make_app(flask))
        """
    )
    assert "internal error" not in proc.stderr
    assert [s[0] for s in spans] == FULL


def test_patch_module_after_import():
    spans, _ = run(
        """
        import flask
        from ddtrace.contrib.flask import patch as p
        assert p.patch() is True
        call(make_app(flask))
        """
    )
    assert [s[0] for s in spans] == FULL


def test_app_created_before_patching():
    spans, _ = run(
        """
        import flask
        app = make_app(flask)
        from ddtrace.contrib.flask import patch as p
        p.patch()
        call(app)
        """
    )
    # Requests and Flask's steps are traced; functions registered earlier are not
    # (flask.jsonify was looked up on the module at call time, so it is).
    assert [s[0] for s in spans] == [n for n in FULL if not n.startswith("__main__.")]
    assert spans[0][1] == "GET /users/<int:user_id>"


def test_double_patch():
    spans, _ = run(
        """
        import flask
        from ddtrace.contrib.flask import patch as p
        assert p.patch() is True
        assert p.patch() is False
        from ddtrace import patch
        patch(flask=True)
        call(make_app(flask))
        """
    )
    assert [s[0] for s in spans] == FULL


def test_unpatch_and_repatch():
    spans, _ = run(
        """
        import flask
        from ddtrace.contrib.flask import patch as p
        original = flask.Flask.__dict__["wsgi_app"]
        p.patch()
        app = make_app(flask)
        assert p.unpatch() is True
        assert p.unpatch() is False
        assert flask.Flask.__dict__["wsgi_app"] is original
        assert not getattr(flask, "_datadog_patch", False)
        call(app, "/users/2")
        p.patch()
        call(app, "/users/3")
        """
    )
    # Only the second request; the app's functions still carry their (now active) wrappers.
    assert [s[0] for s in spans] == FULL


def test_patch_all_enables_flask():
    spans, _ = run(
        """
        from ddtrace import patch_all
        patch_all()
        import flask
        call(make_app(flask))
        """
    )
    assert [s[0] for s in spans] == FULL


def test_disabled_by_environment():
    spans, _ = run(
        """
        import flask
        from ddtrace.contrib.flask import patch as p
        p.patch()
        r = call(make_app(flask))
        assert r.status_code == 200
        """,
        DD_TRACE_FLASK_ENABLED="false",
    )
    assert spans == []


def test_service_from_environment():
    spans, _ = run(
        """
        import flask
        from ddtrace.contrib.flask import patch as p
        p.patch()
        call(make_app(flask))
        """,
        DD_SERVICE="web",
    )
    assert {s[2] for s in spans} == {"web"}
    spans, _ = run(
        """
        import flask
        from ddtrace.contrib.flask import patch as p
        p.patch()
        call(make_app(flask))
        """,
        DD_SERVICE="web",
        DD_FLASK_SERVICE="flask-frontend",
    )
    assert {s[2] for s in spans} == {"flask-frontend"}


def test_distributed_tracing_off_from_environment():
    spans, proc = run(
        """
        import flask
        from ddtrace.contrib.flask import patch as p
        from ddtrace.trace import tracer
        p.patch()
        seen = []
        app = make_app(flask)

        @app.route("/ids")
        def ids():
            span = tracer.current_root_span()
            seen.append((span.trace_id % (1 << 64), span.parent_id))
            return "ok"

        call(app, "/ids", headers={"x-datadog-trace-id": "12", "x-datadog-parent-id": "34"})
        print("SEEN=%s" % (seen,))
        """,
        DD_FLASK_DISTRIBUTED_TRACING="false",
    )
    assert "SEEN=[(" in proc.stdout
    assert ", 0)]" in proc.stdout and "(12, 34)" not in proc.stdout
