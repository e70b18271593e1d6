"""patch / unpatch / double patch / import order and environment settings of the
requests integration, each in a fresh interpreter."""
import pytest

from tests.contrib.kit import CHILD_PRELUDE
from tests.contrib.kit import HTTPTestServer
from tests.contrib.kit import check
from tests.contrib.kit import lifecycle_tests
from tests.contrib.kit import python_env
from tests.contrib.kit import run_python

pytestmark = pytest.mark.subprocess

test_lifecycle = lifecycle_tests(
    "requests",
    span="requests.request",
    count=1,
    exercise="""
        from tests.contrib.kit import HTTPTestServer
        with HTTPTestServer() as server:
            requests.get(server.url("/x"))
    """,
)

SERVICE_PROGRAM = (
    CHILD_PRELUDE
    + """
import os
import ddtrace._monkey as m
m.patch_all()
import requests
requests.get("http://127.0.0.1:%s/x" % os.environ["TEST_PORT"])
print("|".join(s.service for s in spans()))
"""
)


@pytest.mark.parametrize(
    "env,expected",
    [
        ({}, "requests"),
        ({"DD_REQUESTS_SERVICE": "from-env"}, "from-env"),
        ({"DD_SERVICE_MAPPING": "requests:mapped"}, "mapped"),
        ({"DD_SERVICE": "web"}, "requests"),
        ({"DD_REQUESTS_SPLIT_BY_DOMAIN": "true"}, "127.0.0.1:{port}"),
        ({"DD_TRACE_REQUESTS_ENABLED": "false"}, ""),
    ],
)
def test_environment(env, expected):
    with HTTPTestServer() as server:
        out = check(run_python(SERVICE_PROGRAM, env=python_env(TEST_PORT=str(server.port), **env)))
    assert out.strip() == expected.format(port=server.port)
