"""The Flask integration through ``app.test_client()``: spans, tags, errors, settings."""
import gc

import flask
import pytest

from ddtrace.contrib._integration import distribution_version
from ddtrace.settings import config
from ddtrace.trace import Pin

from .support import FLASK_VERSION
from .support import by_name
from .support import make_app
from .support import names
from .support import root_of
from .support import tree


def get(client, path, method="GET", **kwargs):
    """Request ``path``, read and close the response (which ends the trace)."""
    response = client.open(path, method=method, **kwargs)
    data = response.get_data()
    response.close()
    return response, data


def request_spans(spans, client, path, **kwargs):
    response, data = get(client, path, **kwargs)
    return response, data, spans()


HOOKED_TAIL = [
    (1, "flask.process_response", "flask.process_response"),
    (2, "tests.contrib.flask.support.after", "tests.contrib.flask.support.after"),
    (1, "flask.do_teardown_request", "flask.do_teardown_request"),
    (2, "tests.contrib.flask.support.teardown", "tests.contrib.flask.support.teardown"),
    (1, "flask.do_teardown_appcontext", "flask.do_teardown_appcontext"),
    (2, "tests.contrib.flask.support.teardown_app", "tests.contrib.flask.support.teardown_app"),
]


def test_request_span(spans, client, monkeypatch):
    monkeypatch.setattr(config, "service", "web-app")
    response, data, got = request_spans(spans, client, "/users/42", headers={"User-Agent": "test-agent/1"})
    assert response.status_code == 200 and b'"id"' in data
    root = root_of(got)
    assert root.name == "flask.request"
    assert root.span_type == "web"
    assert root.service == "web-app"
    assert root.resource == "GET /users/<int:user_id>"
    assert root.error == 0
    assert root.parent_id == 0
    meta = root._meta
    assert meta["component"] == "flask"
    assert meta["span.kind"] == "server"
    assert meta["http.method"] == "GET"
    assert meta["http.route"] == "/users/<int:user_id>"
    assert meta["http.status_code"] == "200"
    assert meta["http.url"] == "http://localhost/users/42"
    assert meta["http.useragent"] == "test-agent/1"
    assert meta["flask.endpoint"] == "user"
    assert meta["flask.url_rule"] == "/users/<int:user_id>"
    assert meta["flask.version"] == distribution_version("flask")
    assert root._metrics["flask.view_args.user_id"] == 42
    assert root._metrics["_dd.measured"] == 1
    # Every span of the request is on the request's service.
    assert {s.service for s in got} == {"web-app"}
    assert {s._meta.get("component") for s in got} == {"flask"}


def test_span_tree(spans, client):
    _, _, got = request_spans(spans, client, "/users/1")
    assert tree(got) == [
        (0, "flask.request", "GET /users/<int:user_id>"),
        (1, "flask.application", "GET /users/<int:user_id>"),
        (2, "flask.preprocess_request", "flask.preprocess_request"),
        (3, "tests.contrib.flask.support.before", "tests.contrib.flask.support.before"),
        (2, "flask.dispatch_request", "flask.dispatch_request"),
        (3, "tests.contrib.flask.support.user", "/users/<int:user_id>"),
        (4, "flask.jsonify", "flask.jsonify"),
    ] + [(d + 1, n, r) for d, n, r in HOOKED_TAIL] + [(1, "flask.response", "flask.response")]
    app_span = by_name(got, "flask.application")
    assert app_span._meta["flask.endpoint"] == "user"
    assert app_span._meta["flask.url_rule"] == "/users/<int:user_id>"
    assert app_span._metrics["flask.view_args.user_id"] == 1
    assert all(s.error == 0 for s in got)
    assert all(s.finished for s in got)
    assert len({s.trace_id for s in got}) == 1


def test_no_hooks_is_twelve_spans_or_less(spans, patched):
    client = make_app(hooks=False).test_client()
    _, _, got = request_spans(spans, client, "/hello/ann")
    assert names(got) == [
        "flask.request",
        "flask.application",
        "flask.preprocess_request",
        "flask.dispatch_request",
        "tests.contrib.flask.support.hello",
        "flask.process_response",
        "flask.do_teardown_request",
        "flask.do_teardown_appcontext",
        "flask.response",
    ]
    assert root_of(got)._meta["flask.view_args.name"] == "ann"


def test_not_found(spans, client):
    response, _, got = request_spans(spans, client, "/nowhere")
    assert response.status_code == 404
    root = root_of(got)
    assert root.resource == "GET 404"
    assert root.error == 0
    assert root._meta["http.status_code"] == "404"
    for tag in ("http.route", "flask.endpoint", "flask.url_rule"):
        assert tag not in root._meta
    assert by_name(got, "flask.application").resource == "flask.application"
    # A routing miss is not an error of dispatch_request.
    assert by_name(got, "flask.dispatch_request").error == 0
    assert "flask.handle_http_exception" in names(got)
    assert all(s.error == 0 for s in got)


def test_method_not_allowed(spans, client):
    response, _, got = request_spans(spans, client, "/users/3", method="POST")
    assert response.status_code == 405
    root = root_of(got)
    assert root.resource == "POST 405"
    assert root.error == 0
    assert "http.route" not in root._meta
    dispatch = by_name(got, "flask.dispatch_request")
    assert dispatch.error == 1
    assert dispatch._meta["error.type"] == "werkzeug.exceptions.MethodNotAllowed"


def test_view_raises(spans, client):
    response, _, got = request_spans(spans, client, "/boom")
    assert response.status_code == 500
    root = root_of(got)
    assert root.resource == "GET /boom"
    assert root.error == 1
    assert root._meta["http.status_code"] == "500"
    assert root._meta["error.type"] == "builtins.RuntimeError"
    assert root._meta["error.message"] == "boom"
    assert "RuntimeError" in root._meta["error.stack"]
    errors = {s.name for s in got if s.error}
    assert errors == {
        "flask.request",
        "flask.dispatch_request",
        "tests.contrib.flask.support.boom",
        "flask.handle_user_exception",
    }
    for name in errors:
        assert by_name(got, name)._meta["error.type"] == "builtins.RuntimeError"
    assert by_name(got, "flask.handle_exception").error == 0
    assert by_name(got, "flask.application").error == 0


def test_propagated_exception_reaches_the_caller_unchanged(spans, patched):
    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = True
    raised = RuntimeError("propagated")

    @app.route("/raise")
    def raise_it():
        raise raised

    with pytest.raises(RuntimeError) as info:
        app.test_client().get("/raise")
    assert info.value is raised
    got = spans()
    root = root_of(got)
    assert root.error == 1
    assert root._meta["http.status_code"] == "500"
    assert root._meta["error.type"] == "builtins.RuntimeError"
    assert root.resource == "GET /raise"
    assert by_name(got, "flask.application").error == 1
    assert all(s.finished for s in got)
    assert "flask.response" not in names(got)


def test_http_exception(spans, client):
    response, _, got = request_spans(spans, client, "/abort")
    assert response.status_code == 403
    root = root_of(got)
    assert root.error == 0
    assert root.resource == "GET /abort"
    assert root._meta["http.status_code"] == "403"
    for name in ("flask.dispatch_request", "tests.contrib.flask.support.forbidden"):
        span = by_name(got, name)
        assert span.error == 1
        assert span._meta["error.type"] == "werkzeug.exceptions.Forbidden"
    assert by_name(got, "flask.handle_user_exception").error == 0
    assert by_name(got, "flask.handle_http_exception").error == 0


def test_error_handler(spans, client):
    response, data, got = request_spans(spans, client, "/handled")
    assert (response.status_code, data) == (418, b"handled")
    root = root_of(got)
    assert root.error == 0
    assert root._meta["http.status_code"] == "418"
    assert by_name(got, "tests.contrib.flask.support.handled").error == 1
    handler = by_name(got, "tests.contrib.flask.support.handle_handled")
    assert handler.parent_id == by_name(got, "flask.handle_user_exception").span_id
    assert handler.error == 0


def test_error_handler_for_500(spans, patched):
    app = make_app()

    @app.errorhandler(500)
    def server_error(e):
        return "sorry", 500

    response, data, got = request_spans(spans, app.test_client(), "/boom")
    assert (response.status_code, data) == (500, b"sorry")
    root = root_of(got)
    assert root.error == 1
    assert root._meta["error.type"] == "builtins.RuntimeError"
    handler = by_name(got, "tests.contrib.flask.test_flask.server_error")
    assert handler.parent_id == by_name(got, "flask.handle_exception").span_id


def test_status_500_returned_by_view(spans, client):
    response, _, got = request_spans(spans, client, "/status/503")
    assert response.status_code == 503
    root = root_of(got)
    assert root.error == 1
    assert "error.type" not in root._meta
    assert root.resource == "GET /status/<int:code>"


def test_status_400_is_not_an_error(spans, client):
    _, _, got = request_spans(spans, client, "/status/404")
    root = root_of(got)
    assert root.error == 0
    assert root.resource == "GET /status/<int:code>"
    assert root._meta["http.route"] == "/status/<int:code>"


def test_blueprint(spans, client):
    response, data, got = request_spans(spans, client, "/bp/item/pen")
    assert data == b"item pen"
    root = root_of(got)
    assert root.resource == "GET /bp/item/<name>"
    assert root._meta["flask.endpoint"] == "bp.item"
    assert root._meta["http.route"] == "/bp/item/<name>"
    view = by_name(got, "bp.item")
    assert view.resource == "/bp/item/<name>"
    assert view.parent_id == by_name(got, "flask.dispatch_request").span_id
    pre = by_name(got, "flask.preprocess_request")
    hooks = [s.name for s in got if s.parent_id == pre.span_id]
    assert hooks == ["tests.contrib.flask.support.before", "tests.contrib.flask.support.bp_before"]


def test_blueprint_error_handler(spans, client):
    response, data, got = request_spans(spans, client, "/bp/fail")
    assert (response.status_code, data) == (400, b"bp handled")
    assert by_name(got, "bp.bp_fail")._meta["error.type"] == "builtins.KeyError"
    handler = by_name(got, "tests.contrib.flask.support.bp_key_error")
    assert handler.parent_id == by_name(got, "flask.handle_user_exception").span_id
    assert root_of(got).error == 0


def test_blueprint_app_hooks(spans, patched):
    app = make_app(hooks=False)
    bp = flask.Blueprint("extra", __name__)

    @bp.before_app_request
    def app_wide_before():
        pass

    @bp.after_app_request
    def app_wide_after(response):
        return response

    @bp.teardown_app_request
    def app_wide_teardown(exc):
        pass

    @bp.app_errorhandler(404)
    def app_wide_404(e):
        return "nothing here", 404

    app.register_blueprint(bp)
    response, data, got = request_spans(spans, app.test_client(), "/missing")
    assert (response.status_code, data) == (404, b"nothing here")
    found = set(names(got))
    for hook in ("app_wide_before", "app_wide_after", "app_wide_teardown", "app_wide_404"):
        assert "tests.contrib.flask.test_flask." + hook in found


def test_render_template(spans, client):
    response, data, got = request_spans(spans, client, "/template")
    assert data.startswith(b"Hello ann! included")
    render = by_name(got, "flask.render_template")
    assert render.resource == "page.html"
    assert render.span_type == "template"
    assert render._meta["flask.template_name"] == "page.html"
    assert render._meta["component"] == "flask"
    assert render.parent_id == by_name(got, "tests.contrib.flask.support.template").span_id
    below = [(d, n, r) for d, n, r in tree(got) if n.startswith("jinja2.")]
    assert [(n, r) for _, n, r in below] == [
        ("jinja2.load", "page.html"),
        ("jinja2.compile", "page.html"),
        ("jinja2.render", "page.html"),
        ("jinja2.load", "inc.html"),
        ("jinja2.compile", "inc.html"),
    ]
    load = [s for s in got if s.name == "jinja2.load"][0]
    assert load.parent_id == render.span_id
    assert load._meta["jinja2.template_path"].endswith("page.html")
    # Compiled once: the second request loads from the cache.
    spans()
    _, _, got = request_spans(spans, client, "/template")
    assert [n for n in names(got) if n.startswith("jinja2.")] == ["jinja2.load", "jinja2.render", "jinja2.load"]


def test_render_template_string(spans, client):
    _, data, got = request_spans(spans, client, "/template_string")
    assert data == b"hi bob"
    render = by_name(got, "flask.render_template_string")
    assert (render.resource, render.span_type) == ("<memory>", "template")
    assert render._meta["flask.template_name"] == "<memory>"
    assert [(s.name, s.resource) for s in got if s.parent_id == render.span_id] == [
        ("jinja2.compile", "<memory>"),
        ("jinja2.render", "<memory>"),
    ]


def test_template_default_name(spans, client):
    config.flask["template_default_name"] = "inline"
    _, _, got = request_spans(spans, client, "/template_string")
    assert by_name(got, "flask.render_template_string").resource == "inline"


def test_helpers_outside_a_request(spans, app, monkeypatch):
    monkeypatch.setattr(config, "service", "worker")
    with app.app_context():
        assert flask.render_template_string("{{ 1 + 1 }}") == "2"
        flask.jsonify(ok=True)
    got = spans()
    assert [(s.name, s.parent_id, s.service) for s in got if s.name.startswith("flask.")] == [
        ("flask.render_template_string", 0, "worker"),
        ("flask.jsonify", 0, "worker"),
    ]
    # An app context outside a request is not a request: no teardown span.
    assert "flask.do_teardown_appcontext" not in names(got)


def test_view_args_collection_switch(spans, client):
    config.flask["collect_view_args"] = False
    _, _, got = request_spans(spans, client, "/hello/zoe")
    root = root_of(got)
    assert not [k for k in list(root._meta) + list(root._metrics) if k.startswith("flask.view_args")]


def test_distributed_tracing(spans, client):
    headers = {"x-datadog-trace-id": "1234", "x-datadog-parent-id": "5678", "x-datadog-sampling-priority": "2"}
    _, _, got = request_spans(spans, client, "/hello/x", headers=headers)
    root = root_of(got)
    assert root.trace_id % (1 << 64) == 1234
    assert root.parent_id == 5678
    assert root._metrics["_sampling_priority_v1"] == 2
    assert {s.trace_id for s in got} == {root.trace_id}


def test_distributed_tracing_tracecontext(spans, client):
    headers = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    _, _, got = request_spans(spans, client, "/hello/x", headers=headers)
    root = root_of(got)
    assert root.trace_id == 0x0AF7651916CD43DD8448EB211C80319C
    assert root.parent_id == 0xB7AD6B7169203331


def test_distributed_tracing_off(spans, client):
    config.flask["distributed_tracing"] = False
    headers = {"x-datadog-trace-id": "1234", "x-datadog-parent-id": "5678"}
    _, _, got = request_spans(spans, client, "/hello/x", headers=headers)
    root = root_of(got)
    assert root.parent_id == 0
    assert root.trace_id % (1 << 64) != 1234


def test_request_inside_an_active_span(spans, client):
    tracer = spans.tracer
    with tracer.trace("test.outer") as outer:
        get(client, "/hello/x")
        assert tracer.current_span() is outer
    got = spans()
    assert by_name(got, "flask.request").parent_id == outer.span_id


def test_service_settings(spans, client, monkeypatch):
    monkeypatch.setattr(config, "service", "from-dd-service")
    config.flask["service"] = "flask-service"
    _, _, got = request_spans(spans, client, "/hello/x")
    assert {s.service for s in got} == {"flask-service"}


def test_pin_service(spans, app, monkeypatch):
    monkeypatch.setattr(config, "service", "from-dd-service")
    Pin.override(app, service="pinned")
    _, _, got = request_spans(spans, app.test_client(), "/hello/x")
    assert {s.service for s in got} == {"pinned"}


def test_query_string_and_header_tags(spans, client, monkeypatch):
    monkeypatch.setattr(config, "http_header_tags", {"x-request-id": "request.id", "x-after": ""})
    _, _, got = request_spans(
        spans, client, "/hello/x?page=2&password=hunter2", headers={"X-Request-Id": "abc"}
    )
    meta = root_of(got)._meta
    assert meta["http.url"] == "http://localhost/hello/x?page=2&<redacted>"
    assert meta["request.id"] == "abc"
    assert meta["http.response.headers.x-after"] == "1"


def test_query_string_off(spans, client):
    config.flask["trace_query_string"] = False
    _, _, got = request_spans(spans, client, "/hello/x?page=2")
    assert root_of(got)._meta["http.url"] == "http://localhost/hello/x"


def test_streamed_response(spans, app):
    client = app.test_client()
    response = client.get("/stream", buffered=False)
    # The trace is open until the body is consumed and closed.
    assert spans() == []
    assert response.get_data() == b"chunk0;chunk1;chunk2;"
    response.close()
    got = spans()
    assert all(s.finished for s in got)
    stream_response = by_name(got, "flask.response")
    chunks = [s for s in got if s.name == "chunk"]
    assert [c.resource for c in chunks] == ["0", "1", "2"]
    assert all(c.parent_id == stream_response.span_id for c in chunks)
    root = root_of(got)
    assert stream_response.parent_id == root.span_id
    assert root.start_ns + root.duration_ns >= chunks[-1].start_ns + chunks[-1].duration_ns


def test_stream_with_context(spans, client):
    _, data, got = request_spans(spans, client, "/stream_ctx")
    assert data == b"path=/stream_ctx;end"
    root = root_of(got)
    assert root.resource == "GET /stream_ctx"
    # The generator's request context is popped when the stream ends: that teardown
    # runs under flask.response.
    response = by_name(got, "flask.response")
    under_response = [s.name for s in got if s.parent_id == response.span_id]
    assert "flask.do_teardown_request" in under_response
    assert all(s.finished for s in got)


def _call_wsgi(app, path):
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(path=path).get_environ()
    statuses = []
    return app(environ, lambda status, headers, exc_info=None: statuses.append(status)), statuses


def test_body_never_closed_does_not_grow_a_trace(spans, app):
    tracer = spans.tracer
    body, statuses = _call_wsgi(app, "/stream")
    it = iter(body)
    assert next(it) == b"chunk0;"
    assert statuses == ["200 OK"]
    # Between chunks nothing of the request is active on this thread...
    assert tracer.current_span() is None
    # ...so the next request is a trace of its own.
    second, _ = _call_wsgi(app, "/hello/next")
    assert b"".join(second) == b"hello next"
    second.close()
    got = spans()
    assert root_of(got).resource == "GET /hello/<name>"
    assert root_of(got).parent_id == 0
    # The abandoned body ends its trace when it is dropped.
    del body, it
    gc.collect()
    got = spans()
    assert root_of([s for s in got if s.name != "chunk"]).resource == "GET /stream"
    assert all(s.finished for s in got)
    assert tracer.current_span() is None


def test_body_exhausted_without_close(spans, app):
    body, _ = _call_wsgi(app, "/hello/x")
    assert list(body) == [b"hello x"]
    got = spans()
    assert root_of(got).finished
    body.close()  # closing afterwards is harmless
    assert spans() == []


def test_close_before_iterating(spans, app):
    body, _ = _call_wsgi(app, "/hello/x")
    body.close()
    got = spans()
    assert "flask.response" in names(got)
    assert all(s.finished for s in got)


def test_hooks_returning_a_response(spans, patched):
    app = make_app(hooks=False)

    @app.before_request
    def short_circuit():
        return "early", 200

    _, data, got = request_spans(spans, app.test_client(), "/hello/x")
    assert data == b"early"
    root = root_of(got)
    assert root.resource == "GET /hello/<name>"
    assert "flask.dispatch_request" not in names(got)


def test_before_request_raises(spans, patched):
    app = make_app(hooks=False)

    @app.before_request
    def broken():
        raise ValueError("no")

    response, _, got = request_spans(spans, app.test_client(), "/hello/x")
    assert response.status_code == 500
    assert by_name(got, "tests.contrib.flask.test_flask.broken")._meta["error.type"] == "builtins.ValueError"
    assert by_name(got, "flask.preprocess_request").error == 1
    root = root_of(got)
    assert root.error == 1 and root.resource == "GET /hello/<name>"


def test_registration_returns_the_users_function(patched):
    app = flask.Flask(__name__)

    def before():
        pass

    def view():
        return "x"

    assert app.before_request(before) is before
    assert app.route("/")(view) is view
    registered = app.before_request_funcs[None][0]
    assert registered is not before and registered.__wrapped__ is before
    assert registered == before
    assert app.view_functions["view"].__wrapped__ is view


def test_same_view_on_two_rules(spans, patched):
    app = flask.Flask(__name__)

    @app.route("/a")
    @app.route("/b/<int:n>")
    def shared(n=0):
        return "n=%d" % n

    client = app.test_client()
    get(client, "/a")
    get(client, "/b/3")
    views = [s for s in spans() if s.name.endswith(".shared")]
    assert [v.resource for v in views] == ["/a", "/b/<int:n>"]


def test_class_based_view(spans, patched):
    from flask.views import MethodView

    class ItemAPI(MethodView):
        def get(self, item_id):
            return "item %d" % item_id

    app = flask.Flask(__name__)
    app.add_url_rule("/items/<int:item_id>", view_func=ItemAPI.as_view("items"))
    _, data, got = request_spans(spans, app.test_client(), "/items/4")
    assert data == b"item 4"
    view = by_name(got, "tests.contrib.flask.test_flask.items")
    assert view.resource == "/items/<int:item_id>"


@pytest.mark.skipif(FLASK_VERSION < (2, 0), reason="async views need Flask 2")
def test_async_view(spans, patched):
    pytest.importorskip("asgiref")
    import asyncio

    from ddtrace.trace import tracer

    app = flask.Flask(__name__)

    @app.route("/async")
    async def async_view():
        await asyncio.sleep(0)
        with tracer.trace("inside.async"):
            await asyncio.sleep(0.001)
        return "async done"

    _, data, got = request_spans(spans, app.test_client(), "/async")
    assert data == b"async done"
    view = by_name(got, "tests.contrib.flask.test_flask.async_view")
    inner = by_name(got, "inside.async")
    assert inner.parent_id == view.span_id
    assert view.duration_ns >= inner.duration_ns


def test_routes_registered_before_patching(spans):
    from ddtrace.contrib.flask import patch as flask_patch

    app = make_app()
    flask_patch.patch()
    try:
        _, data, got = request_spans(spans, app.test_client(), "/hello/early")
    finally:
        flask_patch.unpatch()
    assert data == b"hello early"
    root = root_of(got)
    assert root.resource == "GET /hello/<name>"
    # Flask's steps are traced; the app's own functions were registered unwrapped.
    assert "flask.dispatch_request" in names(got)
    assert not [n for n in names(got) if n.startswith("tests.")]


def test_helpers_imported_before_patching_are_not_traced(spans, app):
    from .support import template_helpers

    render_template, render_template_string, jsonify = template_helpers()
    assert not hasattr(render_template_string, "__wrapped__")
    assert flask.render_template_string is not render_template_string
    assert flask.templating.render_template_string.__wrapped__ is render_template_string


def test_unpatch(spans, patched):
    from ddtrace.contrib.flask import patch as flask_patch

    app = make_app()
    flask_patch.unpatch()
    assert not hasattr(flask.Flask.wsgi_app, "__wrapped__")
    assert not hasattr(flask.render_template, "__wrapped__")
    assert not hasattr(flask.jsonify, "__wrapped__")
    _, data = get(app.test_client(), "/users/5")
    assert b"5" in data
    assert spans() == []
    flask_patch.patch()
    get(app.test_client(), "/users/5")
    assert root_of(spans()).resource == "GET /users/<int:user_id>"


def test_disabled_integration(spans, client):
    config.flask["enabled"] = False
    _, data = get(client, "/users/6")
    assert b"6" in data
    assert [s for s in spans() if s.name.startswith("flask.")] == []


def test_disabled_tracer(spans, client):
    tracer = spans.tracer
    tracer.enabled = False
    try:
        _, data = get(client, "/template")
    finally:
        tracer.enabled = True
    assert data.startswith(b"Hello")
    assert spans() == []


def test_double_patch_makes_one_set_of_spans(spans, patched):
    from ddtrace.contrib.flask import patch as flask_patch

    assert flask_patch.patch() is False
    client = make_app().test_client()
    _, _, got = request_spans(spans, client, "/users/1")
    assert names(got).count("flask.request") == 1
    assert names(got).count("flask.dispatch_request") == 1
    assert names(got).count("tests.contrib.flask.support.user") == 1


def test_no_deprecation_warning_from_version(patched, recwarn):
    from ddtrace.contrib.flask import patch as flask_patch

    assert flask_patch.get_version() == distribution_version("flask")
    assert not [w for w in recwarn if issubclass(w.category, DeprecationWarning) and "__version__" in str(w.message)]


@pytest.mark.skipif(not hasattr(flask.Flask, "before_first_request"), reason="removed in Flask 2.3")
def test_before_first_request(spans, patched):
    import warnings

    app = make_app(hooks=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Flask 2.2 deprecates it

        @app.before_first_request
        def warm_up():
            pass

    client = app.test_client()
    _, _, got = request_spans(spans, client, "/hello/a")
    hook = by_name(got, "tests.contrib.flask.test_flask.warm_up")
    assert hook.parent_id == by_name(got, "flask.application").span_id
    _, _, got = request_spans(spans, client, "/hello/b")
    assert "tests.contrib.flask.test_flask.warm_up" not in names(got)


@pytest.mark.skipif(FLASK_VERSION < (2, 0), reason="async hooks need Flask 2")
def test_async_hook(spans, patched):
    pytest.importorskip("asgiref")
    app = make_app(hooks=False)

    @app.before_request
    async def async_before():
        pass

    _, data, got = request_spans(spans, app.test_client(), "/hello/a")
    assert data == b"hello a"
    hook = by_name(got, "tests.contrib.flask.test_flask.async_before")
    assert hook.parent_id == by_name(got, "flask.preprocess_request").span_id
    assert hook.finished


def test_tracer_failure_does_not_reach_the_app(spans, client, internal_errors, monkeypatch):
    """A failure inside the tracer is reported; the request is served as usual."""
    from ddtrace.contrib.flask import patch as flask_patch

    def broken(self, request):
        raise RuntimeError("tracer bug")

    monkeypatch.setattr(flask_patch._Request, "tag_route", broken)
    internal_errors.allowed = True
    response, data, got = request_spans(spans, client, "/users/9")
    assert response.status_code == 200 and b"9" in data
    assert [what for what, _ in internal_errors.errors][0] == "starting a flask.preprocess_request span"
    assert all(s.finished for s in got)
    assert root_of(got)._meta["http.status_code"] == "200"


def test_start_failure_serves_the_request_untraced(spans, client, internal_errors, monkeypatch):
    from ddtrace.contrib.flask import patch as flask_patch

    def broken(pin, environ):
        raise RuntimeError("tracer bug")

    monkeypatch.setattr(flask_patch, "_start_request", broken)
    internal_errors.allowed = True
    response, data = get(client, "/users/9")
    assert response.status_code == 200
    assert [what for what, _ in internal_errors.errors] == ["starting a flask request"]
    # Only the helper's own span (made outside a request) remains.
    assert [s.name for s in spans()] == ["flask.jsonify"]


@pytest.mark.skipif(not hasattr(flask, "stream_template_string"), reason="stream_template needs Flask 2.2")
def test_streamed_template(spans, patched):
    app = flask.Flask(__name__)

    @app.route("/streamed")
    def streamed():
        return flask.Response(flask.stream_template_string("{% for i in range(3) %}{{ i }};{% endfor %}"))

    _, data, got = request_spans(spans, app.test_client(), "/streamed")
    assert data == b"0;1;2;"
    render = by_name(got, "jinja2.render")
    # Rendered while the server iterates the body.
    assert render.parent_id == by_name(got, "flask.response").span_id
