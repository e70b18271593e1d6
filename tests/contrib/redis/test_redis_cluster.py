"""The redis integration with ``redis.cluster.RedisCluster`` (redis-py 4.1+) and its
asyncio twin (4.3+), against a three-node cluster the session starts."""
import asyncio

import pytest

pytest.importorskip("redis.cluster", reason="redis.cluster arrived in redis-py 4.1")

import redis  # noqa: E402
import redis.cluster  # noqa: E402

from ddtrace.trace import Pin  # noqa: E402
from tests.contrib.redis.servers import PREFIX  # noqa: E402

# Keys with one hash tag land on one slot, so multi-key commands are allowed.
K = "{%s}k" % PREFIX
K2 = "{%s}k2" % PREFIX


def _has_async_cluster():
    try:
        import redis.asyncio.cluster  # noqa: F401
    except ImportError:
        return False
    return True


needs_async_cluster = pytest.mark.skipif(not _has_async_cluster(), reason="redis.asyncio.cluster arrived in 4.3")


@pytest.fixture
def cluster(redis_cluster, patched, spans):
    c = redis.cluster.RedisCluster(host="127.0.0.1", port=redis_cluster.startup_port)
    c.delete(K, K2)
    spans()
    yield c
    spans()
    c.delete(K, K2)
    c.close()
    spans()


def commands(spans):
    """The spans of the test's own commands: redis-py 4.1 also sends COMMAND (to learn
    the key positions) when a cluster pipeline is created."""
    return [s for s in spans if s.resource not in ("COMMAND", "CLUSTER")]


def assert_cluster_span(span, redis_cluster, resource):
    assert span.name == "redis.command"
    assert span.service == "redis"
    assert span.span_type == "redis"
    assert span.resource == resource
    assert span.get_tag("component") == "redis"
    assert span.get_tag("span.kind") == "client"
    assert span.get_tag("db.system") == "redis"
    assert span.get_tag("out.host") == "127.0.0.1"
    assert span.get_metric("network.destination.port") in redis_cluster.ports
    assert span.get_metric("out.redis_db") == 0


def test_commands(cluster, spans, redis_cluster):
    assert cluster.set(K, "v") is True
    assert cluster.get(K) == b"v"
    cluster.incr(K2)
    set_span, get_span, incr_span = spans()
    assert_cluster_span(set_span, redis_cluster, "SET")
    assert set_span.get_tag("redis.raw_command") == "SET %s v" % K
    assert set_span.get_metric("redis.args_length") == 3
    assert_cluster_span(get_span, redis_cluster, "GET")
    assert get_span.get_metric("db.row_count") == 1
    assert incr_span.resource == "INCRBY"
    # The cluster's default node is where keyless commands go: the tags name it.
    node = cluster.get_default_node()
    assert set_span.get_metric("network.destination.port") == node.port


def test_command_on_every_node(cluster, spans, redis_cluster):
    cluster.ping(target_nodes=redis.cluster.RedisCluster.ALL_NODES)
    (span,) = spans()
    assert_cluster_span(span, redis_cluster, "PING")


def test_error_reply(cluster, spans, redis_cluster):
    cluster.set(K, "string")
    spans()
    with pytest.raises(redis.exceptions.ResponseError) as info:
        cluster.lpush(K, "x")
    (span,) = spans()
    assert_cluster_span(span, redis_cluster, "LPUSH")
    assert span.error == 1
    assert span.get_tag("error.type") == "redis.exceptions.ResponseError"
    assert span.get_tag("error.message") == str(info.value)


def test_pipeline(cluster, spans, redis_cluster):
    pipe = cluster.pipeline()
    pipe.set(K, 1).get(K).incr(K2)
    assert pipe.execute() == [True, b"1", 1]
    (span,) = commands(spans())
    assert_cluster_span(span, redis_cluster, "SET\nGET\nINCRBY")
    assert span.get_tag("redis.raw_command") == "SET %s 1\nGET %s\nINCRBY %s 1" % (K, K, K2)
    assert span.get_metric("redis.pipeline_length") == 3
    assert cluster.pipeline().execute() == []
    assert commands(spans()) == []


def test_transaction_pipeline(cluster, spans, redis_cluster):
    try:
        pipe = cluster.pipeline(transaction=True)
    except Exception:  # before redis-py 6 cluster pipelines refuse transactions
        pytest.skip("this redis-py has no cluster transactions")
    pipe.set(K, 1).get(K).incr(K2)
    # (the SET reply is True or b"OK" depending on the redis-py version)
    assert pipe.execute()[1:] == [b"1", 1]
    (span,) = commands(spans())
    assert_cluster_span(span, redis_cluster, "SET\nGET\nINCRBY")
    assert span.get_metric("redis.pipeline_length") == 3


def test_pipeline_error(cluster, spans, redis_cluster):
    cluster.set(K, "string")
    spans()
    pipe = cluster.pipeline()
    pipe.lpush(K, 2)
    with pytest.raises(redis.exceptions.ResponseError):
        pipe.execute()
    (span,) = commands(spans())
    assert span.error == 1 and span.resource == "LPUSH"


def test_pin(cluster, spans):
    Pin.override(cluster, service="cluster-cache")
    cluster.get(K)
    cluster.pipeline().get(K).execute()
    assert [s.service for s in commands(spans())] == ["cluster-cache", "cluster-cache"]


def test_initialisation_commands_are_traced(redis_cluster, patched, spans):
    # Discovering the slots is real traffic: it shows as commands of a node client.
    c = redis.cluster.RedisCluster(host="127.0.0.1", port=redis_cluster.startup_port)
    try:
        resources = [s.resource for s in spans()]
        assert "CLUSTER" in resources
    finally:
        c.close()


@needs_async_cluster
def test_async_cluster(redis_cluster, patched, spans):
    import redis.asyncio.cluster

    async def main():
        c = redis.asyncio.cluster.RedisCluster(host="127.0.0.1", port=redis_cluster.startup_port)
        try:
            await c.set(K, "v")
            assert await c.get(K) == b"v"
            pipe = c.pipeline()
            pipe.set(K, 1).get(K)
            assert await pipe.execute() == [True, b"1"]
            with pytest.raises(redis.exceptions.ResponseError):
                await c.lpush(K, "x")
            await c.delete(K)
        finally:
            close = getattr(c, "aclose", None) or c.close
            await close()

    asyncio.run(main())
    set_span, get_span, pipe_span, error_span, _delete = spans()
    assert_cluster_span(set_span, redis_cluster, "SET")
    assert set_span.get_tag("redis.raw_command") == "SET %s v" % K
    assert_cluster_span(get_span, redis_cluster, "GET")
    assert_cluster_span(pipe_span, redis_cluster, "SET\nGET")
    assert pipe_span.get_metric("redis.pipeline_length") == 2
    assert pipe_span.get_tag("redis.raw_command") == "SET %s 1\nGET %s" % (K, K)
    assert error_span.error == 1 and error_span.resource == "LPUSH"
