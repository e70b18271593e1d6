"""The rediscluster (redis-py-cluster) integration against a three-node cluster."""
import pytest

rediscluster = pytest.importorskip("rediscluster")

import redis  # noqa: E402

from ddtrace.settings import config  # noqa: E402
from ddtrace.trace import Pin  # noqa: E402
from tests.contrib.redis.servers import PREFIX  # noqa: E402

K = "{%s}k" % PREFIX
K2 = "{%s}k2" % PREFIX


@pytest.fixture
def cluster(redis_cluster, patched, spans):
    c = rediscluster.RedisCluster(startup_nodes=[{"host": "127.0.0.1", "port": str(redis_cluster.startup_port)}])
    c.delete(K, K2)
    spans()
    yield c
    spans()
    c.delete(K, K2)
    spans()


def assert_span(span, redis_cluster, resource):
    assert span.name == "redis.command"
    assert span.service == "rediscluster"
    assert span.span_type == "redis"
    assert span.resource == resource
    assert span.get_tag("component") == "rediscluster"
    assert span.get_tag("span.kind") == "client"
    assert span.get_tag("db.system") == "redis"
    assert span.get_tag("out.host") == "127.0.0.1"
    assert span.get_metric("network.destination.port") == redis_cluster.startup_port
    assert span.get_metric("out.redis_db") == 0
    assert span.get_metric("_dd.measured") == 1


def test_commands(cluster, spans, redis_cluster):
    assert cluster.set(K, "v") is True
    assert cluster.get(K) == b"v"
    cluster.incr(K2)
    a, b, c = spans()
    assert_span(a, redis_cluster, "SET")
    assert a.get_tag("redis.raw_command") == "SET %s v" % K
    assert a.get_metric("redis.args_length") == 3
    assert_span(b, redis_cluster, "GET")
    assert b.get_metric("db.row_count") == 1
    assert_span(c, redis_cluster, "INCRBY")


def test_error(cluster, spans, redis_cluster):
    cluster.set(K, "s")
    spans()
    with pytest.raises(redis.exceptions.ResponseError) as info:
        cluster.lpush(K, 1)
    (span,) = spans()
    assert_span(span, redis_cluster, "LPUSH")
    assert span.error == 1
    assert span.get_tag("error.type") == "redis.exceptions.ResponseError"
    assert span.get_tag("error.message") == str(info.value)


def test_pipeline(cluster, spans, redis_cluster):
    pipe = cluster.pipeline()
    pipe.set(K, 1).get(K).incr(K2)
    assert pipe.execute() == [True, b"1", 1]
    (span,) = spans()
    assert_span(span, redis_cluster, "SET\nGET\nINCRBY")
    assert span.get_tag("redis.raw_command") == "SET %s 1\nGET %s\nINCRBY %s 1" % (K, K, K2)
    assert span.get_metric("redis.pipeline_length") == 3
    assert cluster.pipeline().execute() == []
    assert spans() == []


def test_pipeline_error(cluster, spans):
    cluster.set(K, "s")
    spans()
    pipe = cluster.pipeline()
    pipe.lpush(K, 1)
    with pytest.raises(redis.exceptions.ResponseError):
        pipe.execute()
    (span,) = spans()
    assert span.error == 1 and span.resource == "LPUSH"


def test_service_pin_and_switches(cluster, spans, monkeypatch):
    monkeypatch.setitem(config.rediscluster, "service", "from-config")
    cluster.get(K)
    Pin.override(cluster, service="pinned")
    cluster.get(K)
    cluster.pipeline().get(K).execute()
    assert [s.service for s in spans()] == ["from-config", "pinned", "pinned"]
    monkeypatch.setitem(config.rediscluster, "enabled", False)
    cluster.get(K)
    cluster.pipeline().get(K).execute()
    assert spans() == []


def test_resource_with_arguments(cluster, spans, monkeypatch):
    monkeypatch.setitem(config.rediscluster, "resource_only_command", False)
    cluster.set(K, "v")
    cluster.pipeline().get(K).execute()
    assert [s.resource for s in spans()] == ["SET %s v" % K, "GET %s" % K]


def test_with_the_redis_integration(redis_cluster, patched, spans):
    # Cluster discovery goes through redis-py clients: redis spans when redis is patched.
    from ddtrace.contrib.redis import patch as redis_patch

    redis_patch.patch()
    try:
        c = rediscluster.RedisCluster(startup_nodes=[{"host": "127.0.0.1", "port": redis_cluster.startup_port}])
        c.get(K)
    finally:
        redis_patch.unpatch()
    found = [(s.service, s.resource) for s in spans()]
    assert ("redis", "cluster") in found
    assert found[-1] == ("rediscluster", "GET")
