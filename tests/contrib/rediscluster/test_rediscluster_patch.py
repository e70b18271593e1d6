"""patch / unpatch / double patch / import order of the rediscluster integration, each
in a fresh interpreter."""
import pytest

pytest.importorskip("rediscluster")

from tests.contrib.kit import CHILD_PRELUDE  # noqa: E402
from tests.contrib.kit import check  # noqa: E402
from tests.contrib.kit import lifecycle_tests  # noqa: E402
from tests.contrib.kit import python_env  # noqa: E402
from tests.contrib.kit import run_python  # noqa: E402

pytestmark = pytest.mark.subprocess

test_lifecycle = lifecycle_tests(
    "rediscluster",
    span="redis.command",
    count=2,
    env=lambda request: {"TEST_CLUSTER_PORT": str(request.getfixturevalue("redis_cluster").startup_port)},
    exercise="""
        import os
        c = rediscluster.RedisCluster(startup_nodes=[{"host": "127.0.0.1", "port": os.environ["TEST_CLUSTER_PORT"]}])
        c.get("{ddtrace-test:}lifecycle")
        c.pipeline().get("{ddtrace-test:}lifecycle").execute()
    """,
)


@pytest.mark.parametrize(
    "env,expected",
    [
        ({}, "rediscluster|GET|GET {ddtrace-test:}env"),
        ({"DD_REDISCLUSTER_SERVICE": "from-env"}, "from-env|GET|GET {ddtrace-test:}env"),
        ({"DD_REDISCLUSTER_CMD_MAX_LENGTH": "5"}, "rediscluster|GET|GET {d..."),
        ({"DD_REDIS_RESOURCE_ONLY_COMMAND": "no"}, "rediscluster|GET {ddtrace-test:}env|GET {ddtrace-test:}env"),
        ({"DD_TRACE_REDISCLUSTER_ENABLED": "false"}, ""),
    ],
)
def test_environment(env, expected, redis_cluster):
    code = (
        CHILD_PRELUDE
        + """
import os
import ddtrace._monkey as m
m.patch_all(redis=False)
import rediscluster
c = rediscluster.RedisCluster(startup_nodes=[{"host": "127.0.0.1", "port": os.environ["TEST_CLUSTER_PORT"]}])
c.get("{ddtrace-test:}env")
for s in spans():
    print("%s|%s|%s" % (s.service, s.resource, s.get_tag("redis.raw_command")))
"""
    )
    proc = run_python(code, env=python_env(TEST_CLUSTER_PORT=str(redis_cluster.startup_port), **env))
    assert check(proc).strip() == expected
