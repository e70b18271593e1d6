"""Patch lifecycle of the Flask integration, each case in a fresh interpreter."""
import json
import textwrap

import pytest

from tests.contrib.kit import check
from tests.contrib.kit import lifecycle_tests
from tests.contrib.kit import python_env
from tests.contrib.kit import run_python

pytestmark = pytest.mark.subprocess

test_lifecycle = lifecycle_tests(
    "flask",
    span="flask.request",
    count=1,
    exercise="""
        app = flask.Flask("lifecycle")
        app.route("/users/<int:user_id>")(lambda user_id: flask.jsonify(id=user_id))
        r = app.test_client().get("/users/1")
        r.get_data()
        r.close()
    """,
)

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
    """Run ``code`` after the prelude in a fresh interpreter (deprecation warnings our
    code triggers are errors); returns the spans as ``[name, resource, service]``."""
    env = python_env(PYTHONWARNINGS="error::DeprecationWarning:ddtrace", **env)
    proc = run_python(PRELUDE + textwrap.dedent(code), env=env)
    out = check(proc)
    lines = [line for line in out.splitlines() if line.startswith("SPANS=")]
    assert len(lines) == 1, out
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


def test_spans_of_a_request_patched_before_import():
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
