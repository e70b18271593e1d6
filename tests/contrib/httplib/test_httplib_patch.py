"""patch / unpatch / double patch / import order and environment settings of the
httplib integration, each in a fresh interpreter."""
import pytest

from tests.contrib.kit import CHILD_PRELUDE
from tests.contrib.kit import HTTPTestServer
from tests.contrib.kit import check
from tests.contrib.kit import lifecycle_tests
from tests.contrib.kit import python_env
from tests.contrib.kit import run_python

pytestmark = pytest.mark.subprocess

test_lifecycle = lifecycle_tests(
    "httplib",
    span="http.client.request",
    count=1,
    exercise="""
        from tests.contrib.kit import HTTPTestServer
        with HTTPTestServer() as server:
            conn = http.client.HTTPConnection("127.0.0.1", server.port)
            conn.request("GET", "/x")
            conn.getresponse().read()
            conn.close()
    """,
)

SERVICE_PROGRAM = (
    CHILD_PRELUDE
    + """
import os
import ddtrace._monkey as m
m.patch_all()
import http.client
conn = http.client.HTTPConnection("127.0.0.1", int(os.environ["TEST_PORT"]))
conn.request("GET", "/x")
conn.getresponse().read()
print("|".join(str(s.service) for s in spans()))
"""
)


@pytest.mark.parametrize(
    "env,expected",
    [
        # Off by default: higher-level clients trace their own requests.
        ({}, ""),
        ({"DD_TRACE_HTTPLIB_ENABLED": "true"}, "None"),
        ({"DD_TRACE_HTTPLIB_ENABLED": "true", "DD_SERVICE": "web"}, "web"),
        ({"DD_TRACE_HTTPLIB_ENABLED": "true", "DD_HTTPLIB_SERVICE": "raw-http"}, "raw-http"),
    ],
)
def test_environment(env, expected):
    with HTTPTestServer() as server:
        out = check(run_python(SERVICE_PROGRAM, env=python_env(TEST_PORT=str(server.port), **env)))
    assert out.strip() == expected
