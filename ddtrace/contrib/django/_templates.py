"""``django.template.render`` spans: every ``django.template.base.Template.render``
(so a template and each one it includes), when template instrumentation is on."""
from __future__ import annotations

from ddtrace.contrib._integration import guard
from ddtrace.contrib.django._utils import call_in_span
from ddtrace.contrib.django._utils import class_name
from ddtrace.contrib.django._utils import start_span
from ddtrace.contrib.django._utils import tracing
from ddtrace.contrib.django._utils import tracer as _tracer
from ddtrace.ext import SpanTypes

SPAN_NAME = "django.template.render"
#: Resource of templates built from a string (they have no name).
UNNAMED = "unknown"

_integration = None


def patch_templates(integration, module):
    """Wrap ``Template.render`` (``django.template.base``)."""
    global _integration
    _integration = integration
    integration.wrap(module.Template, "render", _traced_render)


def _traced_render(wrapped, instance, args, kwargs):
    if not _integration.config.get("instrument_templates") or not tracing():
        return wrapped(*args, **kwargs)
    tracer = _tracer()
    name = getattr(instance, "name", None)
    span = start_span(tracer, SPAN_NAME, str(name) if name else UNNAMED, SpanTypes.TEMPLATE)
    if span is None:
        return wrapped(*args, **kwargs)
    with guard("tagging a django.template.render span"):
        if name:
            span._meta["django.template.name"] = str(name)
        engine = getattr(instance, "engine", None)
        if engine is not None:
            span._meta["django.template.engine.class"] = class_name(engine)
    return call_in_span(tracer, span, wrapped, args, kwargs)
