"""patch / unpatch / double patch / import order of the requests integration, each
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
requests.get("http://127.0.0.1:%s/x" % os.environ["TEST_PORT"])
print(len([s for s in spans() if s.name == "requests.request"]))
"""


@pytest.mark.subprocess
@pytest.mark.parametrize("scenario", sorted(SCENARIO_TRACED))
def test_lifecycle(scenario):
    with HTTPTestServer() as server:
        code = lifecycle_program(scenario, "requests", "requests", "import requests", EXERCISE)
        out = check(run_python(code, env=python_env(TEST_PORT=str(server.port))))
    assert out.strip() == ("1" if SCENARIO_TRACED[scenario] else "0")


@pytest.mark.subprocess
def test_unpatch_restores_the_original_function():
    out = check(
        run_python(
            """
            import requests
            original = requests.Session.__dict__["send"]
            import ddtrace._monkey as m
            m.patch(requests=True)
            assert requests.Session.__dict__["send"] is not original
            m.unpatch("requests")
            print(requests.Session.__dict__["send"] is original)
            """
        )
    )
    assert out.strip() == "True"


@pytest.mark.subprocess
def test_service_from_environment():
    with HTTPTestServer() as server:
        code = (
            "from tests.contrib.kit import CHILD_PRELUDE\nexec(CHILD_PRELUDE)\n"
            "import ddtrace._monkey as m, requests, os\n"
            "m.patch(requests=True)\n"
            "requests.get('http://127.0.0.1:%s/x' % os.environ['TEST_PORT'])\n"
            "print(spans()[0].service)\n"
        )
        env = python_env(TEST_PORT=str(server.port), DD_REQUESTS_SERVICE="from-env")
        assert check(run_python(code, env=env)).strip() == "from-env"
        env = python_env(TEST_PORT=str(server.port), DD_SERVICE_MAPPING="requests:mapped")
        assert check(run_python(code, env=env)).strip() == "mapped"
        env = python_env(TEST_PORT=str(server.port), DD_REQUESTS_SPLIT_BY_DOMAIN="true")
        assert check(run_python(code, env=env)).strip() == "127.0.0.1:%d" % server.port
        env = python_env(TEST_PORT=str(server.port), DD_TRACE_REQUESTS_ENABLED="false")
        code_off = code.replace("print(spans()[0].service)", "print(len(spans()))")
        assert check(run_python(code_off, env=env)).strip() == "0"
