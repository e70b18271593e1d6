"""What the Django wrappers share: their settings, naming callables, and calling the
user's code inside a span whether it returns a value or a coroutine."""
from __future__ import annotations

import sys
from types import CoroutineType

from ddtrace.contrib.django.patch import integration
from ddtrace.ext import COMPONENT
from ddtrace.internal.logger import report_internal_error
from ddtrace.settings import config as _config
from ddtrace.trace import tracer as _tracer
from ddtrace.trace._span import _active as _active_var

#: Attribute of the ``HttpRequest`` holding its ``django.request`` while it is traced.
STATE_ATTR = "_datadog_request"

_trace = _tracer.trace
# (settings generation, service): every span of every request asks for it.
_service_cache = (-1, None)


def service():
    """The service of Django's spans: ``DD_DJANGO_SERVICE``, else ``DD_SERVICE``, else
    ``django``."""
    global _service_cache
    generation, name = _service_cache
    if generation != _config._generation:
        name = integration.service() or "django"
        _service_cache = (_config._generation, name)
    return name


def instrumented(group):
    """Whether ``instrument_<group>`` (``databases``, ``caches``, ``templates``) is on;
    unset, it is the opposite of ``tracing_minimal``."""
    cfg = integration.config
    value = cfg.get("instrument_" + group)
    if value is None:
        return not cfg.get("tracing_minimal", True)
    return bool(value)


class Switch:
    """On from a set-up until ``unpatch()``: the proxies a set-up leaves in the
    application (the view functions of a URLconf) outlive the wrappers ``unpatch()``
    removes, and must then call straight through."""

    __slots__ = ("on",)

    def __init__(self):
        self.on = False

    def arm(self):
        self.on = True
        integration.on_unpatch(self._off)

    def _off(self):
        self.on = False

    def tracing(self):
        return self.on and integration.should_trace()


def created(handler):
    """What a connection handler of Django's (``caches``, ``connections``) already
    created, in this thread (``handler.all()`` would create the others)."""
    connections = getattr(handler, "_connections", None)
    if connections is None:
        return []
    from django.conf import settings

    if not settings.configured:  # nothing can have been created yet
        return []
    found = (getattr(connections, alias, None) for alias in handler.settings)
    return [obj for obj in found if obj is not None]


def active(tracer):
    """The raw active span or context (``tracer.context_provider`` builds a provider
    object at every access when none was configured)."""
    provider = tracer._context_provider
    return _active_var.get() if provider is None else provider.active()


def activate(tracer, ctx):
    """Make ``ctx`` (a Span, a Context or None) the active one."""
    provider = tracer._context_provider
    if provider is None:
        _active_var.set(ctx)
    else:
        provider.activate(ctx)


_names = {}


def dotted_name(obj):
    """``module.Name`` of a class (its ``__name__``, which decorators that make classes
    set, as Django REST framework's ``api_view`` does), ``module.QualName`` of a
    function or method (``obj`` itself for a str)."""
    if isinstance(obj, str):
        return obj
    try:
        return _names[obj]
    except (KeyError, TypeError):
        pass
    target = getattr(obj, "__func__", obj)
    module = getattr(target, "__module__", None)
    if isinstance(target, type):
        local = target.__name__
    else:
        local = getattr(target, "__qualname__", None) or getattr(target, "__name__", None)
    if local is None:
        cls = type(target)
        module, local = cls.__module__, cls.__name__
    name = "%s.%s" % (module, local) if module else local
    # Only classes and functions are remembered (a bounded, stable set); bound
    # methods are new objects at every access.
    if target is obj and len(_names) < 4096:
        try:
            _names[obj] = name
        except TypeError:
            pass
    return name


def class_name(obj):
    """``module.Name`` of ``obj``'s class."""
    return dotted_name(type(obj))


def record_exception(span, exc_info):
    """Mark ``span`` with the exception (an ``Exception``, not a cancellation)."""
    exc = exc_info[1]
    if isinstance(exc, Exception):
        span.set_exc_info(*exc_info)


def start_span(name, resource, span_type=None):
    """A child span of the active one (``component=django``); None if that failed."""
    return integration.start_span(name, resource=resource, span_type=span_type, service=service())


def run_traced(name, resource, fn, args, kwargs):
    """``fn(*args, **kwargs)`` in a new child span ``name`` (``component=django``).

    For the spans of every middleware hook and view of every request: the tracer's
    ``trace`` and the component tag, as Flask's steps do, rather than
    ``integration.start_span`` (which costs a third of the request's tracing here); the
    span takes its parent's service.
    """
    try:
        span = _trace(name, None, resource)
        span.set_tag_str(COMPONENT, "django")
    except Exception as e:
        report_internal_error(e, "starting a %s span" % (name,))
        return fn(*args, **kwargs)
    try:
        result = fn(*args, **kwargs)
    except BaseException:
        record_exception(span, sys.exc_info())
        span.finish()
        raise
    if type(result) is CoroutineType:
        return _detach(span, result)
    span.finish()
    return result


def call_in_span(span, fn, args, kwargs):
    """``fn(*args, **kwargs)`` inside ``span`` (already started and active).

    A plain result finishes the span at once. A coroutine (an ``async`` view, handler or
    middleware called through a sync entry point) keeps the span open until it has been
    awaited to its end; meanwhile the span is not left active for the caller.
    """
    try:
        result = fn(*args, **kwargs)
    except BaseException:
        record_exception(span, sys.exc_info())
        span.finish()
        raise
    if type(result) is CoroutineType:
        return _detach(span, result)
    span.finish()
    return result


def _detach(span, coro):
    try:
        if active(_tracer) is span:
            activate(_tracer, span._parent)
    except Exception as e:
        report_internal_error(e, "detaching a django span from its coroutine")
    return _await_in_span(span, coro)


async def _await_in_span(span, coro):
    try:
        activate(_tracer, span)
    except Exception as e:
        report_internal_error(e, "activating a django span in its coroutine")
    try:
        return await coro
    except BaseException:
        record_exception(span, sys.exc_info())
        raise
    finally:
        span.finish()


async def await_in_new_span(name, resource, fn, args, kwargs):
    """``await fn(*args, **kwargs)`` inside a new child span (for ``async def`` callables)."""
    span = start_span(name, resource)
    if span is None:
        return await fn(*args, **kwargs)
    try:
        return await fn(*args, **kwargs)
    except BaseException:
        record_exception(span, sys.exc_info())
        raise
    finally:
        span.finish()
