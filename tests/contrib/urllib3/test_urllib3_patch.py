"""patch / unpatch / double patch / import order of the urllib3 integration, each
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
urllib3.PoolManager().request("GET", "http://127.0.0.1:%s/x" % os.environ["TEST_PORT"])
print(len([s for s in spans() if s.name == "urllib3.request"]))
"""


@pytest.mark.subprocess
@pytest.mark.parametrize("scenario", sorted(SCENARIO_TRACED))
def test_lifecycle(scenario):
    with HTTPTestServer() as server:
        code = lifecycle_program(scenario, "urllib3", "urllib3", "import urllib3", EXERCISE)
        out = check(run_python(code, env=python_env(TEST_PORT=str(server.port))))
    assert out.strip() == ("1" if SCENARIO_TRACED[scenario] else "0")


@pytest.mark.subprocess
def test_off_by_default_and_enabled_by_env():
    code = """
        import sys
        import ddtrace._monkey as m
        m.patch_all()
        import urllib3
        print(m.get_patched_modules().count("urllib3"))
    """
    assert check(run_python(code)).strip() == "0"
    assert check(run_python(code, env=python_env(DD_TRACE_URLLIB3_ENABLED="true"))).strip() == "1"
    assert check(run_python(code, env=python_env(DD_PATCH_MODULES="urllib3:true"))).strip() == "1"
