"""Snapshots of the redis integration's spans, sent through the test agent."""
import asyncio
import contextlib

import pytest
import redis

from ddtrace.settings import config
from tests.contrib.kit import free_port
from tests.contrib.redis.servers import PREFIX
from tests.contrib.redis.servers import REDIS_DB
from tests.contrib.redis.servers import REDIS_HOST
from tests.contrib.redis.servers import REDIS_PORT
from tests.contrib.redis.servers import no_retry


def _importable(name):
    try:
        __import__(name)
    except ImportError:
        return False
    return True


needs_asyncio = pytest.mark.skipif(not _importable("redis.asyncio"), reason="redis.asyncio arrived in redis-py 4.2")
needs_cluster = pytest.mark.skipif(not _importable("redis.cluster"), reason="redis.cluster arrived in redis-py 4.1")


@contextlib.contextmanager
def untraced():
    """Set-up and clean-up traffic that must not appear in the snapshot."""
    saved = config.redis.get("enabled", True)
    config.redis["enabled"] = False
    try:
        yield
    finally:
        config.redis["enabled"] = saved


def _clean(c):
    with untraced():
        keys = c.keys(PREFIX + "*")
        if keys:
            c.delete(*keys)


@pytest.fixture
def client(patched):
    c = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)
    _clean(c)
    yield c
    _clean(c)
    c.connection_pool.disconnect()


@pytest.mark.snapshot
def test_redis(client):
    from ddtrace.trace import tracer

    with tracer.trace("checkout", service="shop", resource="POST /checkout"):
        client.set(PREFIX + "cart", "3 items")
        client.get(PREFIX + "cart")
        client.incr(PREFIX + "visits")
        client.set(PREFIX + "blob", b"\x00\xff" + b"z" * 200)
        client.mget(PREFIX + "cart", PREFIX + "missing")
        pipe = client.pipeline()
        pipe.set(PREFIX + "a", 1).incr(PREFIX + "a").get(PREFIX + "a")
        pipe.execute()
        with pytest.raises(redis.exceptions.ResponseError):
            client.lpush(PREFIX + "cart", "x")
    # A command outside any request is its own trace.
    client.delete(PREFIX + "visits")


# The port changes on every run and redis-py words the refusal differently per version.
@pytest.mark.snapshot(ignores=["metrics.network.destination.port", "meta.error.message"])
def test_redis_connection_refused(patched):
    c = redis.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=2, **no_retry())
    with pytest.raises(redis.exceptions.ConnectionError):
        c.get(PREFIX + "k")


@needs_asyncio
@pytest.mark.snapshot
def test_redis_asyncio(client):
    import redis.asyncio

    from ddtrace.trace import tracer

    async def main():
        a = redis.asyncio.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)
        with tracer.trace("worker.job", service="jobs"):
            await a.set(PREFIX + "job", "done")
            await a.get(PREFIX + "job")
            pipe = a.pipeline(transaction=False)
            pipe.get(PREFIX + "job").delete(PREFIX + "job")
            await pipe.execute()
        await a.connection_pool.disconnect()

    asyncio.run(main())


# Cluster ports are picked free for each session.
@needs_cluster
@pytest.mark.snapshot(ignores=["metrics.network.destination.port"])
def test_redis_cluster(patched, redis_cluster):
    import redis.cluster as cluster_module

    from ddtrace.trace import tracer

    key = "{%s}cluster" % PREFIX
    with untraced():  # slot discovery differs between redis-py versions
        c = cluster_module.RedisCluster(host="127.0.0.1", port=redis_cluster.startup_port)
        c.delete(key)
        pipe = c.pipeline()  # redis-py 4.1 sends COMMAND here
    try:
        with tracer.trace("checkout", service="shop"):
            c.set(key, "v")
            c.get(key)
            pipe.incr(key + "n").get(key)
            pipe.execute()
    finally:
        with untraced():
            c.delete(key, key + "n")
            c.close()
