"""patch / unpatch / double patch / import order of the Starlette integration, each in
a fresh interpreter."""
import pytest

from tests.contrib.kit import SCENARIO_TRACED
from tests.contrib.kit import check
from tests.contrib.kit import lifecycle_program
from tests.contrib.kit import run_python

EXERCISE = """
from starlette.testclient import TestClient
from tests.contrib.starlette.app import make_app
client = TestClient(make_app())
assert client.get("/items/5").status_code == 200
print(",".join(s.resource for s in spans() if s.name == "starlette.request") or "-")
"""


@pytest.mark.subprocess
@pytest.mark.parametrize("scenario", sorted(SCENARIO_TRACED))
def test_lifecycle(scenario):
    code = lifecycle_program(scenario, "starlette", "starlette", "import starlette", EXERCISE)
    out = check(run_python(code))
    assert out.strip() == ("GET /items/{item_id:int}" if SCENARIO_TRACED[scenario] else "-")


@pytest.mark.subprocess
def test_unpatch_restores_the_original_functions():
    out = check(
        run_python(
            """
import starlette.applications, starlette.routing, starlette.background
targets = [
    (starlette.applications.Starlette, "__call__"),
    (starlette.routing.Route, "handle"),
    (starlette.routing.WebSocketRoute, "handle"),
    (starlette.routing.Mount, "handle"),
    (starlette.background.BackgroundTask, "__init__"),
    (starlette.background.BackgroundTask, "__call__"),
]
before = [vars(owner)[name] for owner, name in targets]
import ddtrace._monkey as m
m.patch(starlette=True)
assert all(vars(owner)[name] is not b for (owner, name), b in zip(targets, before))
m.unpatch("starlette")
print(all(vars(owner)[name] is b for (owner, name), b in zip(targets, before)))
"""
        )
    )
    assert out.strip() == "True"


@pytest.mark.subprocess
def test_settings_from_the_environment():
    code = (
        "from tests.contrib.kit import CHILD_PRELUDE\nexec(CHILD_PRELUDE)\n"
        + """
import ddtrace._monkey as m
m.patch(starlette=True)
from starlette.testclient import TestClient
from tests.contrib.starlette.app import make_app
TestClient(make_app()).get("/", headers={"x-datadog-trace-id": "7", "x-datadog-parent-id": "8"})
print(" ".join("%s:%s:%s" % (s.name, s.service, s.trace_id) for s in spans()) or "-")
"""
    )
    from tests.contrib.kit import python_env

    out = check(run_python(code, env=python_env(DD_SERVICE="shop")))
    assert out.strip() == "starlette.request:shop:7"
    out = check(run_python(code, env=python_env(DD_SERVICE="shop", DD_STARLETTE_SERVICE="shop-web")))
    assert out.strip() == "starlette.request:shop-web:7"
    out = check(run_python(code, env=python_env(DD_STARLETTE_DISTRIBUTED_TRACING="false")))
    (line,) = out.split()
    assert line.startswith("starlette.request:") and not line.endswith(":7")
    out = check(run_python(code, env=python_env(DD_TRACE_STARLETTE_ENABLED="false")))
    assert out.strip() == "-"
