import os

import pytest

from tests.contrib.redis.servers import PREFIX
from tests.contrib.redis.servers import REDIS_DB
from tests.contrib.redis.servers import REDIS_HOST
from tests.contrib.redis.servers import REDIS_PORT
from tests.contrib.redis.servers import RedisCluster
from tests.contrib.redis.servers import have_redis_binaries


def _clean(client):
    keys = client.keys(PREFIX + "*")
    if keys:
        client.delete(*keys)


@pytest.fixture
def client(patched, spans):
    """A ``redis.Redis`` on the shared server (database 9), its test keys removed
    before and after; the spans of the clean-up are dropped."""
    import redis

    c = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)
    _clean(c)
    spans()
    yield c
    spans()
    _clean(c)
    c.connection_pool.disconnect()


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
