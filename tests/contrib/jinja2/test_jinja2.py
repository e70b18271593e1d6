"""The Jinja2 integration, in-process: load, compile and render spans."""
import gc
import os

import jinja2
import pytest

from ddtrace.settings import config
from ddtrace.trace import Pin

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")


@pytest.fixture
def env(patched):
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES))


def shape(spans):
    by_id = {s.span_id: s for s in spans}

    def depth(s):
        d = 0
        while s.parent_id in by_id:
            s = by_id[s.parent_id]
            d += 1
        return d

    return [(depth(s), s.name, s.resource) for s in spans]


def test_file_template(spans, env, monkeypatch):
    monkeypatch.setattr(config, "service", "web")
    assert env.get_template("child.html").render(name="ann") == "<b>Hi ann</b>"
    got = spans()
    assert shape(got) == [
        (0, "jinja2.load", "child.html"),
        (1, "jinja2.compile", "child.html"),
        (0, "jinja2.render", "child.html"),
        (1, "jinja2.load", "base.html"),
        (2, "jinja2.compile", "base.html"),
    ]
    for s in got:
        assert s.span_type == "template"
        assert s.service == "web"
        assert s._meta["component"] == "jinja2"
        assert s._meta["jinja2.template_name"] == s.resource
        assert s.error == 0
    load = got[0]
    assert load._meta["jinja2.template_path"] == os.path.join(TEMPLATES, "child.html")


def test_cached_template_is_not_compiled_again(spans, env):
    env.get_template("base.html")
    spans()
    env.get_template("base.html")
    assert shape(spans()) == [(0, "jinja2.load", "base.html")]


def test_string_templates(spans, patched):
    assert jinja2.Template("x={{ x }}").render(x=1) == "x=1"
    env = jinja2.Environment()
    assert env.from_string("y={{ y }}").render(y=2) == "y=2"
    assert shape(spans()) == [
        (0, "jinja2.compile", "<memory>"),
        (0, "jinja2.render", "<memory>"),
        (0, "jinja2.compile", "<memory>"),
        (0, "jinja2.render", "<memory>"),
    ]


def test_template_default_name(spans, patched):
    config.jinja2["template_default_name"] = "inline"
    jinja2.Template("z").render()
    assert {s.resource for s in spans()} == {"inline"}


def test_spans_under_the_active_span(spans, env):
    tracer = spans.tracer
    with tracer.trace("request") as root:
        env.get_template("base.html").render()
    got = spans()
    assert [s.parent_id for s in got if s.name in ("jinja2.load", "jinja2.render")] == [root.span_id] * 2


def test_render_error(spans, env):
    template = env.get_template("broken.html")
    spans()
    with pytest.raises(ZeroDivisionError):
        template.render(zero=0)
    (span,) = spans()
    assert span.name == "jinja2.render"
    assert span.error == 1
    assert span._meta["error.type"] == "builtins.ZeroDivisionError"


def test_syntax_error(spans, patched):
    env = jinja2.Environment()
    with pytest.raises(jinja2.TemplateSyntaxError):
        env.from_string("{% if %}")
    (span,) = spans()
    assert (span.name, span.error) == ("jinja2.compile", 1)
    assert span._meta["error.type"] == "jinja2.exceptions.TemplateSyntaxError"


def test_template_not_found(spans, env):
    with pytest.raises(jinja2.TemplateNotFound) as info:
        env.get_template("nope.html")
    assert info.value.name == "nope.html"
    (span,) = spans()
    assert (span.name, span.resource, span.error) == ("jinja2.load", "nope.html", 1)
    assert span._meta["error.type"] == "jinja2.exceptions.TemplateNotFound"
    assert "jinja2.template_path" not in span._meta


def test_select_template(spans, env):
    assert env.select_template(["nope.html", "base.html"]).name == "base.html"
    assert [(s.name, s.resource, s.error) for s in spans() if s.name == "jinja2.load"] == [
        ("jinja2.load", "nope.html", 1),
        ("jinja2.load", "base.html", 0),
    ]


def test_generate_covers_the_iteration(spans, patched):
    tracer = spans.tracer
    template = jinja2.Environment().from_string("{% for i in items %}{{ i }},{% endfor %}")
    spans()
    with tracer.trace("consumer") as consumer:
        gen = template.generate(items=[1, 2, 3])
        assert spans() == []
        first = next(gen)
        # Between two pieces the caller's span is the active one again.
        assert tracer.current_span() is consumer
        with tracer.trace("between") as between:
            pass
        rest = list(gen)
    assert first + "".join(rest) == "1,2,3,"
    got = spans()
    render = [s for s in got if s.name == "jinja2.render"][0]
    assert render.parent_id == consumer.span_id
    assert between.parent_id == consumer.span_id
    assert render.finished


def test_stream(spans, patched):
    template = jinja2.Environment().from_string("a{{ x }}b")
    spans()
    assert "".join(template.stream(x=1)) == "a1b"
    assert [s.name for s in spans()] == ["jinja2.render"]


def test_generate_closed_or_dropped(spans, patched):
    template = jinja2.Environment().from_string("{% for i in range(10) %}{{ i }}{% endfor %}")
    spans()
    gen = template.generate()
    next(gen)
    gen.close()
    (span,) = spans()
    assert span.finished
    gen = template.generate()
    next(gen)
    del gen
    gc.collect()
    (span,) = spans()
    assert span.finished


def test_generate_error(spans, patched):
    template = jinja2.Environment().from_string("{{ 1 // z }}")
    spans()
    with pytest.raises(ZeroDivisionError):
        list(template.generate(z=0))
    (span,) = spans()
    assert span.error == 1


def test_service_settings(spans, patched, monkeypatch):
    monkeypatch.setattr(config, "service", "web")
    config.jinja2["service"] = "templates"
    jinja2.Template("a").render()
    assert {s.service for s in spans()} == {"templates"}


def test_pin_on_environment(spans, patched):
    env = jinja2.Environment()
    Pin.override(env, service="emails")
    env.from_string("a").render()
    jinja2.Template("b").render()
    assert [(s.name, s.service) for s in spans()] == [
        ("jinja2.compile", "emails"),
        ("jinja2.render", "emails"),
        ("jinja2.compile", None),
        ("jinja2.render", None),
    ]


def test_disabled(spans, patched):
    config.jinja2["enabled"] = False
    assert jinja2.Template("{{ 2 }}").render() == "2"
    assert spans() == []


def test_unpatch(spans):
    from ddtrace.contrib.jinja2 import patch as jinja2_patch

    original = jinja2.environment.Template.__dict__["render"]
    assert jinja2_patch.patch() is True
    assert jinja2_patch.patch() is False
    jinja2.Template("a").render()
    assert len(spans()) == 2
    assert jinja2_patch.unpatch() is True
    assert jinja2.environment.Template.__dict__["render"] is original
    jinja2.Template("a").render()
    assert spans() == []
