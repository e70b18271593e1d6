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

from ddtrace.contrib import trace_utils
from ddtrace.contrib._integration import Integration
from ddtrace.contrib._integration import distribution_version
from ddtrace.contrib._integration import guard
from ddtrace.contrib.wsgi import _EnvironHeaders
from ddtrace.contrib.wsgi import _request_path
from ddtrace.contrib.wsgi import _request_url
from ddtrace.ext import COMPONENT
from ddtrace.ext import SPAN_KIND
from ddtrace.ext import SpanKind
from ddtrace.ext import SpanTypes
from ddtrace.ext import http as _http
from ddtrace.internal.logger import report_internal_error
from ddtrace.propagation._utils import HEADER_NAMES
from ddtrace.trace._span import _active
from ddtrace.trace.provider import DefaultContextProvider
from ddtrace.settings import config

_COMPONENT = "flask"
_HTTP_ROUTE = _http.ROUTE
_MISSING = object()
_DEFAULT_PROVIDER = DefaultContextProvider()


class _FlaskIntegration(Integration):
    # ``flask.__version__`` is deprecated since Flask 3.0 and warns when read: take the
    # version from the package metadata, once.
    _version = _MISSING

    def version(self):
        v = self._version
        if v is _MISSING:
            v = self._version = distribution_version("flask", "Flask")
        return v


integration = _FlaskIntegration(
    "flask",
    "flask",
    defaults={"distributed_tracing": True, "collect_view_args": True, "template_default_name": "<memory>"},
    distributions=("flask", "Flask"),
)

#: Versions the integration is tested with (1.0.3 is the oldest Flask that runs on
#: Python 3.11; 3.1 the newest release).
SUPPORTED = {"flask": ">=1.0,<4"}

#: The request being handled on this thread / task, while Flask handles it.
_current = ContextVar("ddtrace_flask_request", default=None)
#: True while a blueprint registers its routes (views are then named by endpoint).
_in_blueprint = ContextVar("ddtrace_flask_blueprint_setup", default=False)

# Set by _patch: werkzeug's NotFound, a routing miss, is not an error of dispatch_request.
_NotFound = ()
# Set by _patch: Flask's ContextVar of the current request context (Flask >= 2.2), if any.
_REQUEST_CTX = None


def get_version():
    """The installed Flask version (from the package metadata)."""
    return integration.version()


def patch():
    """Trace Flask applications (imports flask). Patching twice patches once; returns
    True if it patched now."""
    return integration.patch(_patch)


def unpatch():
    """Restore Flask's methods. Functions registered while patched stay wrapped but no
    longer make spans."""
    return integration.unpatch()


# ------------------------------------------------------------------ patching


def _owner(classes, attr):
    """The class that defines ``attr`` for the first of ``classes`` that has it."""
    for cls in classes:
        for klass in cls.__mro__:
            if attr in vars(klass):
                return klass
    return None


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


class _Request:
    """The spans of one request and what is known about it so far."""

    __slots__ = (
        "tracer",
        "provider",
        "span",
        "app_span",
        "response_span",
        "method",
        "route",
        "status",
        "routed",
        "finished",
        "previous",
    )

    def __init__(self, tracer, provider, span, app_span, method, previous):
        self.tracer = tracer
        self.provider = provider
        self.span = span
        self.app_span = app_span
        self.response_span = None
        self.method = method
        self.route = None
        self.status = None
        self.routed = False
        self.finished = False
        self.previous = previous

    def tag_route(self, request):
        """Record the matched URL rule (Flask's request object ``request``)."""
        self.routed = True
        rule = getattr(request, "url_rule", None)
        if rule is None:
            return
        route = str(rule.rule)
        self.route = route
        span = self.span
        app_span = self.app_span
        cfg = integration.config
        span._set_tag_str(_HTTP_ROUTE, route)
        span.resource = app_span.resource = "%s %s" % (self.method, route)
        span._set_tag_str("flask.url_rule", route)
        app_span._set_tag_str("flask.url_rule", route)
        endpoint = request.endpoint
        if endpoint is not None:
            endpoint = str(endpoint)
            span._set_tag_str("flask.endpoint", endpoint)
            app_span._set_tag_str("flask.endpoint", endpoint)
        if cfg.get("collect_view_args"):
            view_args = request.view_args
            if view_args:
                for key, value in view_args.items():
                    tag = "flask.view_args.%s" % (key,)
                    span.set_tag(tag, value)
                    app_span.set_tag(tag, value)

    def start_response(self, start_response):
        """``start_response`` that records the status and response headers first."""

        def traced_start_response(status, response_headers, *args):
            try:
                self._on_start_response(status, response_headers)
            except Exception as e:
                report_internal_error(e, "tagging a flask response")
            return start_response(status, response_headers, *args)

        return traced_start_response

    def _on_start_response(self, status, response_headers):
        code = trace_utils.parse_status_code(status)
        if code is not None:
            self.status = code
        trace_utils.set_http_meta(self.span, integration.config, status_code=code, response_headers=response_headers)
        if not self.routed:
            request = _flask_request()
            if request is not None:
                self.tag_route(request)

    def resume(self):
        """Make the response span (started now if needed) and this request current, for
        one step of the body; returns what :meth:`pause` needs to undo it."""
        span = self.response_span
        if span is None:
            span = self.response_span = self.tracer.start_span("flask.response", child_of=self.span)
            span._meta[COMPONENT] = _COMPONENT
        provider = self.provider
        if provider is _DEFAULT_PROVIDER:
            previous = _active.set(span)  # a token: pause() puts back exactly what was there
        else:
            previous = provider.active()
            provider.activate(span)
        return previous, _current.set(self)

    def pause(self, state):
        previous, token = state
        provider = self.provider
        if provider is _DEFAULT_PROVIDER:
            _active.reset(previous)
        else:
            provider.activate(previous)
        _current.reset(token)

    def finish(self, exc_info=None):
        """End the request (once): response span, resource, then the request span."""
        if self.finished:
            return
        self.finished = True
        span = self.span
        try:
            if exc_info is not None:
                span.set_exc_info(*exc_info)
                if self.status is None:
                    self.status = 500
                    trace_utils.set_http_meta(span, integration.config, status_code=500)
            if self.route is None:
                # No URL rule matched (404, 405) or the request failed before routing.
                span.resource = "%s %s" % (self.method, self.status) if self.status is not None else self.method
            if self.response_span is not None:
                self.response_span.finish()
        except Exception as e:
            report_internal_error(e, "finishing a flask request")
        finally:
            span.finish()


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

#: ``(WSGI environ key, header name)`` of every header a propagation style reads.
_PROPAGATION_KEYS = tuple(("HTTP_" + name.upper().replace("-", "_"), name) for name in sorted(HEADER_NAMES))


def _flask_version():
    global _VERSION
    if _VERSION is _MISSING:
        _VERSION = integration.version() or ""
    return _VERSION


def _start_request(pin, environ):
    tracer = integration.tracer(pin)
    cfg = integration.config
    service = trace_utils.int_service(pin, cfg, config.service)
    provider = tracer._context_provider or _DEFAULT_PROVIDER
    previous = _active.get() if provider is _DEFAULT_PROVIDER else provider.active()
    method = environ.get("REQUEST_METHOD") or "GET"
    if not isinstance(method, str):
        method = str(method)
    ctx = None
    # Most requests carry no trace context: look for the few environ keys that could
    # before handing anything to the propagator (which reads every key it is given).
    found = None
    for key, name in _PROPAGATION_KEYS:
        value = environ.get(key)
        if value is not None:
            if found is None:
                found = {}
            found[name] = value
    if found is not None:
        ctx = trace_utils.extract_context(cfg, found)
    if ctx is not None:
        span = tracer.start_span(
            "flask.request", child_of=ctx, service=service, span_type=SpanTypes.WEB, activate=True
        )
    else:
        span = tracer.trace("flask.request", service=service, span_type=SpanTypes.WEB)
    meta = span._meta
    meta[COMPONENT] = _COMPONENT
    meta[SPAN_KIND] = SpanKind.SERVER
    version = _flask_version()
    if version:
        meta["flask.version"] = version
    span.set_metric("_dd.measured", 1)
    try:
        url = _request_url(environ, _request_path(environ))
    except Exception as e:
        report_internal_error(e, "building the URL of a flask request")
        url = None
    trace_utils.set_http_meta(span, cfg, method=method, url=url, request_headers=_EnvironHeaders(environ))
    app_span = tracer.trace("flask.application")
    app_span._meta[COMPONENT] = _COMPONENT
    return _Request(tracer, provider, span, app_span, method, previous)


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
        start_response = req.start_response(start_response)
    except Exception as e:
        report_internal_error(e, "starting a flask request")
        return wrapped(*args, **kwargs)

    token = _current.set(req)
    try:
        result = wrapped(environ, start_response)
    except BaseException:
        exc_info = sys.exc_info()
        try:
            req.app_span.set_exc_info(*exc_info)
            req.app_span.finish()
            req.finish(exc_info)
            req.provider.activate(req.previous)
        except Exception as e:
            report_internal_error(e, "recording a flask request's exception")
        raise
    finally:
        _current.reset(token)

    try:
        req.app_span.finish()
        # The body is iterated later, maybe never: leave the server's thread as it was.
        req.provider.activate(req.previous)
        if hasattr(result, "__len__"):
            return _SizedTracedResponse(result, req)
        return _TracedResponse(result, req)
    except Exception as e:
        report_internal_error(e, "wrapping a flask response")
    try:
        req.finish()
    except Exception as e:
        report_internal_error(e, "finishing a flask request")
    return result


class _TracedResponse:
    """The response body: ``flask.response`` while it is iterated; the request ends
    when the server closes it, when it is exhausted, or when it is dropped.

    It is its own iterator (``iter(body) is body``), as werkzeug's bodies are: servers
    and test clients then use it as they would the original.
    """

    def __init__(self, result, request):
        self._dd_result = result
        self._dd_request = request
        self._dd_iter = None

    def __iter__(self):
        return self

    def __next__(self):
        request = self._dd_request
        it = self._dd_iter
        if request.finished:
            if it is None:
                it = self._dd_iter = iter(self._dd_result)
            return next(it)
        state = request.resume()
        try:
            if it is None:
                it = self._dd_iter = iter(self._dd_result)
            chunk = next(it)
        except StopIteration:
            request.pause(state)
            request.finish()
            raise
        except BaseException:
            exc_info = sys.exc_info()
            request.pause(state)
            request.finish(exc_info)
            raise
        request.pause(state)
        return chunk

    def close(self):
        request = self._dd_request
        close = getattr(self._dd_result, "close", None)
        if request.finished:
            # Ended when the body was exhausted: closing is no longer part of it.
            if close is not None:
                close()
            return
        if close is not None:
            state = request.resume()
            try:
                close()
            except BaseException:
                exc_info = sys.exc_info()
                request.pause(state)
                request.finish(exc_info)
                raise
            request.pause(state)
        request.finish()

    def __del__(self):
        # A server that never closes the body: end the trace rather than lose it.
        request = self.__dict__.get("_dd_request")
        if request is not None and not request.finished:
            try:
                request.finish()
            except Exception:
                pass

    def __getattr__(self, name):
        # Let servers see the body's own attributes (a file wrapper's, say).
        if name.startswith("_dd_"):
            raise AttributeError(name)
        return getattr(self._dd_result, name)


class _SizedTracedResponse(_TracedResponse):
    # Only for bodies with a length: some servers set Content-Length from it.
    def __len__(self):
        return len(self._dd_result)


# ------------------------------------------------------------------ Flask's steps


class _Step:
    """Wrapper of one of Flask's methods: a span named ``span_name`` under the request.

    ``route``: record the URL rule first. ``ignore``: a routing miss (``NotFound``) is
    not an error of this span. ``record_on_request``: the exception handled (first
    argument) is the request's error.
    """

    __slots__ = ("span_name", "route", "ignore", "record_on_request", "what")

    def __init__(self, span_name, route=False, ignore=False, record_on_request=False):
        self.span_name = span_name
        self.route = route
        self.ignore = ignore
        self.record_on_request = record_on_request
        self.what = "starting a %s span" % (span_name,)

    def __call__(self, wrapped, instance, args, kwargs):
        req = _current.get()
        if req is None or req.finished:
            return wrapped(*args, **kwargs)
        try:
            if self.route and not req.routed:
                request = _flask_request()
                if request is not None:
                    req.tag_route(request)
            if self.record_on_request and args:
                e = args[0]
                if isinstance(e, BaseException):
                    req.span.set_exc_info(type(e), e, e.__traceback__)
            span = req.tracer.trace(self.span_name)
            span._meta[COMPONENT] = _COMPONENT
        except Exception as e:
            report_internal_error(e, self.what)
            return wrapped(*args, **kwargs)
        if not self.ignore:
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
            span._meta[COMPONENT] = _COMPONENT
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
    return integration.tracer().trace(name, service=trace_utils.int_service(None, integration.config, config.service))


def _traced_jsonify(wrapped, instance, args, kwargs):
    span = None
    with guard("starting a flask.jsonify span"):
        span = _helper_span("flask.jsonify")
        if span is not None:
            span._meta[COMPONENT] = _COMPONENT
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
                span._meta[COMPONENT] = _COMPONENT
                span._meta["flask.template_name"] = name
        if span is None:
            return wrapped(*args, **kwargs)
        with span:
            return wrapped(*args, **kwargs)
