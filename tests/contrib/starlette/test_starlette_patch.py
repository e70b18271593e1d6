"""patch / unpatch / double patch / import order of the Starlette integration, each in
a fresh interpreter."""
import pytest

from tests.contrib.kit import CHILD_PRELUDE
from tests.contrib.kit import check
from tests.contrib.kit import lifecycle_tests
from tests.contrib.kit import python_env
from tests.contrib.kit import run_python

test_lifecycle = lifecycle_tests(
    "starlette",
    span="starlette.request",
    count=1,
    exercise="""
        from starlette.testclient import TestClient
        from tests.contrib.starlette.app import make_app
        assert TestClient(make_app()).get("/items/5").status_code == 200
        got = spans()
        # (Starlette 0.13's TestClient is built on requests, which patch_all traces too.)
        mine = [s for s in got if s.name == "starlette.request"]
        assert all(s.resource == "GET /items/{item_id:int}" for s in mine), [s.resource for s in mine]
        _writer.write(got)  # back for the suite to count
    """,
)


@pytest.mark.subprocess
def test_unpatch_restores_the_shared_hooks():
    out = check(
        run_python(
            """
import starlette.applications, starlette.routing, starlette.background
try:
    from starlette.middleware.exceptions import ExceptionMiddleware
except ImportError:
    from starlette.exceptions import ExceptionMiddleware
targets = [
    (starlette.applications.Starlette, "__call__"),
    (ExceptionMiddleware, "__call__"),
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
        CHILD_PRELUDE
        + """
import ddtrace._monkey as m
m.patch(starlette=True)
from starlette.testclient import TestClient
from tests.contrib.starlette.app import make_app
TestClient(make_app()).get("/", headers={"x-datadog-trace-id": "7", "x-datadog-parent-id": "8"})
print(" ".join("%s:%s:%s" % (s.name, s.service, s.trace_id) for s in spans()) or "-")
"""
    )
    out = check(run_python(code, env=python_env(DD_SERVICE="shop")))
    assert out.strip() == "starlette.request:shop:7"
    out = check(run_python(code, env=python_env(DD_SERVICE="shop", DD_STARLETTE_SERVICE="shop-web")))
    assert out.strip() == "starlette.request:shop-web:7"
    out = check(run_python(code, env=python_env(DD_SERVICE="shop", DD_STARLETTE_REQUEST_SPAN_NAME="web.request")))
    assert out.strip() == "web.request:shop:7"
    out = check(run_python(code, env=python_env(DD_STARLETTE_DISTRIBUTED_TRACING="false")))
    (line,) = out.split()
    assert line.startswith("starlette.request:") and not line.endswith(":7")
    out = check(run_python(code, env=python_env(DD_TRACE_STARLETTE_ENABLED="false")))
    assert out.strip() == "-"
