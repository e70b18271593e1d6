"""patch / unpatch / double patch / import order of the httplib integration, each
in a fresh interpreter."""
import pytest

from tests.contrib.kit import SCENARIO_TRACED
from tests.contrib.kit import HTTPTestServer
from tests.contrib.kit import check
from tests.contrib.kit import lifecycle_program
from tests.contrib.kit import python_env
from tests.contrib.kit import run_python

EXERCISE = """
import os
conn = http.client.HTTPConnection("127.0.0.1", int(os.environ["TEST_PORT"]))
conn.request("GET", "/x")
conn.getresponse().read()
print(len([s for s in spans() if s.name == "http.client.request"]))
"""


@pytest.mark.subprocess
@pytest.mark.parametrize("scenario", sorted(SCENARIO_TRACED))
def test_lifecycle(scenario):
    with HTTPTestServer() as server:
        code = lifecycle_program(scenario, "httplib", "http.client", "import http.client", EXERCISE, stdlib=True)
        out = check(run_python(code, env=python_env(TEST_PORT=str(server.port))))
    assert out.strip() == ("1" if SCENARIO_TRACED[scenario] else "0")


@pytest.mark.subprocess
def test_unpatch_restores_every_method():
    out = check(
        run_python(
            """
            import http.client
            names = ("request", "putrequest", "endheaders", "getresponse", "close")
            before = {n: http.client.HTTPConnection.__dict__[n] for n in names}
            import ddtrace._monkey as m
            m.patch(httplib=True)
            assert all(http.client.HTTPConnection.__dict__[n] is not before[n] for n in names)
            m.unpatch("httplib")
            print(all(http.client.HTTPConnection.__dict__[n] is before[n] for n in names))
            """
        )
    )
    assert out.strip() == "True"


@pytest.mark.subprocess
def test_off_by_default():
    code = """
        import ddtrace._monkey as m
        m.patch_all()
        import http.client
        print(m.get_patched_modules().count("httplib"))
    """
    assert check(run_python(code)).strip() == "0"
    assert check(run_python(code, env=python_env(DD_TRACE_HTTPLIB_ENABLED="true"))).strip() == "1"
