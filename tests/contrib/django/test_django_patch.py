"""Patch lifecycle of the django integration, each case in a fresh interpreter."""
import json

import pytest

from tests.contrib.kit import CHILD_PRELUDE
from tests.contrib.kit import check
from tests.contrib.kit import lifecycle_tests
from tests.contrib.kit import python_env
from tests.contrib.kit import run_python

pytestmark = pytest.mark.subprocess

# Every module the integration instruments, imported the way an application does.
IMPORTS = """
import os
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.contrib.django.djapp.settings"
import django
django.setup()
import django.core.handlers.base, django.core.handlers.exception, django.views.generic.base
import django.db.backends.base.base, django.core.cache, django.template.base, rest_framework.views
"""

# Two requests: a function view and a Django REST framework APIView.
EXERCISE = """
from django.test import Client
c = Client()
assert c.get("/").status_code == 200
assert c.get("/api/hello/").status_code == 200
"""

test_lifecycle = lifecycle_tests("django", span="django.request", count=2, imports=IMPORTS, exercise=EXERCISE)


def run(body, **env):
    report = "print('SPANS=' + json.dumps([[s.name, s.resource, s.service] for s in spans()]))"
    code = "\n".join([CHILD_PRELUDE, "import json", body, EXERCISE, report])
    out = check(run_python(code, env=python_env(DJANGO_SETTINGS_MODULE="tests.contrib.django.djapp.settings", **env)))
    (line,) = [x for x in out.splitlines() if x.startswith("SPANS=")]
    return json.loads(line[len("SPANS=") :])


def roots(got):
    return [s for s in got if s[0] == "django.request"]


def test_patch_imports_none_of_djangos_machinery():
    got = run(
        """
from ddtrace.contrib.django import patch as p
assert p.patch() is True
assert "django.core.handlers.base" not in sys.modules, "patch() imported Django's handlers"
import django
django.setup()
"""
    )
    assert roots(got) == [["django.request", "GET ^/", "django"], ["django.request", "GET api/hello/", "django"]]


def test_handlers_built_while_patched_stop_after_unpatch():
    got = run(
        """
from ddtrace.contrib.django import patch as p
p.patch()
import django
django.setup()
from django.test import Client
early = Client()
assert early.get("/api/hello/").status_code == 200
assert len(spans()) > 3
p.unpatch()
# Its middleware chain and the URLconf's view functions were built through proxies:
# they must be inert now.
assert early.get("/api/hello/").status_code == 200
"""
    )
    assert got == []


def test_settings_from_environment():
    got = run(
        """
from ddtrace.contrib.django import patch as p
p.patch()
import django
django.setup()
""",
        DD_SERVICE="bookshop",
        DD_DJANGO_USE_HANDLER_RESOURCE_FORMAT="true",
        DD_DJANGO_INSTRUMENT_MIDDLEWARE="false",
    )
    assert roots(got) == [
        ["django.request", "GET tests.contrib.django.djapp.views.index", "bookshop"],
        ["django.request", "GET tests.contrib.django.djapp.api.HelloView", "bookshop"],
    ]
    assert "django.middleware" not in {s[0] for s in got}
