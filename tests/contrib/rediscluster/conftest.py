from tests.contrib.redis.servers import redis_cluster  # noqa: F401 (a fixture)
