"""Patch lifecycle of the django integration, each case in a fresh interpreter."""
import json

import pytest

from tests.contrib.kit import CHILD_PRELUDE
from tests.contrib.kit import check
from tests.contrib.kit import python_env
from tests.contrib.kit import run_python

pytestmark = pytest.mark.subprocess

SETUP = """
import os
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.contrib.django.djapp.settings"
"""

# Two requests (a function view and a DRF view), then the spans as JSON.
EXERCISE = """
import django
django.setup()
from django.test import Client
c = Client()
assert c.get("/").status_code == 200
assert c.get("/api/hello/").status_code == 200
print("SPANS=" + json.dumps([[s.name, s.resource, s.service] for s in spans()]))
"""


def run(body, **env):
    code = "import json\n" + CHILD_PRELUDE + SETUP + body + EXERCISE
    out = check(run_python(code, env=python_env(**env)))
    (line,) = [x for x in out.splitlines() if x.startswith("SPANS=")]
    return json.loads(line[len("SPANS="):])


def roots(spans):
    return [s for s in spans if s[0] == "django.request"]


TRACED_ROOTS = [["django.request", "GET ^/", "django"], ["django.request", "GET api/hello/", "django"]]


def test_import_after_patch():
    spans = run(
        """
from ddtrace.contrib.django import patch as p
assert p.patch() is True
assert "django.core.handlers.base" not in sys.modules, "patch() imported Django's handlers"
"""
    )
    assert roots(spans) == TRACED_ROOTS
    names = {s[0] for s in spans}
    assert {"django.middleware", "django.view", "django.view.dispatch", "django.view.get"} <= names


def test_patch_after_import():
    spans = run(
        """
import django
django.setup()
import django.core.handlers.base, django.views.generic.base, rest_framework.views
from ddtrace.contrib.django import patch as p
assert p.patch() is True
"""
    )
    assert roots(spans) == TRACED_ROOTS
    assert ["django.view.dispatch", "rest_framework.views.APIView.dispatch", "django"] in spans


def test_double_patch():
    spans = run(
        """
from ddtrace.contrib.django import patch as p
assert p.patch() is True
assert p.patch() is False
import django
django.setup()
assert p.patch() is False
"""
    )
    assert roots(spans) == TRACED_ROOTS
    assert len([s for s in spans if s[0] == "django.view"]) == 2


def test_unpatch_restores_everything():
    spans = run(
        """
import django
django.setup()
import django.core.handlers.base as base
import django.core.handlers.exception as exception
import django.views.generic.base as generic
import django.db.backends.base.base as db
import django.utils.module_loading as loading
originals = (
    vars(base.BaseHandler)["get_response"], vars(base.BaseHandler)["get_response_async"],
    vars(base.BaseHandler)["make_view_atomic"], vars(generic.View)["dispatch"],
    vars(generic.View)["setup"], vars(db.BaseDatabaseWrapper)["_prepare_cursor"],
    exception.response_for_exception,
)
from ddtrace.contrib.django import patch as p
p.patch()
assert vars(base.BaseHandler)["get_response"] is not originals[0]
assert base.import_string is not loading.import_string
assert p.unpatch() is True
assert p.unpatch() is False
now = (
    vars(base.BaseHandler)["get_response"], vars(base.BaseHandler)["get_response_async"],
    vars(base.BaseHandler)["make_view_atomic"], vars(generic.View)["dispatch"],
    vars(generic.View)["setup"], vars(db.BaseDatabaseWrapper)["_prepare_cursor"],
    exception.response_for_exception,
)
assert all(a is b for a, b in zip(originals, now)), now
assert base.import_string is loading.import_string
# Hooks for modules imported later are gone too.
import rest_framework.views
assert not hasattr(vars(rest_framework.views.APIView)["dispatch"], "__wrapped__")
"""
    )
    assert spans == []


def test_unpatch_stops_handlers_built_while_patched():
    spans = run(
        """
from ddtrace.contrib.django import patch as p
p.patch()
import django
django.setup()
from django.test import Client
early = Client()
assert early.get("/").status_code == 200
assert len(spans()) > 3
p.unpatch()
# Its middleware chain was built through the proxies: they must be inert now.
assert early.get("/").status_code == 200
"""
    )
    assert spans == []


def test_repatch():
    spans = run(
        """
from ddtrace.contrib.django import patch as p
p.patch()
import django
django.setup()
import django.core.handlers.base
p.unpatch()
assert p.patch() is True
"""
    )
    assert roots(spans) == TRACED_ROOTS


def test_disabled_by_environment():
    spans = run(
        """
from ddtrace.contrib.django import patch as p
p.patch()
""",
        DD_TRACE_DJANGO_ENABLED="false",
    )
    assert spans == []


def test_settings_from_environment():
    spans = run(
        """
from ddtrace.contrib.django import patch as p
p.patch()
""",
        DD_SERVICE="bookshop",
        DD_DJANGO_USE_HANDLER_RESOURCE_FORMAT="true",
        DD_DJANGO_INSTRUMENT_MIDDLEWARE="false",
    )
    assert roots(spans) == [
        ["django.request", "GET tests.contrib.django.djapp.views.index", "bookshop"],
        ["django.request", "GET tests.contrib.django.djapp.api.HelloView", "bookshop"],
    ]
    assert "django.middleware" not in {s[0] for s in spans}


@pytest.mark.parametrize("how", ["patch", "patch_all"])
def test_through_ddtrace_patch(how):
    call = "m.patch(django=True)" if how == "patch" else "m.patch_all()"
    spans = run(
        """
import ddtrace._monkey as m
%s
assert "django.core.handlers.base" not in sys.modules
"""
        % call
    )
    assert roots(spans) == TRACED_ROOTS
