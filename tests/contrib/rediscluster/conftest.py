import os

import pytest

from tests.contrib.kit import MemoryTracer
from tests.contrib.redis.servers import RedisCluster
from tests.contrib.redis.servers import have_redis_binaries

# The snapshot plugin, until tests/conftest.py lists "tests.utils.snapshot" in pytest_plugins.
from tests.utils.snapshot import _snapshot_marker  # noqa: F401
from tests.utils.snapshot import pytest_configure  # noqa: F401
from tests.utils.snapshot import pytest_runtest_makereport  # noqa: F401
from tests.utils.snapshot import snapshot  # noqa: F401


@pytest.fixture(scope="session")
def redis_cluster():
    """A three-node Redis cluster started for the session and stopped at its end."""
    if not have_redis_binaries():
        message = "redis-server / redis-cli not installed: cannot start a Redis cluster"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    cluster = RedisCluster().start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def patched():
    from ddtrace.contrib.rediscluster import patch as rc_patch

    rc_patch.patch()
    try:
        yield rc_patch.integration
    finally:
        rc_patch.unpatch()


@pytest.fixture
def spans(patched):
    t = MemoryTracer()
    try:
        yield t.spans
    finally:
        t.restore()
