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


def request_spans(memtracer, client, path, **kwargs):
    response, data = get(client, path, **kwargs)
    return response, data, memtracer.spans()


HOOKED_TAIL = [
    (1, "flask.process_response", "flask.process_response"),
    (2, "tests.contrib.flask.support.after", "tests.contrib.flask.support.after"),
    (1, "flask.do_teardown_request", "flask.do_teardown_request"),
    (2, "tests.contrib.flask.support.teardown", "tests.contrib.flask.support.teardown"),
    (1, "flask.do_teardown_appcontext", "flask.do_teardown_appcontext"),
    (2, "tests.contrib.flask.support.teardown_app", "tests.contrib.flask.support.teardown_app"),
]


def test_request_span(memtracer, client, monkeypatch):
    monkeypatch.setattr(config, "service", "web-app")
    response, data, spans = request_spans(memtracer, client, "/users/42", headers={"User-Agent": "test-agent/1"})
    assert response.status_code == 200 and b'"id"' in data
    root = root_of(spans)
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
    assert {s.service for s in spans} == {"web-app"}
    assert {s._meta.get("component") for s in spans} == {"flask"}


def test_span_tree(memtracer, client):
    _, _, spans = request_spans(memtracer, client, "/users/1")
    assert tree(spans) == [
        (0, "flask.request", "GET /users/<int:user_id>"),
        (1, "flask.application", "GET /users/<int:user_id>"),
        (2, "flask.preprocess_request", "flask.preprocess_request"),
        (3, "tests.contrib.flask.support.before", "tests.contrib.flask.support.before"),
        (2, "flask.dispatch_request", "flask.dispatch_request"),
        (3, "tests.contrib.flask.support.user", "/users/<int:user_id>"),
        (4, "flask.jsonify", "flask.jsonify"),
    ] + [(d + 1, n, r) for d, n, r in HOOKED_TAIL] + [(1, "flask.response", "flask.response")]
    app_span = by_name(spans, "flask.application")
    assert app_span._meta["flask.endpoint"] == "user"
    assert app_span._meta["flask.url_rule"] == "/users/<int:user_id>"
    assert app_span._metrics["flask.view_args.user_id"] == 1
    assert all(s.error == 0 for s in spans)
    assert all(s.finished for s in spans)
    assert len({s.trace_id for s in spans}) == 1


def test_no_hooks_is_twelve_spans_or_less(memtracer, patched):
    client = make_app(hooks=False).test_client()
    _, _, spans = request_spans(memtracer, client, "/hello/ann")
    assert names(spans) == [
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
    assert root_of(spans)._meta["flask.view_args.name"] == "ann"


def test_not_found(memtracer, client):
    response, _, spans = request_spans(memtracer, client, "/nowhere")
    assert response.status_code == 404
    root = root_of(spans)
    assert root.resource == "GET 404"
    assert root.error == 0
    assert root._meta["http.status_code"] == "404"
    for tag in ("http.route", "flask.endpoint", "flask.url_rule"):
        assert tag not in root._meta
    assert by_name(spans, "flask.application").resource == "flask.application"
    # A routing miss is not an error of dispatch_request.
    assert by_name(spans, "flask.dispatch_request").error == 0
    assert "flask.handle_http_exception" in names(spans)
    assert all(s.error == 0 for s in spans)


def test_method_not_allowed(memtracer, client):
    response, _, spans = request_spans(memtracer, client, "/users/3", method="POST")
    assert response.status_code == 405
    root = root_of(spans)
    assert root.resource == "POST 405"
    assert root.error == 0
    assert "http.route" not in root._meta
    dispatch = by_name(spans, "flask.dispatch_request")
    assert dispatch.error == 1
    assert dispatch._meta["error.type"] == "werkzeug.exceptions.MethodNotAllowed"


def test_view_raises(memtracer, client):
    response, _, spans = request_spans(memtracer, client, "/boom")
    assert response.status_code == 500
    root = root_of(spans)
    assert root.resource == "GET /boom"
    assert root.error == 1
    assert root._meta["http.status_code"] == "500"
    assert root._meta["error.type"] == "builtins.RuntimeError"
    assert root._meta["error.message"] == "boom"
    assert "RuntimeError" in root._meta["error.stack"]
    errors = {s.name for s in spans if s.error}
    assert errors == {
        "flask.request",
        "flask.dispatch_request",
        "tests.contrib.flask.support.boom",
        "flask.handle_user_exception",
    }
    for name in errors:
        assert by_name(spans, name)._meta["error.type"] == "builtins.RuntimeError"
    assert by_name(spans, "flask.handle_exception").error == 0
    assert by_name(spans, "flask.application").error == 0


def test_propagated_exception_reaches_the_caller_unchanged(memtracer, patched):
    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = True
    raised = RuntimeError("propagated")

    @app.route("/raise")
    def raise_it():
        raise raised

    with pytest.raises(RuntimeError) as info:
        app.test_client().get("/raise")
    assert info.value is raised
    spans = memtracer.spans()
    root = root_of(spans)
    assert root.error == 1
    assert root._meta["http.status_code"] == "500"
    assert root._meta["error.type"] == "builtins.RuntimeError"
    assert root.resource == "GET /raise"
    assert by_name(spans, "flask.application").error == 1
    assert all(s.finished for s in spans)
    assert "flask.response" not in names(spans)


def test_http_exception(memtracer, client):
    response, _, spans = request_spans(memtracer, client, "/abort")
    assert response.status_code == 403
    root = root_of(spans)
    assert root.error == 0
    assert root.resource == "GET /abort"
    assert root._meta["http.status_code"] == "403"
    for name in ("flask.dispatch_request", "tests.contrib.flask.support.forbidden"):
        span = by_name(spans, name)
        assert span.error == 1
        assert span._meta["error.type"] == "werkzeug.exceptions.Forbidden"
    assert by_name(spans, "flask.handle_user_exception").error == 0
    assert by_name(spans, "flask.handle_http_exception").error == 0


def test_error_handler(memtracer, client):
    response, data, spans = request_spans(memtracer, client, "/handled")
    assert (response.status_code, data) == (418, b"handled")
    root = root_of(spans)
    assert root.error == 0
    assert root._meta["http.status_code"] == "418"
    assert by_name(spans, "tests.contrib.flask.support.handled").error == 1
    handler = by_name(spans, "tests.contrib.flask.support.handle_handled")
    assert handler.parent_id == by_name(spans, "flask.handle_user_exception").span_id
    assert handler.error == 0


def test_error_handler_for_500(memtracer, patched):
    app = make_app()

    @app.errorhandler(500)
    def server_error(e):
        return "sorry", 500

    response, data, spans = request_spans(memtracer, app.test_client(), "/boom")
    assert (response.status_code, data) == (500, b"sorry")
    root = root_of(spans)
    assert root.error == 1
    assert root._meta["error.type"] == "builtins.RuntimeError"
    handler = by_name(spans, "tests.contrib.flask.test_flask.server_error")
    assert handler.parent_id == by_name(spans, "flask.handle_exception").span_id


def test_status_500_returned_by_view(memtracer, client):
    response, _, spans = request_spans(memtracer, client, "/status/503")
    assert response.status_code == 503
    root = root_of(spans)
    assert root.error == 1
    assert "error.type" not in root._meta
    assert root.resource == "GET /status/<int:code>"


def test_status_400_is_not_an_error(memtracer, client):
    _, _, spans = request_spans(memtracer, client, "/status/404")
    root = root_of(spans)
    assert root.error == 0
    assert root.resource == "GET /status/<int:code>"
    assert root._meta["http.route"] == "/status/<int:code>"


def test_blueprint(memtracer, client):
    response, data, spans = request_spans(memtracer, client, "/bp/item/pen")
    assert data == b"item pen"
    root = root_of(spans)
    assert root.resource == "GET /bp/item/<name>"
    assert root._meta["flask.endpoint"] == "bp.item"
    assert root._meta["http.route"] == "/bp/item/<name>"
    view = by_name(spans, "bp.item")
    assert view.resource == "/bp/item/<name>"
    assert view.parent_id == by_name(spans, "flask.dispatch_request").span_id
    pre = by_name(spans, "flask.preprocess_request")
    hooks = [s.name for s in spans if s.parent_id == pre.span_id]
    assert hooks == ["tests.contrib.flask.support.before", "tests.contrib.flask.support.bp_before"]


def test_blueprint_error_handler(memtracer, client):
    response, data, spans = request_spans(memtracer, client, "/bp/fail")
    assert (response.status_code, data) == (400, b"bp handled")
    assert by_name(spans, "bp.bp_fail")._meta["error.type"] == "builtins.KeyError"
    handler = by_name(spans, "tests.contrib.flask.support.bp_key_error")
    assert handler.parent_id == by_name(spans, "flask.handle_user_exception").span_id
    assert root_of(spans).error == 0


def test_blueprint_app_hooks(memtracer, patched):
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
    response, data, spans = request_spans(memtracer, app.test_client(), "/missing")
    assert (response.status_code, data) == (404, b"nothing here")
    found = set(names(spans))
    for hook in ("app_wide_before", "app_wide_after", "app_wide_teardown", "app_wide_404"):
        assert "tests.contrib.flask.test_flask." + hook in found


def test_render_template(memtracer, client):
    response, data, spans = request_spans(memtracer, client, "/template")
    assert data.startswith(b"Hello ann! included")
    render = by_name(spans, "flask.render_template")
    assert render.resource == "page.html"
    assert render.span_type == "template"
    assert render._meta["flask.template_name"] == "page.html"
    assert render._meta["component"] == "flask"
    assert render.parent_id == by_name(spans, "tests.contrib.flask.support.template").span_id
    below = [(d, n, r) for d, n, r in tree(spans) if n.startswith("jinja2.")]
    assert [(n, r) for _, n, r in below] == [
        ("jinja2.load", "page.html"),
        ("jinja2.compile", "page.html"),
        ("jinja2.render", "page.html"),
        ("jinja2.load", "inc.html"),
        ("jinja2.compile", "inc.html"),
    ]
    load = [s for s in spans if s.name == "jinja2.load"][0]
    assert load.parent_id == render.span_id
    assert load._meta["jinja2.template_path"].endswith("page.html")
    # Compiled once: the second request loads from the cache.
    memtracer.spans()
    _, _, spans = request_spans(memtracer, client, "/template")
    assert [n for n in names(spans) if n.startswith("jinja2.")] == ["jinja2.load", "jinja2.render", "jinja2.load"]


def test_render_template_string(memtracer, client):
    _, data, spans = request_spans(memtracer, client, "/template_string")
    assert data == b"hi bob"
    render = by_name(spans, "flask.render_template_string")
    assert (render.resource, render.span_type) == ("<memory>", "template")
    assert render._meta["flask.template_name"] == "<memory>"
    assert [(s.name, s.resource) for s in spans if s.parent_id == render.span_id] == [
        ("jinja2.compile", "<memory>"),
        ("jinja2.render", "<memory>"),
    ]


def test_template_default_name(memtracer, client):
    config.flask["template_default_name"] = "inline"
    _, _, spans = request_spans(memtracer, client, "/template_string")
    assert by_name(spans, "flask.render_template_string").resource == "inline"


def test_helpers_outside_a_request(memtracer, app, monkeypatch):
    monkeypatch.setattr(config, "service", "worker")
    with app.app_context():
        assert flask.render_template_string("{{ 1 + 1 }}") == "2"
        flask.jsonify(ok=True)
    spans = memtracer.spans()
    assert [(s.name, s.parent_id, s.service) for s in spans if s.name.startswith("flask.")] == [
        ("flask.render_template_string", 0, "worker"),
        ("flask.jsonify", 0, "worker"),
    ]
    # An app context outside a request is not a request: no teardown span.
    assert "flask.do_teardown_appcontext" not in names(spans)


def test_view_args_collection_switch(memtracer, client):
    config.flask["collect_view_args"] = False
    _, _, spans = request_spans(memtracer, client, "/hello/zoe")
    root = root_of(spans)
    assert not [k for k in list(root._meta) + list(root._metrics) if k.startswith("flask.view_args")]


def test_distributed_tracing(memtracer, client):
    headers = {"x-datadog-trace-id": "1234", "x-datadog-parent-id": "5678", "x-datadog-sampling-priority": "2"}
    _, _, spans = request_spans(memtracer, client, "/hello/x", headers=headers)
    root = root_of(spans)
    assert root.trace_id % (1 << 64) == 1234
    assert root.parent_id == 5678
    assert root._metrics["_sampling_priority_v1"] == 2
    assert {s.trace_id for s in spans} == {root.trace_id}


def test_distributed_tracing_tracecontext(memtracer, client):
    headers = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    _, _, spans = request_spans(memtracer, client, "/hello/x", headers=headers)
    root = root_of(spans)
    assert root.trace_id == 0x0AF7651916CD43DD8448EB211C80319C
    assert root.parent_id == 0xB7AD6B7169203331


def test_distributed_tracing_off(memtracer, client):
    config.flask["distributed_tracing"] = False
    headers = {"x-datadog-trace-id": "1234", "x-datadog-parent-id": "5678"}
    _, _, spans = request_spans(memtracer, client, "/hello/x", headers=headers)
    root = root_of(spans)
    assert root.parent_id == 0
    assert root.trace_id % (1 << 64) != 1234


def test_request_inside_an_active_span(memtracer, client):
    tracer = memtracer.tracer
    with tracer.trace("test.outer") as outer:
        get(client, "/hello/x")
        assert tracer.current_span() is outer
    spans = memtracer.spans()
    assert by_name(spans, "flask.request").parent_id == outer.span_id


def test_service_settings(memtracer, client, monkeypatch):
    monkeypatch.setattr(config, "service", "from-dd-service")
    config.flask["service"] = "flask-service"
    _, _, spans = request_spans(memtracer, client, "/hello/x")
    assert {s.service for s in spans} == {"flask-service"}


def test_pin_service(memtracer, app, monkeypatch):
    monkeypatch.setattr(config, "service", "from-dd-service")
    Pin.override(app, service="pinned")
    _, _, spans = request_spans(memtracer, app.test_client(), "/hello/x")
    assert {s.service for s in spans} == {"pinned"}


def test_query_string_and_header_tags(memtracer, client, monkeypatch):
    monkeypatch.setattr(config, "http_header_tags", {"x-request-id": "request.id", "x-after": ""})
    _, _, spans = request_spans(
        memtracer, client, "/hello/x?page=2&password=hunter2", headers={"X-Request-Id": "abc"}
    )
    meta = root_of(spans)._meta
    assert meta["http.url"] == "http://localhost/hello/x?page=2&<redacted>"
    assert meta["request.id"] == "abc"
    assert meta["http.response.headers.x-after"] == "1"


def test_query_string_off(memtracer, client):
    config.flask["trace_query_string"] = False
    _, _, spans = request_spans(memtracer, client, "/hello/x?page=2")
    assert root_of(spans)._meta["http.url"] == "http://localhost/hello/x"


def test_streamed_response(memtracer, app):
    client = app.test_client()
    response = client.get("/stream", buffered=False)
    # The trace is open until the body is consumed and closed.
    assert memtracer.spans() == []
    assert response.get_data() == b"chunk0;chunk1;chunk2;"
    response.close()
    spans = memtracer.spans()
    assert all(s.finished for s in spans)
    stream_response = by_name(spans, "flask.response")
    chunks = [s for s in spans if s.name == "chunk"]
    assert [c.resource for c in chunks] == ["0", "1", "2"]
    assert all(c.parent_id == stream_response.span_id for c in chunks)
    root = root_of(spans)
    assert stream_response.parent_id == root.span_id
    assert root.start_ns + root.duration_ns >= chunks[-1].start_ns + chunks[-1].duration_ns


def test_stream_with_context(memtracer, client):
    _, data, spans = request_spans(memtracer, client, "/stream_ctx")
    assert data == b"path=/stream_ctx;end"
    root = root_of(spans)
    assert root.resource == "GET /stream_ctx"
    # The generator's request context is popped when the stream ends: that teardown
    # runs under flask.response.
    response = by_name(spans, "flask.response")
    under_response = [s.name for s in spans if s.parent_id == response.span_id]
    assert "flask.do_teardown_request" in under_response
    assert all(s.finished for s in spans)


def _call_wsgi(app, path):
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(path=path).get_environ()
    statuses = []
    return app(environ, lambda status, headers, exc_info=None: statuses.append(status)), statuses


def test_body_never_closed_does_not_grow_a_trace(memtracer, app):
    tracer = memtracer.tracer
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
    spans = memtracer.spans()
    assert root_of(spans).resource == "GET /hello/<name>"
    assert root_of(spans).parent_id == 0
    # The abandoned body ends its trace when it is dropped.
    del body, it
    gc.collect()
    spans = memtracer.spans()
    assert root_of([s for s in spans if s.name != "chunk"]).resource == "GET /stream"
    assert all(s.finished for s in spans)
    assert tracer.current_span() is None


def test_body_exhausted_without_close(memtracer, app):
    body, _ = _call_wsgi(app, "/hello/x")
    assert list(body) == [b"hello x"]
    spans = memtracer.spans()
    assert root_of(spans).finished
    body.close()  # closing afterwards is harmless
    assert memtracer.spans() == []


def test_close_before_iterating(memtracer, app):
    body, _ = _call_wsgi(app, "/hello/x")
    body.close()
    spans = memtracer.spans()
    assert "flask.response" in names(spans)
    assert all(s.finished for s in spans)


def test_hooks_returning_a_response(memtracer, patched):
    app = make_app(hooks=False)

    @app.before_request
    def short_circuit():
        return "early", 200

    _, data, spans = request_spans(memtracer, app.test_client(), "/hello/x")
    assert data == b"early"
    root = root_of(spans)
    assert root.resource == "GET /hello/<name>"
    assert "flask.dispatch_request" not in names(spans)


def test_before_request_raises(memtracer, patched):
    app = make_app(hooks=False)

    @app.before_request
    def broken():
        raise ValueError("no")

    response, _, spans = request_spans(memtracer, app.test_client(), "/hello/x")
    assert response.status_code == 500
    assert by_name(spans, "tests.contrib.flask.test_flask.broken")._meta["error.type"] == "builtins.ValueError"
    assert by_name(spans, "flask.preprocess_request").error == 1
    root = root_of(spans)
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


def test_same_view_on_two_rules(memtracer, patched):
    app = flask.Flask(__name__)

    @app.route("/a")
    @app.route("/b/<int:n>")
    def shared(n=0):
        return "n=%d" % n

    client = app.test_client()
    get(client, "/a")
    get(client, "/b/3")
    views = [s for s in memtracer.spans() if s.name.endswith(".shared")]
    assert [v.resource for v in views] == ["/a", "/b/<int:n>"]


def test_class_based_view(memtracer, patched):
    from flask.views import MethodView

    class ItemAPI(MethodView):
        def get(self, item_id):
            return "item %d" % item_id

    app = flask.Flask(__name__)
    app.add_url_rule("/items/<int:item_id>", view_func=ItemAPI.as_view("items"))
    _, data, spans = request_spans(memtracer, app.test_client(), "/items/4")
    assert data == b"item 4"
    view = by_name(spans, "tests.contrib.flask.test_flask.items")
    assert view.resource == "/items/<int:item_id>"


@pytest.mark.skipif(FLASK_VERSION < (2, 0), reason="async views need Flask 2")
def test_async_view(memtracer, patched):
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

    _, data, spans = request_spans(memtracer, app.test_client(), "/async")
    assert data == b"async done"
    view = by_name(spans, "tests.contrib.flask.test_flask.async_view")
    inner = by_name(spans, "inside.async")
    assert inner.parent_id == view.span_id
    assert view.duration_ns >= inner.duration_ns


def test_routes_registered_before_patching(memtracer):
    from ddtrace.contrib.flask import patch as flask_patch

    app = make_app()
    flask_patch.patch()
    try:
        _, data, spans = request_spans(memtracer, app.test_client(), "/hello/early")
    finally:
        flask_patch.unpatch()
    assert data == b"hello early"
    root = root_of(spans)
    assert root.resource == "GET /hello/<name>"
    # Flask's steps are traced; the app's own functions were registered unwrapped.
    assert "flask.dispatch_request" in names(spans)
    assert not [n for n in names(spans) if n.startswith("tests.")]


def test_helpers_imported_before_patching_are_not_traced(memtracer, app):
    from .support import template_helpers

    render_template, render_template_string, jsonify = template_helpers()
    assert not hasattr(render_template_string, "__wrapped__")
    assert flask.render_template_string is not render_template_string
    assert flask.templating.render_template_string.__wrapped__ is render_template_string


def test_unpatch(memtracer, patched):
    from ddtrace.contrib.flask import patch as flask_patch

    app = make_app()
    flask_patch.unpatch()
    assert not hasattr(flask.Flask.wsgi_app, "__wrapped__")
    assert not hasattr(flask.render_template, "__wrapped__")
    assert not hasattr(flask.jsonify, "__wrapped__")
    _, data = get(app.test_client(), "/users/5")
    assert b"5" in data
    assert memtracer.spans() == []
    flask_patch.patch()
    get(app.test_client(), "/users/5")
    assert root_of(memtracer.spans()).resource == "GET /users/<int:user_id>"


def test_disabled_integration(memtracer, client):
    config.flask["enabled"] = False
    _, data = get(client, "/users/6")
    assert b"6" in data
    assert [s for s in memtracer.spans() if s.name.startswith("flask.")] == []


def test_disabled_tracer(memtracer, client):
    tracer = memtracer.tracer
    tracer.enabled = False
    try:
        _, data = get(client, "/template")
    finally:
        tracer.enabled = True
    assert data.startswith(b"Hello")
    assert memtracer.spans() == []


def test_double_patch_makes_one_set_of_spans(memtracer, patched):
    from ddtrace.contrib.flask import patch as flask_patch

    assert flask_patch.patch() is False
    client = make_app().test_client()
    _, _, spans = request_spans(memtracer, client, "/users/1")
    assert names(spans).count("flask.request") == 1
    assert names(spans).count("flask.dispatch_request") == 1
    assert names(spans).count("tests.contrib.flask.support.user") == 1


def test_no_deprecation_warning_from_version(patched, recwarn):
    from ddtrace.contrib.flask import patch as flask_patch

    assert flask_patch.get_version() == distribution_version("flask")
    assert not [w for w in recwarn if issubclass(w.category, DeprecationWarning) and "__version__" in str(w.message)]


@pytest.mark.skipif(not hasattr(flask.Flask, "before_first_request"), reason="removed in Flask 2.3")
def test_before_first_request(memtracer, patched):
    import warnings

    app = make_app(hooks=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Flask 2.2 deprecates it

        @app.before_first_request
        def warm_up():
            pass

    client = app.test_client()
    _, _, spans = request_spans(memtracer, client, "/hello/a")
    hook = by_name(spans, "tests.contrib.flask.test_flask.warm_up")
    assert hook.parent_id == by_name(spans, "flask.application").span_id
    _, _, spans = request_spans(memtracer, client, "/hello/b")
    assert "tests.contrib.flask.test_flask.warm_up" not in names(spans)


@pytest.mark.skipif(FLASK_VERSION < (2, 0), reason="async hooks need Flask 2")
def test_async_hook(memtracer, patched):
    pytest.importorskip("asgiref")
    app = make_app(hooks=False)

    @app.before_request
    async def async_before():
        pass

    _, data, spans = request_spans(memtracer, app.test_client(), "/hello/a")
    assert data == b"hello a"
    hook = by_name(spans, "tests.contrib.flask.test_flask.async_before")
    assert hook.parent_id == by_name(spans, "flask.preprocess_request").span_id
    assert hook.finished


def test_tracer_failure_does_not_reach_the_app(memtracer, client, internal_errors, monkeypatch):
    """A failure inside the tracer is reported; the request is served as usual."""
    from ddtrace.contrib.flask import patch as flask_patch

    def broken(self, request):
        raise RuntimeError("tracer bug")

    monkeypatch.setattr(flask_patch._Request, "tag_route", broken)
    internal_errors.allowed = True
    response, data, spans = request_spans(memtracer, client, "/users/9")
    assert response.status_code == 200 and b"9" in data
    assert [what for what, _ in internal_errors.errors][0] == "starting a flask.preprocess_request span"
    assert all(s.finished for s in spans)
    assert root_of(spans)._meta["http.status_code"] == "200"


def test_start_failure_serves_the_request_untraced(memtracer, client, internal_errors, monkeypatch):
    from ddtrace.contrib.flask import patch as flask_patch

    def broken(pin, environ):
        raise RuntimeError("tracer bug")

    monkeypatch.setattr(flask_patch, "_start_request", broken)
    internal_errors.allowed = True
    response, data = get(client, "/users/9")
    assert response.status_code == 200
    assert [what for what, _ in internal_errors.errors] == ["starting a flask request"]
    # Only the helper's own span (made outside a request) remains.
    assert [s.name for s in memtracer.spans()] == ["flask.jsonify"]


@pytest.mark.skipif(not hasattr(flask, "stream_template_string"), reason="stream_template needs Flask 2.2")
def test_streamed_template(memtracer, patched):
    app = flask.Flask(__name__)

    @app.route("/streamed")
    def streamed():
        return flask.Response(flask.stream_template_string("{% for i in range(3) %}{{ i }};{% endfor %}"))

    _, data, spans = request_spans(memtracer, app.test_client(), "/streamed")
    assert data == b"0;1;2;"
    render = by_name(spans, "jinja2.render")
    # Rendered while the server iterates the body.
    assert render.parent_id == by_name(spans, "flask.response").span_id
