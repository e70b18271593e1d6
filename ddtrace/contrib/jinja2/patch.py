"""Traces Jinja2: template loading, compilation and rendering."""
from __future__ import annotations

import sys

from ddtrace.contrib._integration import Integration
from ddtrace.contrib._integration import guard
from ddtrace.ext import SpanTypes

integration = Integration("jinja2")
patch, unpatch, get_version = integration.patch, integration.unpatch, integration.version

TEMPLATE_NAME = "jinja2.template_name"
TEMPLATE_PATH = "jinja2.template_path"


@integration.on_import("jinja2.environment")
def _patch(environment):
    """Trace ``Environment.compile``, template loading and ``Template.render`` /
    ``Template.generate``."""
    integration.wrap(environment.Template, "render", _traced_render)
    integration.wrap(environment.Template, "generate", _traced_generate)
    integration.wrap(environment.Environment, "compile", _traced_compile)
    integration.wrap(environment.Environment, "_load_template", _traced_load)


def _template_name(name):
    if name is None or name == "":
        return integration.config.get("template_default_name") or "<memory>"
    return name if isinstance(name, str) else str(name)


def _start(environment, name, resource, activate=True):
    """A new template span for ``environment``'s work, or None when not tracing."""
    pin = integration.pin_of(environment)
    if not integration.should_trace(pin):
        return None
    span = integration.start_span(name, pin, resource=resource, span_type=SpanTypes.TEMPLATE, activate=activate)
    if span is not None:
        span.set_tag_str(TEMPLATE_NAME, resource)
    return span


def _traced_render(wrapped, instance, args, kwargs):
    span = None
    with guard("starting a jinja2.render span"):
        span = _start(getattr(instance, "environment", None), "jinja2.render", _template_name(instance.name))
    if span is None:
        return wrapped(*args, **kwargs)
    with span:
        return wrapped(*args, **kwargs)


def _traced_generate(wrapped, instance, args, kwargs):
    gen = wrapped(*args, **kwargs)
    # The rendering happens while the caller iterates: the span covers that.
    return _TracedGeneration(gen, instance)


class _TracedGeneration:
    """``Template.generate()``'s iterator, in a ``jinja2.render`` span that starts with
    the first item and ends after the last one (or at ``close()``, or when dropped).

    The span is active only while the template produces an item, never between two
    items, so what the caller does meanwhile does not end up under it.
    """

    __slots__ = ("_gen", "_template", "_span", "_provider", "_started", "__weakref__")

    def __init__(self, gen, template):
        self._gen = gen
        self._template = template
        self._span = None
        self._provider = None
        self._started = False

    def __iter__(self):
        return self

    def _resume(self):
        """Activate the span (starting it on the first item); returns what was active."""
        span = self._span
        if span is None:
            if self._started:
                return None
            self._started = True
            with guard("starting a jinja2.render span"):
                t = self._template
                environment = getattr(t, "environment", None)
                span = _start(environment, "jinja2.render", _template_name(t.name), activate=False)
                if span is None:
                    return None
                provider = self._provider = integration.tracer(integration.pin_of(environment)).context_provider
                previous = provider.active()
                provider.activate(span)
                self._span = span
                return previous
            return None
        provider = self._provider
        previous = provider.active()
        provider.activate(span)
        return previous

    def __next__(self):
        previous = self._resume()
        span = self._span
        if span is None:
            return next(self._gen)
        try:
            item = next(self._gen)
        except StopIteration:
            self._end(previous, None)
            raise
        except BaseException:
            self._end(previous, sys.exc_info())
            raise
        with guard("pausing a jinja2.render span"):
            self._provider.activate(previous)
        return item

    def _end(self, previous, exc_info):
        span, self._span = self._span, None
        with guard("finishing a jinja2.render span"):
            if exc_info is not None:
                span.set_exc_info(*exc_info)
            span.finish()
            self._provider.activate(previous)

    def close(self):
        try:
            self._gen.close()
        finally:
            span, self._span = self._span, None
            if span is not None:
                with guard("finishing a jinja2.render span"):
                    span.finish()

    def __del__(self):
        # Dropped before the end: report what was rendered rather than lose it.
        span, self._span = self._span, None
        if span is not None:
            try:
                span.finish()
            except Exception:
                pass


def _arg(args, kwargs, index, name, default=None):
    if len(args) > index:
        return args[index]
    return kwargs.get(name, default)


def _traced_compile(wrapped, instance, args, kwargs):
    span = None
    with guard("starting a jinja2.compile span"):
        span = _start(instance, "jinja2.compile", _template_name(_arg(args, kwargs, 1, "name")))
    if span is None:
        return wrapped(*args, **kwargs)
    with span:
        return wrapped(*args, **kwargs)


def _traced_load(wrapped, instance, args, kwargs):
    span = None
    with guard("starting a jinja2.load span"):
        span = _start(instance, "jinja2.load", _template_name(_arg(args, kwargs, 0, "name")))
    if span is None:
        return wrapped(*args, **kwargs)
    with span:
        template = wrapped(*args, **kwargs)
        with guard("tagging a jinja2.load span"):
            filename = getattr(template, "filename", None)
            if filename:
                span.set_tag_str(TEMPLATE_PATH, str(filename))
    return template
