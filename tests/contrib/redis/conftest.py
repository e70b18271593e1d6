import pytest

from tests.contrib.redis.servers import PREFIX
from tests.contrib.redis.servers import REDIS_DB
from tests.contrib.redis.servers import REDIS_HOST
from tests.contrib.redis.servers import REDIS_PORT
from tests.contrib.redis.servers import redis_cluster  # noqa: F401 (a fixture)


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
