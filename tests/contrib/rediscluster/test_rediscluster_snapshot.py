"""Snapshot of the rediscluster integration's spans, sent through the test agent."""
import pytest

rediscluster = pytest.importorskip("rediscluster")

from ddtrace.settings import config  # noqa: E402
from tests.contrib.redis.servers import PREFIX  # noqa: E402


# Cluster ports are picked free for each session.
@pytest.mark.snapshot(ignores=["metrics.network.destination.port"])
def test_rediscluster(patched, redis_cluster):
    from ddtrace.trace import tracer

    key = "{%s}rc" % PREFIX
    config.rediscluster["enabled"] = False  # set-up traffic stays out of the snapshot
    try:
        c = rediscluster.RedisCluster(startup_nodes=[{"host": "127.0.0.1", "port": redis_cluster.startup_port}])
        c.delete(key)
    finally:
        config.rediscluster["enabled"] = True
    with tracer.trace("checkout", service="shop"):
        c.set(key, "v")
        c.get(key)
        pipe = c.pipeline()
        pipe.incr(key + "n").get(key)
        pipe.execute()
    config.rediscluster["enabled"] = False
    try:
        c.delete(key, key + "n")
    finally:
        config.rediscluster["enabled"] = True
