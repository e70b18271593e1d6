"""``django.cache`` spans around the methods of Django's cache backends.

Backends are classes anyone can write (``django-redis``...), so they are instrumented
when Django creates one (``CacheHandler.create_connection``): each method of
:data:`METHODS` defined by the backend's class or one of its bases is wrapped where it
is defined, and the span's resource names that place
(``django.core.cache.backends.locmem.get``, ``django.core.cache.backends.base.get_many``).
"""
from __future__ import annotations

from ddtrace.contrib._integration import guard
from ddtrace.contrib.django._utils import class_name
from ddtrace.contrib.django._utils import created
from ddtrace.contrib.django._utils import instrumented
from ddtrace.contrib.django.patch import integration
from ddtrace.ext import SpanTypes
from ddtrace.ext import db as _db

SPAN_NAME = "django.cache"
#: The calls PyPI ddtrace traces (not ``get_or_set``, ``has_key``, ``touch`` nor ``clear``).
METHODS = ("get", "set", "add", "delete", "get_many", "set_many", "delete_many", "incr", "decr")
#: Keys are recorded up to this length (the ``django.cache.key`` tag).
MAX_KEY_LENGTH = 300

_patched_classes = set()


def patch_cache(module):
    """Wrap ``CacheHandler.create_connection`` (``django.core.cache``), and the backends
    created before patching."""
    integration.wrap(module.CacheHandler, "create_connection", _traced_create_connection)
    integration.on_unpatch(_patched_classes.clear)
    for backend in created(module.caches):
        instrument_backend_class(type(backend))


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
                integration.wrap(klass, method, _cache_wrapper(method, "%s.%s" % (klass.__module__, method)))


def _key_tag(args, kwargs):
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


def _hits(method, result, args, kwargs):
    """``db.row_count``: the values found by a read; 0 for the other calls. (PyPI
    ddtrace counts a ``get`` that returned the caller's default as a hit.)"""
    if method == "get":
        default = args[1] if len(args) > 1 else kwargs.get("default")
        return 0 if result is default else 1
    if method == "get_many":
        return len(result) if isinstance(result, dict) else 0
    return 0


def _cache_wrapper(method, resource):
    def traced(wrapped, instance, args, kwargs):
        if not instrumented("caches") or not integration.should_trace():
            return wrapped(*args, **kwargs)
        service = integration.config.get("cache_service_name") or "django"
        span = integration.start_span(
            SPAN_NAME, resource=resource, span_type=SpanTypes.CACHE, service=service, measured=True
        )
        if span is None:
            return wrapped(*args, **kwargs)
        with guard("tagging a django.cache span"):
            span.set_tag_str("django.cache.backend", class_name(instance))
            key = _key_tag(args, kwargs)
            if key is not None:
                span.set_tag_str("django.cache.key", key)
        with span:
            result = wrapped(*args, **kwargs)
            with guard("counting the hits of a django.cache call"):
                span.set_metric(_db.ROWCOUNT, _hits(method, result, args, kwargs))
        return result

    return traced
