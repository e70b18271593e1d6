"""Pin: per-object tracing settings (service, tags), attached to a client or module."""
from ddtrace.internal.logger import get_logger

log = get_logger(__name__)

_PIN_ATTR = "_datadog_pin"
_global_tracer = None


class Pin:
    """Overrides how one object (a client, a connection, a module) is traced.

    >>> Pin.override(redis_client, service="sessions-cache")

    Integrations read the pin of the object they trace; a pin disabled with
    ``tracer.enabled = False`` (or a pin whose tracer is disabled) turns tracing off.
    """

    __slots__ = ("service", "tags", "_tracer", "_config", "_target")

    def __init__(self, service=None, tags=None, _config=None, tracer=None):
        self.service = service
        self.tags = dict(tags) if tags else None
        self._config = dict(_config) if _config else {}
        self._tracer = tracer
        self._target = None

    @property
    def tracer(self):
        global _global_tracer
        if self._tracer is not None:
            return self._tracer
        if _global_tracer is None:  # imported on first use: ddtrace.trace imports this module
            from ddtrace.trace import tracer

            _global_tracer = tracer
        return _global_tracer

    @tracer.setter
    def tracer(self, value):
        self._tracer = value

    def __repr__(self):
        return "Pin(service=%r, tags=%r)" % (self.service, self.tags)

    @staticmethod
    def get_from(obj):
        """The pin attached to ``obj`` (or its class), or None."""
        if obj is None:
            return None
        getter = getattr(obj, "__getddpin__", None)
        if getter is not None:
            try:
                return getter()
            except Exception:
                return None
        pin = getattr(obj, _PIN_ATTR, None)
        if pin is not None and pin._target != id(obj):
            # Inherited from a class or module: copy so changes stay on this object.
            pin = pin.clone()
            pin.onto(obj)
        return pin

    @classmethod
    def override(cls, obj, service=None, tags=None, tracer=None):
        """Attach to ``obj`` a pin with these values overriding its current one."""
        if obj is None:
            return
        pin = cls.get_from(obj)
        if pin is None:
            pin = Pin(service=service, tags=tags, tracer=tracer)
        else:
            pin = pin.clone(service=service, tags=tags, tracer=tracer)
        pin.onto(obj)

    _override = override

    def enabled(self):
        return self.tracer.enabled

    def onto(self, obj, send=True):
        """Attach this pin to ``obj``."""
        try:
            setter = getattr(obj, "__setddpin__", None)
            if setter is not None:
                return setter(self)
            self._target = id(obj)
            setattr(obj, _PIN_ATTR, self)
        except AttributeError:
            log.debug("can't pin onto object %r: it doesn't accept attributes", obj)

    def remove_from(self, obj):
        try:
            if getattr(obj, _PIN_ATTR, None) is not None:
                delattr(obj, _PIN_ATTR)
        except AttributeError:
            log.debug("can't remove pin from object %r", obj)

    def clone(self, service=None, tags=None, tracer=None):
        """A copy of this pin with the given values replaced (tags are merged)."""
        merged = dict(self.tags or {})
        if tags:
            merged.update(tags)
        return Pin(
            service=service if service is not None else self.service,
            tags=merged or None,
            _config=dict(self._config),
            tracer=tracer if tracer is not None else self._tracer,
        )
