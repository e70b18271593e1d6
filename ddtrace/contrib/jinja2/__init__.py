"""Traces Jinja2 templates: loading, compiling and rendering.

Enabled by default under ``ddtrace-run`` and ``patch_all()``; in code::

    from ddtrace import patch

    patch(jinja2=True)

Spans (type ``template``, tag ``component=jinja2``, resource the template name; a
template made from a string is named ``<memory>``):

- ``jinja2.load``: ``Environment.get_template`` / ``select_template`` /
  ``{% include %}`` looking a template up (from the loader or the environment's cache),
  with ``jinja2.template_name`` and, when the loader knows the file,
  ``jinja2.template_path``. A template that is not found is recorded as an error
  (``jinja2.exceptions.TemplateNotFound``).
- ``jinja2.compile``: compiling a template's source (``Environment.compile``, also
  reached through ``from_string`` and ``Template(...)``), with ``jinja2.template_name``.
  Syntax errors are recorded on it.
- ``jinja2.render``: ``Template.render``, and ``Template.generate`` / ``Template.stream``
  for as long as the caller iterates (the span starts with the first piece and ends after
  the last one, or when the iterator is closed or dropped). Exceptions raised by the
  template are recorded on it and reach the caller unchanged.

Includes and template inheritance nest: the ``jinja2.load`` of an included template is
a child of the ``jinja2.render`` that needed it.

Settings
--------

``DD_JINJA2_SERVICE`` / ``config.jinja2.service``
    Service of the spans (default ``DD_SERVICE``).
``config.jinja2.template_default_name``
    Name used for templates without one (default ``"<memory>"``).
``DD_TRACE_JINJA2_ENABLED``
    ``false`` leaves Jinja2 untraced.

To change the service of one environment's spans::

    from ddtrace.trace import Pin

    Pin.override(env, service="emails")

Async rendering (``render_async`` / ``generate_async``) is not traced.
"""
