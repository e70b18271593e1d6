"""The application the Flask tests run (built after patching, so its functions are
traced), a real werkzeug server, and helpers to look at span trees."""
import contextlib
import os
import socketserver
import threading

import flask
from flask import Blueprint
from flask import Flask
from flask import Response
from flask import abort
from flask import g
from flask import jsonify
from flask import render_template
from flask import render_template_string
from flask import stream_with_context

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
FLASK_VERSION = tuple(int(p) for p in __import__("importlib.metadata").metadata.version("flask").split(".")[:2])


class HandledError(Exception):
    """Answered by an error handler with status 418."""


def make_app(hooks=True):
    """A Flask app with routes for every behaviour the tests look at."""
    # The traced functions are looked up at call time: ``flask.render_template`` etc.
    # are the patched ones only if the module attribute is read after patching.
    app = Flask(__name__, template_folder=TEMPLATES)
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    if hooks:

        @app.before_request
        def before():
            g.seen = True

        @app.after_request
        def after(response):
            response.headers["X-After"] = "1"
            return response

        @app.teardown_request
        def teardown(exc):
            pass

        @app.teardown_appcontext
        def teardown_app(exc):
            pass

    @app.route("/users/<int:user_id>")
    def user(user_id):
        return flask.jsonify(id=user_id)

    @app.route("/hello/<name>")
    def hello(name):
        return "hello " + name

    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")

    @app.route("/abort")
    def forbidden():
        abort(403)

    @app.route("/handled")
    def handled():
        raise HandledError("teapot")

    @app.errorhandler(HandledError)
    def handle_handled(e):
        return "handled", 418

    @app.route("/status/<int:code>")
    def status(code):
        return "status", code

    @app.route("/template")
    def template():
        return flask.render_template("page.html", name="ann")

    @app.route("/template_string")
    def template_string():
        return flask.render_template_string("hi {{ name }}", name="bob")

    @app.route("/post", methods=["POST"])
    def post():
        return "posted"

    @app.route("/stream")
    def stream():
        from ddtrace.trace import tracer

        def chunks():
            for i in range(3):
                with tracer.trace("chunk", resource=str(i)):
                    pass
                yield "chunk%d;" % i

        return Response(chunks(), mimetype="text/plain")

    @app.route("/stream_ctx")
    def stream_ctx():
        def chunks():
            yield "path=" + flask.request.path + ";"
            yield "end"

        return Response(stream_with_context(chunks()), mimetype="text/plain")

    @bp.before_request
    def bp_before():
        pass

    @bp.route("/item/<name>")
    def item(name):
        return "item " + name

    @bp.route("/fail")
    def bp_fail():
        raise KeyError("missing")

    @bp.errorhandler(KeyError)
    def bp_key_error(e):
        return "bp handled", 400

    app.register_blueprint(bp)
    return app


def template_helpers():
    """The helpers as imported by ``from flask import ...`` in this module (before patching)."""
    return render_template, render_template_string, jsonify


class Server:
    """``app`` served by werkzeug's threaded development server on 127.0.0.1."""

    def __init__(self, app):
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        # socketserver's loop: werkzeug < 2 has no poll_interval, and the default 0.5 s
        # would make every shutdown slow.
        self.thread = threading.Thread(
            target=socketserver.BaseServer.serve_forever, args=(self.server, 0.02), daemon=True
        )

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        if self.thread.is_alive():
            self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@contextlib.contextmanager
def serving(app):
    with Server(app) as s:
        yield s


def tree(spans):
    """``[(depth, name, resource)]`` in start order, children under their parent."""
    by_id = {s.span_id: s for s in spans}
    children = {}
    roots = []
    for s in sorted(spans, key=lambda s: s.start_ns):
        if s.parent_id in by_id:
            children.setdefault(s.parent_id, []).append(s)
        else:
            roots.append(s)
    out = []

    def walk(s, depth):
        out.append((depth, s.name, s.resource))
        for c in children.get(s.span_id, ()):
            walk(c, depth + 1)

    for r in roots:
        walk(r, 0)
    return out


def names(spans):
    return [name for _, name, _ in tree(spans)]


def by_name(spans, name):
    found = [s for s in spans if s.name == name]
    assert len(found) == 1, (name, [s.name for s in spans])
    return found[0]


def root_of(spans):
    roots = [s for s in spans if s.parent_id not in {x.span_id for x in spans}]
    assert len(roots) == 1, [(s.name, s.parent_id) for s in roots]
    return roots[0]
