"""Sphinx directives ``.. ddtrace-env-table:: tracer|integration`` and ``.. ddtrace-env-default:: DD_NAME``.

Renders the ``DD_*`` variables declared with envier in ``ddtrace.settings._env`` as a
table (variable, type, default, meaning, ``ddtrace.config`` attribute), so the
configuration page is rebuilt from the code on every docs build and cannot drift.
"""
from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList


def _escape(text):
    return str(text).replace("\\", "\\\\").replace("*", "\\*").replace("`", "\\`").replace("|", "\\|")


def _literal(text):
    # Values read as code; descriptions of a default ("the integration's own") as prose.
    # ``...`` cannot hold a trailing backslash or start/end with a space either.
    text = str(text)
    if not text or " " in text or "``" in text or text.endswith("\\"):
        return _escape(text) or '""'
    return "``%s``" % text


def _rows(kind):
    from ddtrace.settings import _env

    if kind == "tracer":
        cls = _env.TracerEnv
    elif kind == "integration":
        cls = _env.IntegrationEnv
    else:
        raise ValueError("unknown table %r (expected tracer or integration)" % kind)
    rows = []
    for attr, var in _env.declared(cls):
        name = _env.env_name(var).replace("{INTEGRATION}", "<INTEGRATION>")
        if kind == "tracer":
            setting = "config." + _env.RAW_TARGETS.get(attr, attr)
        else:
            setting = "config.<integration>." + attr
        help_text = (var.help or "").strip()
        if help_text and not help_text.endswith("."):
            help_text += "."
        rows.append((name, var.help_type or "", _env.default_text(var), help_text, setting))
    rows.sort(key=lambda r: r[0])
    return rows


class EnvTable(Directive):
    required_arguments = 1
    has_content = False

    def run(self):
        kind = self.arguments[0].strip()
        try:
            rows = _rows(kind)
        except Exception as e:
            raise self.error("ddtrace-env-table: %s" % (e,))
        lines = [
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: 25 10 15 35 15",
            "",
            "   * - Variable",
            "     - Type",
            "     - Default",
            "     - Meaning",
            "     - Setting",
        ]
        for name, typ, default, help_text, setting in rows:
            lines += [
                "   * - ``%s``" % name,
                "     - %s" % _escape(typ),
                "     - %s" % _literal(default),
                "     - %s" % help_text,
                "     - ``%s``" % setting,
            ]
        container = nodes.container(classes=["ddtrace-env-table"])
        source = "<ddtrace-env-table %s>" % kind
        self.state.nested_parse(StringList(lines, source=source), self.content_offset, container)
        return [container]


class EnvDefault(Directive):
    """``.. ddtrace-env-default:: DD_NAME``: the variable's full default in a literal block."""

    required_arguments = 1
    has_content = False

    def run(self):
        from ddtrace.settings import _env

        wanted = self.arguments[0].strip()
        for cls in (_env.TracerEnv, _env.IntegrationEnv):
            for _attr, var in _env.declared(cls):
                if _env.env_name(var) == wanted:
                    text = str(var.default)
                    return [nodes.literal_block(text, text)]
        raise self.error("ddtrace-env-default: no variable named %s" % wanted)


def setup(app):
    app.add_directive("ddtrace-env-table", EnvTable)
    app.add_directive("ddtrace-env-default", EnvDefault)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
