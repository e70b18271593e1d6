"""Patch lifecycle and environment settings of the Jinja2 integration, in fresh interpreters."""
import pytest

from tests.contrib.kit import CHILD_PRELUDE
from tests.contrib.kit import check
from tests.contrib.kit import lifecycle_tests
from tests.contrib.kit import python_env
from tests.contrib.kit import run_python

pytestmark = pytest.mark.subprocess

test_lifecycle = lifecycle_tests(
    "jinja2",
    span=("jinja2.compile", "jinja2.render"),
    count=2,
    exercise="""
        assert jinja2.Template("{{ 1 }}").render() == "1"
    """,
)


def test_service_from_environment():
    code = CHILD_PRELUDE + """
import jinja2
from ddtrace.contrib.jinja2 import patch as p
p.patch()
jinja2.Template("x").render()
print(sorted({(s.name, s.resource, s.service) for s in spans()}))
"""
    out = check(run_python(code, env=python_env(DD_SERVICE="web", DD_JINJA2_SERVICE="templates")))
    assert out.strip() == "[('jinja2.compile', '<memory>', 'templates'), ('jinja2.render', '<memory>', 'templates')]"
