"""patch / unpatch / double patch / import order of the FastAPI integration, and how
it shares its hooks with the Starlette integration, each in a fresh interpreter."""
import pytest

from tests.contrib.kit import CHILD_PRELUDE
from tests.contrib.kit import SCENARIO_TRACED
from tests.contrib.kit import check
from tests.contrib.kit import lifecycle_program
from tests.contrib.kit import run_python

EXERCISE = """
from fastapi.testclient import TestClient
from tests.contrib.fastapi.app import make_app
client = TestClient(make_app())
assert client.get("/items/5").status_code == 200
print(",".join(s.name for s in spans()) or "-")
"""


@pytest.mark.subprocess
@pytest.mark.parametrize("scenario", sorted(SCENARIO_TRACED))
def test_lifecycle(scenario):
    code = lifecycle_program(scenario, "fastapi", "fastapi", "import fastapi", EXERCISE)
    out = check(run_python(code))
    expected = "fastapi.request,fastapi.serialize_response" if SCENARIO_TRACED[scenario] else "-"
    assert out.strip() == expected


@pytest.mark.subprocess
def test_unpatch_restores_the_original_functions():
    out = check(
        run_python(
            """
import fastapi.routing, starlette.applications
targets = [(fastapi.routing, "serialize_response"), (starlette.applications.Starlette, "__call__")]
for cls in (fastapi.routing.APIRoute, fastapi.routing.APIWebSocketRoute):
    if "handle" in vars(cls):
        targets.append((cls, "handle"))
before = [vars(owner)[name] for owner, name in targets]
import ddtrace._monkey as m
m.patch(fastapi=True)
assert all(vars(owner)[name] is not b for (owner, name), b in zip(targets, before))
m.unpatch("fastapi")
print(all(vars(owner)[name] is b for (owner, name), b in zip(targets, before)))
"""
        )
    )
    assert out.strip() == "True"


SHARED = (
    CHILD_PRELUDE
    + """
import ddtrace._monkey as m
from fastapi.testclient import TestClient
from tests.contrib.fastapi.app import make_app
m.patch(fastapi=True, starlette=True)
client = TestClient(make_app())
def names():
    client.get("/items/5")
    return ",".join(sorted({s.name for s in spans() if s.name.endswith(".request")})) or "-"
out = [names()]
m.unpatch(%r)
out.append(names())
m.unpatch(%r)
out.append(names())
print(" ".join(out))
"""
)


@pytest.mark.subprocess
def test_unpatching_one_of_the_two_integrations():
    out = check(run_python(SHARED % ("starlette", "fastapi")))
    assert out.split() == ["fastapi.request", "fastapi.request", "-"]
    out = check(run_python(SHARED % ("fastapi", "starlette")))
    assert out.split() == ["fastapi.request", "starlette.request", "-"]


@pytest.mark.subprocess
def test_settings_from_the_environment():
    from tests.contrib.kit import python_env

    code = (
        CHILD_PRELUDE
        + """
import ddtrace._monkey as m
m.patch(fastapi=True, starlette=True)
from fastapi.testclient import TestClient
from tests.contrib.fastapi.app import make_app
TestClient(make_app()).get("/plain", headers={"x-datadog-trace-id": "7", "x-datadog-parent-id": "8"})
print(" ".join("%s:%s:%s" % (s.name, s.service, s.trace_id) for s in spans()) or "-")
"""
    )
    out = check(run_python(code, env=python_env(DD_SERVICE="shop", DD_FASTAPI_SERVICE="shop-api")))
    assert out.strip() == "fastapi.request:shop-api:7"
    out = check(run_python(code, env=python_env(DD_SERVICE="shop", DD_FASTAPI_DISTRIBUTED_TRACING="false")))
    (line,) = out.split()
    assert line.startswith("fastapi.request:shop:") and not line.endswith(":7")
    out = check(run_python(code, env=python_env(DD_SERVICE="shop", DD_TRACE_FASTAPI_ENABLED="false")))
    assert out.strip() == "starlette.request:shop:7"
    env = python_env(DD_TRACE_FASTAPI_ENABLED="false", DD_TRACE_STARLETTE_ENABLED="false")
    assert check(run_python(code, env=env)).strip() == "-"
