"""patch / unpatch / double patch / import order and environment settings of the
urllib3 integration, each in a fresh interpreter."""
import pytest

from tests.contrib.kit import CHILD_PRELUDE
from tests.contrib.kit import HTTPTestServer
from tests.contrib.kit import check
from tests.contrib.kit import lifecycle_tests
from tests.contrib.kit import python_env
from tests.contrib.kit import run_python

pytestmark = pytest.mark.subprocess

test_lifecycle = lifecycle_tests(
    "urllib3",
    span="urllib3.request",
    count=1,
    exercise="""
        from tests.contrib.kit import HTTPTestServer
        with HTTPTestServer() as server:
            urllib3.PoolManager().request("GET", server.url("/x"))
    """,
)

SERVICE_PROGRAM = (
    CHILD_PRELUDE
    + """
import os
import ddtrace._monkey as m
m.patch_all()
import urllib3
urllib3.PoolManager().request("GET", "http://127.0.0.1:%s/x" % os.environ["TEST_PORT"])
print("|".join(s.service for s in spans()))
"""
)


@pytest.mark.parametrize(
    "env,expected",
    [
        # Off by default: requests traces what it sends through urllib3.
        ({}, ""),
        ({"DD_TRACE_URLLIB3_ENABLED": "true"}, "urllib3"),
        ({"DD_PATCH_MODULES": "urllib3:true"}, "urllib3"),
        ({"DD_PATCH_MODULES": "urllib3:true", "DD_URLLIB3_SERVICE": "from-env"}, "from-env"),
        ({"DD_PATCH_MODULES": "urllib3:true", "DD_URLLIB3_SPLIT_BY_DOMAIN": "true"}, "127.0.0.1:{port}"),
    ],
)
def test_environment(env, expected):
    with HTTPTestServer() as server:
        out = check(run_python(SERVICE_PROGRAM, env=python_env(TEST_PORT=str(server.port), **env)))
    assert out.strip() == expected.format(port=server.port)
