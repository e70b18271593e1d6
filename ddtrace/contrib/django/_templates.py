"""``django.template.render`` spans: every ``django.template.base.Template.render``
(so a template and each one it includes), when template instrumentation is on."""
from __future__ import annotations

from ddtrace.contrib._integration import guard
from ddtrace.contrib.django._utils import call_in_span
from ddtrace.contrib.django._utils import class_name
from ddtrace.contrib.django._utils import instrumented
from ddtrace.contrib.django._utils import start_span
from ddtrace.contrib.django.patch import integration
from ddtrace.ext import SpanTypes

SPAN_NAME = "django.template.render"


def patch_templates(module):
    """Wrap ``Template.render`` (``django.template.base``)."""
    integration.wrap(module.Template, "render", _traced_render)


def _traced_render(wrapped, instance, args, kwargs):
    if not instrumented("templates") or not integration.should_trace():
        return wrapped(*args, **kwargs)
    name = getattr(instance, "name", None)
    # A template made from a string has no name: the method is the resource then.
    span = start_span(SPAN_NAME, str(name) if name else class_name(instance) + ".render", SpanTypes.TEMPLATE)
    if span is None:
        return wrapped(*args, **kwargs)
    with guard("tagging a django.template.render span"):
        if name:
            span.set_tag_str("django.template.name", str(name))
        engine = getattr(instance, "engine", None)
        if engine is not None:
            span.set_tag_str("django.template.engine.class", class_name(engine))
    return call_in_span(span, wrapped, args, kwargs)
