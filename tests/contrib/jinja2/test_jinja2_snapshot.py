"""Snapshot of the Jinja2 integration's spans, sent through the test agent."""
import os

import jinja2
import pytest

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")


@pytest.fixture
def patched():
    from ddtrace.contrib.jinja2 import patch as jinja2_patch

    jinja2_patch.patch()
    yield
    jinja2_patch.unpatch()


@pytest.mark.snapshot(ignores=["meta.jinja2.template_path"])
def test_jinja2_templates(patched):
    from ddtrace.trace import tracer

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES))
    with tracer.trace("render.page", service="web"):
        assert env.get_template("child.html").render(name="ann") == "<b>Hi ann</b>"
        assert "".join(env.from_string("{{ a }}-{{ b }}").generate(a=1, b=2)) == "1-2"
        with pytest.raises(jinja2.TemplateNotFound):
            # (the file loader's message names the directory, which differs between machines)
            jinja2.Environment(loader=jinja2.DictLoader({})).get_template("missing.html")
        with pytest.raises(ZeroDivisionError):
            env.get_template("broken.html").render(zero=0)
