"""``django.cache`` spans around the methods of Django's cache backends.

Backends are classes anyone can write (``django-redis``...), so they are instrumented
when Django creates one (``CacheHandler.create_connection``): each method of
:data:`METHODS` defined by the backend's class or one of its bases is wrapped where it
is defined, and the span's resource names that place
(``django.core.cache.backends.locmem.get``, ``django.core.cache.backends.base.get_many``).
"""
from __future__ import annotations

from ddtrace.constants import SPAN_MEASURED_KEY
from ddtrace.contrib._integration import guard
from ddtrace.contrib.django._utils import call_in_span
from ddtrace.contrib.django._utils import class_name
from ddtrace.contrib.django._utils import start_span
from ddtrace.contrib.django._utils import tracing
from ddtrace.contrib.django._utils import tracer as _tracer
from ddtrace.ext import SpanTypes

SPAN_NAME = "django.cache"
METHODS = (
    "get",
    "set",
    "add",
    "touch",
    "delete",
    "get_many",
    "set_many",
    "delete_many",
    "get_or_set",
    "has_key",
    "incr",
    "decr",
    "clear",
)
#: Keys are recorded up to this length (the ``django.cache.key`` tag).
MAX_KEY_LENGTH = 300

_integration = None
_patched_classes = set()


def patch_cache(integration, module):
    """Wrap ``CacheHandler.create_connection`` (``django.core.cache``)."""
    global _integration
    _integration = integration
    integration.wrap(module.CacheHandler, "create_connection", _traced_create_connection)
    integration.on_unpatch(_patched_classes.clear)


def _traced_create_connection(wrapped, instance, args, kwargs):
    backend = wrapped(*args, **kwargs)
    with guard("instrumenting a django cache backend"):
        instrument_backend_class(type(backend))
    return backend


def instrument_backend_class(cls):
    """Wrap the cache methods of ``cls`` and of its bases (each class once)."""
    for klass in cls.__mro__:
        if klass is object or klass in _patched_classes:
            continue
        _patched_classes.add(klass)
        own = vars(klass)
        for method in METHODS:
            if method in own and callable(own[method]):
                _integration.wrap(klass, method, _cache_wrapper("%s.%s" % (klass.__module__, method)))


def _key_tag(method, args, kwargs):
    if args:
        key = args[0]
    else:
        key = kwargs.get("keys", kwargs.get("key", kwargs.get("data")))
    if key is None:
        return None
    if isinstance(key, dict):
        key = list(key)
    if isinstance(key, (list, tuple, set, frozenset)):
        text = " ".join(str(k) for k in key)
    else:
        text = str(key)
    return text[:MAX_KEY_LENGTH]


def _cache_wrapper(resource):
    def traced(wrapped, instance, args, kwargs):
        cfg = _integration.config
        if not cfg.get("instrument_caches") or not tracing():
            return wrapped(*args, **kwargs)
        tracer = _tracer()
        span = start_span(tracer, SPAN_NAME, resource, SpanTypes.CACHE, cfg.get("cache_service_name") or "django")
        if span is None:
            return wrapped(*args, **kwargs)
        with guard("tagging a django.cache span"):
            span._metrics[SPAN_MEASURED_KEY] = 1
            span._meta["django.cache.backend"] = class_name(instance)
            key = _key_tag(resource, args, kwargs)
            if key is not None:
                span._meta["django.cache.key"] = key
        return call_in_span(tracer, span, wrapped, args, kwargs)

    return traced
