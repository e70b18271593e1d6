"""patch / unpatch / double patch / import order and environment settings of the redis
integration, each in a fresh interpreter."""
import pytest

from tests.contrib.kit import CHILD_PRELUDE
from tests.contrib.kit import check
from tests.contrib.kit import lifecycle_tests
from tests.contrib.kit import python_env
from tests.contrib.kit import run_python

pytestmark = pytest.mark.subprocess

# A sync command, a sync pipeline and (redis-py 4.2+) an asyncio command.
test_lifecycle = lifecycle_tests(
    "redis",
    span="redis.command",
    exercise="""
        import redis
        r = redis.Redis(host="127.0.0.1", port=6379, db=9)
        r.get("ddtrace-test:lifecycle")
        r.pipeline().get("ddtrace-test:lifecycle").execute()
        expected = 2
        try:
            import redis.asyncio
        except ImportError:
            pass
        else:
            import asyncio

            async def main():
                a = redis.asyncio.Redis(host="127.0.0.1", port=6379, db=9)
                await a.get("ddtrace-test:lifecycle")
                await a.connection_pool.disconnect()

            asyncio.run(main())
            expected += 1
    """,
)


def test_patching_imports_no_redis_asyncio_module():
    # (asyncio itself may come with wrapt 2.x, which every integration imports.)
    probe = "import sys, redis\nprint('redis.asyncio' in sys.modules, 'redis.asyncio.cluster' in sys.modules)\n"
    plain = check(run_python(probe)).strip()
    patched = check(run_python("import ddtrace._monkey as m\nm.patch(redis=True)\n" + probe)).strip()
    assert patched == plain


def test_asyncio_imported_after_patching_is_traced():
    pytest.importorskip("redis.asyncio")
    code = (
        CHILD_PRELUDE
        + """
import ddtrace._monkey as m
m.patch(redis=True)
import redis
import asyncio
import redis.asyncio

async def main():
    a = redis.asyncio.Redis(host="127.0.0.1", port=6379, db=9)
    await a.get("ddtrace-test:late")
    await a.connection_pool.disconnect()

asyncio.run(main())
print([s.resource for s in spans()])
"""
    )
    assert check(run_python(code)).strip() == "['GET']"


SETTINGS_PROGRAM = (
    CHILD_PRELUDE
    + """
import ddtrace._monkey as m
m.patch_all()
import redis
r = redis.Redis(host="127.0.0.1", port=6379, db=9)
r.set("ddtrace-test:env", "value")
for s in spans():
    print("%s|%s|%s" % (s.service, s.resource, s.get_tag("redis.raw_command")))
"""
)


@pytest.mark.parametrize(
    "env,expected",
    [
        ({}, "redis|SET|SET ddtrace-test:env value"),
        ({"DD_REDIS_SERVICE": "from-env"}, "from-env|SET|SET ddtrace-test:env value"),
        ({"DD_SERVICE_MAPPING": "redis:mapped"}, "mapped|SET|SET ddtrace-test:env value"),
        ({"DD_SERVICE": "web"}, "redis|SET|SET ddtrace-test:env value"),
        ({"DD_REDIS_CMD_MAX_LENGTH": "10"}, "redis|SET|SET ddtrace..."),
        ({"DD_REDIS_CMD_MAX_LENGTH": "lots"}, "redis|SET|SET ddtrace-test:env value"),
        (
            {"DD_REDIS_RESOURCE_ONLY_COMMAND": "false"},
            "redis|SET ddtrace-test:env value|SET ddtrace-test:env value",
        ),
        ({"DD_TRACE_REDIS_ENABLED": "false"}, ""),
    ],
)
def test_environment(env, expected):
    proc = run_python(SETTINGS_PROGRAM, env=python_env(**env))
    assert check(proc).strip() == expected
    if env.get("DD_REDIS_CMD_MAX_LENGTH") == "lots":
        assert "DD_REDIS_CMD_MAX_LENGTH" in proc.stderr
