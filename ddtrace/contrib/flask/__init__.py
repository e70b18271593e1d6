"""Traces Flask applications (Flask 1.0.3 to 3.1).

Enabled by default under ``ddtrace-run`` and ``patch_all()``; in code, patch before the
application is created (views and hooks are traced as they are registered)::

    from ddtrace import patch

    patch(flask=True)

    from flask import Flask

    app = Flask(__name__)

Each request makes one trace:

``flask.request``
    The server span: type ``web``, resource ``<METHOD> <URL rule>`` (e.g.
    ``GET /users/<int:user_id>``), tags ``component=flask``, ``span.kind=server``,
    ``http.method``, ``http.url``, ``http.route``, ``http.status_code``,
    ``http.useragent``, ``flask.endpoint``, ``flask.url_rule``, ``flask.version`` and the
    view arguments as ``flask.view_args.<name>``. A request that matches no rule has
    the resource ``<METHOD> <status>`` (``GET 404``, ``POST 405``) and no
    ``http.route``. A status in ``DD_TRACE_HTTP_SERVER_ERROR_STATUSES`` (default
    500-599) marks it as an error; an unhandled exception is recorded on it with its
    type (``error.type`` such as ``builtins.RuntimeError``), message and stack.
``flask.application``
    The call of ``Flask.wsgi_app``, with Flask's steps below it:
    ``flask.preprocess_request``, ``flask.dispatch_request``,
    ``flask.handle_user_exception`` / ``flask.handle_http_exception`` /
    ``flask.handle_exception``, ``flask.process_response``,
    ``flask.do_teardown_request``, ``flask.do_teardown_appcontext``.
Views, hooks and error handlers
    A span each, named ``<module>.<function>`` (``before_request``, ``after_request``,
    ``teardown_request``, ``teardown_appcontext``, ``before_first_request`` functions and
    error handlers, including a blueprint's). A view's span has the URL rule as resource;
    views of a blueprint are named by their endpoint (``<blueprint>.<view>``). ``async``
    views and hooks (Flask 2+) are traced for as long as they run.
``flask.render_template`` / ``flask.render_template_string`` and ``flask.jsonify``
    Type ``template``, resource the template's name (``<memory>`` for a string); the
    Jinja2 integration adds ``jinja2.load`` / ``jinja2.compile`` / ``jinja2.render``
    below them.
``flask.response``
    The iteration of the response body by the server. The trace ends when the server
    closes the body, so a streamed response is timed to its last chunk. A body that is
    never closed ends the trace when it is exhausted or garbage-collected, and never
    leaves anything active on the server's thread: the next request starts a trace of
    its own.

A view that raises marks ``flask.request``, ``flask.dispatch_request``, the view and
``flask.handle_user_exception`` as errors, and the request gets status 500 (unless an
error handler answers). HTTP errors (``abort(403)``) are recorded on the view and
``flask.dispatch_request`` but leave the request span alone; a URL that matches no
route is not an error of ``flask.dispatch_request``.

Exceptions always reach Flask (and your error handlers) unchanged.

Distributed tracing
-------------------

Incoming trace headers (Datadog, W3C ``traceparent``, B3, per
``DD_TRACE_PROPAGATION_STYLE_EXTRACT``) make ``flask.request`` a child of the caller's
span. Turn it off with ``DD_FLASK_DISTRIBUTED_TRACING=false`` or::

    from ddtrace import config

    config.flask["distributed_tracing"] = False

Settings
--------

``DD_SERVICE``, ``DD_FLASK_SERVICE`` / ``config.flask.service``
    Service of the spans (default ``DD_SERVICE``).
``DD_FLASK_DISTRIBUTED_TRACING`` / ``config.flask.distributed_tracing``
    See above (default on).
``config.flask.collect_view_args``
    Record the view arguments as ``flask.view_args.<name>`` (default True).
``config.flask.template_default_name``
    Resource of templates without a name (default ``"<memory>"``).
``DD_HTTP_SERVER_TAG_QUERY_STRING``, ``DD_FLASK_TRACE_QUERY_STRING``
    Keep the query string in ``http.url`` (obfuscated with
    ``DD_TRACE_OBFUSCATION_QUERY_STRING_REGEXP``).
``DD_TRACE_HEADER_TAGS``
    Request and response headers to record as tags.
``DD_TRACE_FLASK_ENABLED``
    ``false`` leaves Flask untraced.

A :class:`~ddtrace.trace.Pin` on the application sets the service (and tracer) of its
requests::

    from ddtrace.trace import Pin

    Pin.override(app, service="checkout-web")

Not traced: view functions and hooks registered before ``patch()`` (requests are still
traced), views assigned to ``app.view_functions`` directly, and ``render_template``
imported with ``from flask import render_template`` before ``patch()``.
"""
