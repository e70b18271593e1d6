"""Traces Flask: a ``flask.request`` trace per request, with spans for Flask's steps,
the application's hooks, views and error handlers, and template rendering.

How the pieces fit:

- ``Flask.wsgi_app`` starts the request: the ``flask.request`` server span (HTTP tags
  through :mod:`ddtrace.contrib.trace_utils`, the URL and headers as the WSGI
  middleware reads them) and ``flask.application`` for the call itself. The per-request
  state lives in a ``ContextVar`` while Flask handles the request, so the other
  wrappers find it without touching Flask's request object.
- Flask's own steps (``preprocess_request``, ``dispatch_request``...) are wrapped on
  the classes; the application's functions (views, hooks, error handlers) are wrapped
  when they are registered, so they are traced only in apps set up after patching.
- The response body is iterated after ``wsgi_app`` returned: ``flask.response`` covers
  that, and the request span ends when the server closes the body (or when it is
  exhausted, or dropped). Nothing of the request stays active on the server's thread
  between chunks or after the body, so a body that is never closed cannot make the
  next request part of its trace.
"""
from __future__ import annotations

import sys
from contextvars import ContextVar

import flask
import wrapt

from ddtrace.contrib import _server
from ddtrace.contrib._integration import Integration
from ddtrace.contrib._integration import guard
from ddtrace.ext import COMPONENT
from ddtrace.ext import SpanTypes
from ddtrace.internal.logger import report_internal_error

_COMPONENT = "flask"
_MISSING = object()

# (The version comes from the package metadata: ``flask.__version__`` is deprecated
# since Flask 3.0 and warns when read.)
integration = Integration("flask")
patch, unpatch, get_version = integration.patch, integration.unpatch, integration.version

#: The request being handled on this thread / task, while Flask handles it.
_current = ContextVar("ddtrace_flask_request", default=None)
#: True while a blueprint registers its routes (views are then named by endpoint).
_in_blueprint = ContextVar("ddtrace_flask_blueprint_setup", default=False)

# Set by _patch: werkzeug's NotFound, a routing miss, is not an error of dispatch_request.
_NotFound = ()
# Set by _patch: Flask's ContextVar of the current request context (Flask >= 2.2), if any.
_REQUEST_CTX = None


# ------------------------------------------------------------------ patching


def _owner(classes, attr):
    """The class that defines ``attr`` for the first of ``classes`` that has it."""
    for cls in classes:
        for klass in cls.__mro__:
            if attr in vars(klass):
                return klass
    return None


@integration.on_import("flask")
def _patch(module):
    global _NotFound, _REQUEST_CTX
    from werkzeug.exceptions import NotFound

    _NotFound = NotFound
    cv = getattr(sys.modules.get("flask.globals"), "_cv_request", None)
    _REQUEST_CTX = cv if isinstance(cv, ContextVar) else None
    app_classes = (module.Flask,)
    all_classes = (module.Flask, module.Blueprint)
    done = set()

    def wrap_method(classes, attr, wrapper):
        owner = _owner(classes, attr)
        if owner is None or (owner, attr) in done:
            return
        done.add((owner, attr))
        integration.wrap(owner, attr, wrapper)

    wrap_method(app_classes, "wsgi_app", _traced_wsgi_app)

    # Flask's steps.
    for attr, span_name in (
        ("preprocess_request", "flask.preprocess_request"),
        ("process_response", "flask.process_response"),
        ("do_teardown_request", "flask.do_teardown_request"),
        ("do_teardown_appcontext", "flask.do_teardown_appcontext"),
        ("handle_user_exception", "flask.handle_user_exception"),
        ("handle_http_exception", "flask.handle_http_exception"),
    ):
        wrap_method(app_classes, attr, _Step(span_name, route=attr == "preprocess_request"))
    wrap_method(app_classes, "dispatch_request", _Step("flask.dispatch_request", route=True, ignore=True))
    wrap_method(app_classes, "handle_exception", _Step("flask.handle_exception", record_on_request=True))

    # The application's functions, wrapped as they are registered. Blueprints of
    # Flask >= 2 inherit these from Scaffold (wrapped once); Flask 1's define their own.
    for attr in (
        "before_request",
        "after_request",
        "teardown_request",
        "teardown_appcontext",
        "before_first_request",
        "before_app_request",
        "after_app_request",
        "teardown_app_request",
        "before_app_first_request",
    ):
        for classes in (app_classes, (module.Blueprint,)):
            wrap_method(classes, attr, _registration(0))
    # Error handlers: Flask 1 funnels every registration through _register_error_handler.
    if _owner(app_classes, "_register_error_handler") is not None:
        wrap_method(app_classes, "_register_error_handler", _registration(2))
    else:
        wrap_method(all_classes, "register_error_handler", _registration(1))

    wrap_method(app_classes, "add_url_rule", _traced_add_url_rule)
    setup_state = getattr(sys.modules.get("flask.blueprints"), "BlueprintSetupState", None)
    if setup_state is not None:
        wrap_method((setup_state,), "add_url_rule", _traced_blueprint_add_url_rule)

    # Helpers, in the modules that define them and in ``flask`` (``from flask import ...``).
    templating = sys.modules.get("flask.templating")
    json_module = sys.modules.get("flask.json")
    for owner in (module, templating):
        if owner is None:
            continue
        if "render_template" in vars(owner):
            integration.wrap(owner, "render_template", _TemplateRendering("flask.render_template", None))
        if "render_template_string" in vars(owner):
            integration.wrap(owner, "render_template_string", _TemplateRendering("flask.render_template_string", ""))
    for owner in (module, json_module):
        if owner is not None and "jsonify" in vars(owner):
            integration.wrap(owner, "jsonify", _traced_jsonify)


# ------------------------------------------------------------------ the request


class _Request(_server.ServerRequest):
    """A request: the server block's, plus the ``flask.application`` span and whether
    the URL rule was looked at. While the body is iterated the request is current
    (``_current``) too, so Flask's steps run then (teardown) find it."""

    __slots__ = ("app_span", "routed", "_token")

    def tag_route(self, request):
        """Record the matched URL rule (Flask's request object ``request``)."""
        self.routed = True
        rule = getattr(request, "url_rule", None)
        if rule is None:
            return
        route = str(rule.rule)
        self.set_route(route)
        span = self.span
        app_span = self.app_span
        app_span.resource = span.resource
        span.set_tag_str("flask.url_rule", route)
        app_span.set_tag_str("flask.url_rule", route)
        endpoint = request.endpoint
        if endpoint is not None:
            endpoint = str(endpoint)
            span.set_tag_str("flask.endpoint", endpoint)
            app_span.set_tag_str("flask.endpoint", endpoint)
        if integration.config.get("collect_view_args"):
            view_args = request.view_args
            if view_args:
                for key, value in view_args.items():
                    tag = "flask.view_args.%s" % (key,)
                    span.set_tag(tag, value)
                    app_span.set_tag(tag, value)

    def _resume(self):
        return _server.ServerRequest._resume(self), _current.set(self)

    def _pause(self, state):
        _server.ServerRequest._pause(self, state[0])
        _current.reset(state[1])


def _route_on_response(req):
    if not req.routed:
        request = _flask_request()
        if request is not None:
            req.tag_route(request)


def _flask_request():
    """Flask's current request object, or None outside a request context."""
    cv = _REQUEST_CTX
    if cv is not None:
        # Flask >= 2.2: the request context's own ContextVar, without LocalProxy's detour.
        ctx = cv.get(None)
        return None if ctx is None else ctx.request
    try:
        return flask.request._get_current_object()
    except RuntimeError:
        return None


_VERSION = _MISSING


def _flask_version():
    global _VERSION
    if _VERSION is _MISSING:
        _VERSION = integration.version() or ""
    return _VERSION


def _start_request(pin, environ):
    req = _server.start_wsgi_request(integration, pin, "flask.request", environ, cls=_Request)
    req.routed = False
    version = _flask_version()
    if version:
        req.span.set_tag_str("flask.version", version)
    req.app_span = req.tracer.trace("flask.application")
    req.app_span.set_tag_str(COMPONENT, _COMPONENT)
    return req


def _pin_of(app):
    # Pin.get_from's protocol costs two failed attribute lookups per request; an app
    # almost never has a pin, and one set with Pin.override is an attribute.
    if getattr(app, "_datadog_pin", None) is None:
        return None
    return integration.pin_of(app)


def _traced_wsgi_app(wrapped, instance, args, kwargs):
    pin = _pin_of(instance)
    if not integration.should_trace(pin) or len(args) != 2 or kwargs:
        return wrapped(*args, **kwargs)
    environ, start_response = args
    try:
        req = _start_request(pin, environ)
        start_response = req.traced_start_response(start_response, _route_on_response)
    except Exception as e:
        report_internal_error(e, "starting a flask request")
        return wrapped(*args, **kwargs)

    token = _current.set(req)
    try:
        result = wrapped(environ, start_response)
    except BaseException:
        exc_info = sys.exc_info()
        with guard("recording a flask request's exception"):
            req.app_span.set_exc_info(*exc_info)
            req.app_span.finish()
            req.finish(exc_info)
            req.restore_active()
        raise
    finally:
        _current.reset(token)

    try:
        req.app_span.finish()
        # The body is iterated later, maybe never: leave the server's thread as it was.
        req.restore_active()
        return req.wsgi_body(result, "flask.response")
    except Exception as e:
        report_internal_error(e, "wrapping a flask response")
    with guard("finishing a flask request"):
        req.finish()
    return result


# ------------------------------------------------------------------ Flask's steps


def _Step(span_name, route=False, ignore=False, record_on_request=False):
    """Wrapper of one of Flask's methods: a span named ``span_name`` under the request.

    ``route``: record the URL rule first. ``ignore``: a routing miss (``NotFound``) is
    not an error of this span. ``record_on_request``: the exception handled (first
    argument) is the request's error. (A closure: cheaper to call than an object's
    ``__call__``, and five of these run on every request.)
    """
    what = "starting a %s span" % (span_name,)
    current = _current.get

    def step(wrapped, instance, args, kwargs):
        req = current()
        if req is None or req.finished:
            return wrapped(*args, **kwargs)
        try:
            if route and not req.routed:
                request = _flask_request()
                if request is not None:
                    req.tag_route(request)
            if record_on_request and args:
                e = args[0]
                if isinstance(e, BaseException):
                    req.span.set_exc_info(type(e), e, e.__traceback__)
            span = req.tracer.trace(span_name)
            span.set_tag_str(COMPONENT, _COMPONENT)
        except Exception as e:
            report_internal_error(e, what)
            return wrapped(*args, **kwargs)
        if not ignore:
            with span:
                return wrapped(*args, **kwargs)
        try:
            return wrapped(*args, **kwargs)
        except BaseException as e:
            if not isinstance(e, _NotFound):
                span.set_exc_info(type(e), e, e.__traceback__)
            raise
        finally:
            span.finish()

    return step


# ------------------------------------------------------------------ the app's functions


class _Call:
    """Wrapper of a view, hook or error handler: a span named ``name`` (a view's
    resource is its URL rule)."""

    __slots__ = ("name", "rule", "view")

    def __init__(self, name, rule=None, view=False):
        self.name = name
        self.rule = rule
        self.view = view

    def _start(self):
        req = _current.get()
        if req is None or req.finished:
            return None
        try:
            resource = (req.route or self.rule) if self.view else None
            span = req.tracer.trace(self.name, resource=resource)
            span.set_tag_str(COMPONENT, _COMPONENT)
            return span
        except Exception as e:
            report_internal_error(e, "starting a span for %s" % (self.name,))
            return None

    def __call__(self, wrapped, instance, args, kwargs):
        span = self._start()
        if span is None:
            return wrapped(*args, **kwargs)
        with span:
            return wrapped(*args, **kwargs)


class _AsyncCall(_Call):
    """:class:`_Call` for ``async def`` views and hooks (Flask >= 2 runs them through
    ``ensure_sync``): the span covers the coroutine, not its creation."""

    __slots__ = ()

    def __call__(self, wrapped, instance, args, kwargs):
        return self._run(wrapped, args, kwargs)

    async def _run(self, wrapped, args, kwargs):
        span = self._start()
        if span is None:
            return await wrapped(*args, **kwargs)
        with span:
            return await wrapped(*args, **kwargs)


def _callable_name(f):
    """``<module>.<name>`` of a function (or of the class of a callable object)."""
    name = getattr(f, "__name__", None)
    module = getattr(f, "__module__", None)
    if not isinstance(name, str):
        cls = type(f)
        name = cls.__name__
        module = cls.__module__
    return "%s.%s" % (module, name) if module else name


def _is_traced(f):
    return isinstance(getattr(f, "_self_wrapper", None), _Call)


def _traced_callable(f, name=None, rule=None, view=False):
    """``f`` wrapped to make a span when called during a traced request."""
    if f is None or not callable(f) or _is_traced(f):
        return f
    import inspect

    cls = _AsyncCall if inspect.iscoroutinefunction(f) else _Call
    return wrapt.FunctionWrapper(f, cls(name or _callable_name(f), rule, view))


def _registration(index):
    """Wrapper of a registration method whose argument ``index`` (or ``f=``) is the
    function to register: the traced function is registered, the user's returned."""

    def wrapper(wrapped, instance, args, kwargs):
        in_args = len(args) > index
        f = args[index] if in_args else kwargs.get("f")
        traced = f
        with guard("tracing a flask hook"):
            traced = _traced_callable(f)
        if traced is f:
            return wrapped(*args, **kwargs)
        if in_args:
            args = args[:index] + (traced,) + args[index + 1 :]
        else:
            kwargs = dict(kwargs, f=traced)
        result = wrapped(*args, **kwargs)
        return f if result is traced else result

    return wrapper


def _traced_add_url_rule(wrapped, instance, args, kwargs):
    in_args = len(args) > 2
    view_func = args[2] if in_args else kwargs.get("view_func")
    traced = view_func
    with guard("tracing a flask view"):
        rule = args[0] if args else kwargs.get("rule")
        endpoint = args[1] if len(args) > 1 else kwargs.get("endpoint")
        # Blueprint views are named by their endpoint (``<blueprint>.<view>``).
        name = str(endpoint) if endpoint and _in_blueprint.get() else None
        traced = _traced_callable(view_func, name=name, rule=None if rule is None else str(rule), view=True)
    if traced is view_func:
        return wrapped(*args, **kwargs)
    if in_args:
        args = args[:2] + (traced,) + args[3:]
    else:
        kwargs = dict(kwargs, view_func=traced)
    return wrapped(*args, **kwargs)


def _traced_blueprint_add_url_rule(wrapped, instance, args, kwargs):
    token = _in_blueprint.set(True)
    try:
        return wrapped(*args, **kwargs)
    finally:
        _in_blueprint.reset(token)


# ------------------------------------------------------------------ helpers


def _helper_span(name):
    """A span for one of Flask's helpers, under the request if there is one."""
    req = _current.get()
    if req is not None:
        return req.tracer.trace(name)
    if not integration.should_trace():
        return None
    return integration.tracer().trace(name, service=integration.service())


def _traced_jsonify(wrapped, instance, args, kwargs):
    span = None
    with guard("starting a flask.jsonify span"):
        span = _helper_span("flask.jsonify")
        if span is not None:
            span.set_tag_str(COMPONENT, _COMPONENT)
    if span is None:
        return wrapped(*args, **kwargs)
    with span:
        return wrapped(*args, **kwargs)


def _template_label(template, default):
    if isinstance(template, str):
        return template or default
    if isinstance(template, (list, tuple)):
        return _template_label(template[0], default) if template else default
    name = getattr(template, "name", None)
    return name if isinstance(name, str) and name else default


class _TemplateRendering:
    """Wrapper of ``render_template`` / ``render_template_string``: a ``template`` span
    named ``span_name`` whose resource is the template's name (``source_name`` for
    templates given as source, else the first argument)."""

    __slots__ = ("span_name", "source_name")

    def __init__(self, span_name, source_name):
        self.span_name = span_name
        self.source_name = source_name

    def __call__(self, wrapped, instance, args, kwargs):
        span = None
        with guard("starting a %s span" % (self.span_name,)):
            span = _helper_span(self.span_name)
            if span is not None:
                default = integration.config.get("template_default_name") or "<memory>"
                if self.source_name is not None:
                    name = default
                else:
                    name = _template_label(args[0] if args else kwargs.get("template_name_or_list"), default)
                span.resource = name
                span.span_type = SpanTypes.TEMPLATE
                span.set_tag_str(COMPONENT, _COMPONENT)
                span.set_tag_str("flask.template_name", name)
        if span is None:
            return wrapped(*args, **kwargs)
        with span:
            return wrapped(*args, **kwargs)
