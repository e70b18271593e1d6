"""What the Django wrappers share: naming callables, starting child spans, and calling
the user's code inside a span whether it returns a value or a coroutine."""
from __future__ import annotations

import sys
from types import CoroutineType

from ddtrace.ext import COMPONENT
from ddtrace.internal.logger import report_internal_error
from ddtrace.internal.suppress import _suppressed
from ddtrace.trace import tracer as _tracer
from ddtrace.trace._span import _active as _active_var

COMPONENT_NAME = "django"

# ``config.django``'s values, bound by ``bind()`` at patch time; ``_patched`` goes
# false at unpatch, when proxies built before (a loaded middleware chain) must stop.
_settings = {}
_patched = False
_suppressed_get = _suppressed.get


def bind(integration):
    """Point :func:`tracing` at the integration's settings and turn it on."""
    global _settings, _patched
    _settings = integration.config.__dict__
    _patched = True


def unbind():
    """Turn :func:`tracing` off (``unpatch()``)."""
    global _patched
    _patched = False


def tracing():
    """``Integration.should_trace()`` for the global tracer, on the hot path of every
    wrapper: patched, the tracer enabled, the integration enabled, not the tracer's
    own work."""
    try:
        return (
            _patched
            and _tracer.enabled
            and _settings.get("enabled", True) is not False
            and not _suppressed_get()
        )
    except Exception as e:
        report_internal_error(e, "deciding whether django traces")
        return False


def tracer():
    """The tracer the integration's spans go to."""
    return _tracer


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
    """``module.QualName`` of a class, function or method (``obj`` itself for a str)."""
    if isinstance(obj, str):
        return obj
    try:
        return _names[obj]
    except (KeyError, TypeError):
        pass
    target = getattr(obj, "__func__", obj)
    module = getattr(target, "__module__", None)
    qualname = getattr(target, "__qualname__", None) or getattr(target, "__name__", None)
    if qualname is None:
        cls = type(target)
        module, qualname = cls.__module__, cls.__qualname__
    name = "%s.%s" % (module, qualname) if module else qualname
    # Only classes and functions are remembered (a bounded, stable set); bound
    # methods are new objects at every access.
    if target is obj and len(_names) < 4096:
        try:
            _names[obj] = name
        except TypeError:
            pass
    return name


def class_name(obj):
    """``module.QualName`` of ``obj``'s class."""
    return dotted_name(type(obj))


# Exceptions Django (or DRF) turns into a 4xx response: the client's error, not the
# application's, so they do not mark spans as errors.
_client_errors = None


def _client_error_types():
    global _client_errors
    if _client_errors is None:
        types = []
        try:
            from django.core.exceptions import PermissionDenied
            from django.core.exceptions import SuspiciousOperation
            from django.http import Http404

            types += [Http404, PermissionDenied, SuspiciousOperation]
            from django.core.exceptions import BadRequest  # Django 3.2+

            types.append(BadRequest)
        except ImportError:
            pass
        _client_errors = tuple(types)
    return _client_errors


def is_client_error(exc):
    """True for exceptions that become a 4xx response (``Http404``, DRF's ``NotFound``...)."""
    if isinstance(exc, _client_error_types()):
        return True
    drf = sys.modules.get("rest_framework.exceptions")
    if drf is not None and isinstance(exc, drf.APIException):
        status = getattr(exc, "status_code", 500)
        return isinstance(status, int) and status < 500
    return False


def record_exception(span, exc_info):
    """Mark ``span`` with the exception unless it is a client error; never raises."""
    try:
        exc = exc_info[1]
        if isinstance(exc, Exception) and not is_client_error(exc):
            span.set_exc_info(*exc_info)
    except Exception as e:
        report_internal_error(e, "recording an exception on a django span")


def start_span(tracer, name, resource, span_type=None, service=None):
    """A child span of the active one, tagged ``component=django``; None if that failed."""
    try:
        span = tracer.trace(name, service=service, resource=resource, span_type=span_type)
        span._meta[COMPONENT] = COMPONENT_NAME
        return span
    except Exception as e:
        report_internal_error(e, "starting a %s span" % (name,))
        return None


_trace = _tracer.trace


def run_traced(name, resource, fn, args, kwargs):
    """``fn(*args, **kwargs)`` in a new child span ``name`` (``component=django``).

    :func:`start_span` and :func:`call_in_span` in one frame: this runs for every
    middleware hook and view of every request.
    """
    try:
        span = _trace(name, None, resource)
        span._meta[COMPONENT] = COMPONENT_NAME
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
        return _detach(_tracer, span, result)
    span.finish()
    return result


def _detach(tracer, span, coro):
    try:
        if active(tracer) is span:
            activate(tracer, span._parent)
    except Exception as e:
        report_internal_error(e, "detaching a django span from its coroutine")
    return _await_in_span(tracer, span, coro)


def call_in_span(tracer, span, fn, args, kwargs):
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
        return _detach(tracer, span, result)
    span.finish()
    return result


async def _await_in_span(tracer, span, coro):
    try:
        activate(tracer, span)
    except Exception as e:
        report_internal_error(e, "activating a django span in its coroutine")
    try:
        return await coro
    except BaseException:
        record_exception(span, sys.exc_info())
        raise
    finally:
        span.finish()


async def await_in_new_span(tracer, name, resource, fn, args, kwargs):
    """``await fn(*args, **kwargs)`` inside a new child span (for ``async def`` callables)."""
    span = start_span(tracer, name, resource)
    if span is None:
        return await fn(*args, **kwargs)
    try:
        return await fn(*args, **kwargs)
    except BaseException:
        record_exception(span, sys.exc_info())
        raise
    finally:
        span.finish()
