"""patch / unpatch / double patch / import order of the FastAPI integration, and how
it shares its hooks with the Starlette integration, each in a fresh interpreter."""
import pytest

from tests.contrib.kit import CHILD_PRELUDE
from tests.contrib.kit import check
from tests.contrib.kit import lifecycle_tests
from tests.contrib.kit import python_env
from tests.contrib.kit import run_python

test_lifecycle = lifecycle_tests(
    "fastapi",
    span=("fastapi.request", "fastapi.serialize_response"),
    count=2,
    exercise="""
        from fastapi.testclient import TestClient
        from tests.contrib.fastapi.app import make_app
        assert TestClient(make_app()).get("/items/5").status_code == 200
        got = spans()
        # (patch_all() with DD_TRACE_FASTAPI_ENABLED=false: Starlette's integration traces it)
        names = [s.name for s in got if s.name.startswith("fastapi.")]
        assert names in ([], ["fastapi.request", "fastapi.serialize_response"]), got
        _writer.write(got)  # back for the suite to count
    """,
)


@pytest.mark.subprocess
def test_unpatch_restores_the_shared_hooks():
    out = check(
        run_python(
            """
import fastapi.routing, starlette.routing, starlette.background
targets = [
    (fastapi.FastAPI, "__call__"),
    (fastapi.routing, "serialize_response"),
    (starlette.routing.Route, "handle"),
    (starlette.routing.Mount, "handle"),
    (starlette.background.BackgroundTask, "__call__"),
]
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
    out = check(run_python(code, env=python_env(DD_SERVICE="shop", DD_FASTAPI_REQUEST_SPAN_NAME="api.request")))
    assert out.strip() == "api.request:shop:7"
    out = check(run_python(code, env=python_env(DD_SERVICE="shop", DD_FASTAPI_DISTRIBUTED_TRACING="false")))
    (line,) = out.split()
    assert line.startswith("fastapi.request:shop:") and not line.endswith(":7")
    out = check(run_python(code, env=python_env(DD_SERVICE="shop", DD_TRACE_FASTAPI_ENABLED="false")))
    assert out.strip() == "starlette.request:shop:7"
    env = python_env(DD_TRACE_FASTAPI_ENABLED="false", DD_TRACE_STARLETTE_ENABLED="false")
    assert check(run_python(code, env=env)).strip() == "-"
