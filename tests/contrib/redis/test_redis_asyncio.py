"""The redis integration with ``redis.asyncio`` (redis-py 4.2+) against the real server."""
import asyncio

import pytest

pytest.importorskip("redis.asyncio", reason="redis.asyncio arrived in redis-py 4.2")

import redis  # noqa: E402
import redis.asyncio  # noqa: E402

from ddtrace.settings import config  # noqa: E402
from ddtrace.trace import Pin  # noqa: E402
from ddtrace.trace import tracer  # noqa: E402
from tests.contrib.kit import free_port  # noqa: E402
from tests.contrib.redis.servers import PREFIX  # noqa: E402
from tests.contrib.redis.servers import REDIS_DB  # noqa: E402
from tests.contrib.redis.servers import REDIS_HOST  # noqa: E402
from tests.contrib.redis.servers import REDIS_PORT  # noqa: E402
from tests.contrib.redis.servers import no_retry  # noqa: E402
from tests.contrib.redis.test_redis import assert_command_span  # noqa: E402

K = PREFIX + "ak"


async def _close(client):
    close = getattr(client, "aclose", None) or client.close
    await close()


def run(coro_fn, *args):
    """Run ``coro_fn(client, *args)`` with a fresh asyncio client in a new event loop."""

    async def main():
        client = redis.asyncio.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)
        try:
            return await coro_fn(client, *args)
        finally:
            await _close(client)

    return asyncio.run(main())


@pytest.fixture
def aspans(client, spans):
    """Like ``spans``, with the shared server's test keys cleaned by ``client``."""
    return spans


def test_commands(aspans):
    async def work(c):
        assert await c.set(K, "v") is True
        assert await c.get(K) == b"v"
        await c.incr(PREFIX + "n")

    run(work)
    set_span, get_span, incr_span = aspans()
    assert_command_span(set_span, "SET", "SET %s v" % K, 3)
    assert_command_span(get_span, "GET", "GET %s" % K, 2)
    assert get_span.get_metric("db.row_count") == 1
    assert incr_span.resource == "INCRBY"


def test_error_reply(aspans):
    async def work(c):
        await c.set(K, "string")
        with pytest.raises(redis.exceptions.ResponseError) as info:
            await c.lpush(K, "x")
        return info.value

    error = run(work)
    _, span = aspans()
    assert span.error == 1
    assert span.get_tag("error.type") == "redis.exceptions.ResponseError"
    assert span.get_tag("error.message") == str(error)


def test_connection_refused(aspans):
    port = free_port()

    async def main():
        c = redis.asyncio.Redis(host="127.0.0.1", port=port, socket_connect_timeout=2, **no_retry())
        with pytest.raises(redis.exceptions.ConnectionError):
            await c.get(K)

    asyncio.run(main())
    (span,) = aspans()
    assert span.error == 1
    assert span.get_tag("error.type") == "redis.exceptions.ConnectionError"
    assert span.get_metric("network.destination.port") == port


def test_pipelines(aspans):
    async def work(c):
        pipe = c.pipeline()
        pipe.set(K, 1).get(K)
        assert await pipe.execute() == [True, b"1"]
        pipe = c.pipeline(transaction=False)
        pipe.incr(K)
        pipe.mget(K, PREFIX + "missing")
        assert await pipe.execute() == [2, [b"2", None]]
        assert await c.pipeline().execute() == []

    run(work)
    tx, plain = aspans()
    assert tx.resource == "SET\nGET"
    assert tx.get_tag("redis.raw_command") == "SET %s 1\nGET %s" % (K, K)
    assert tx.get_metric("redis.pipeline_length") == 2
    assert tx.get_metric("out.redis_db") == REDIS_DB
    assert tx.get_tag("out.host") == REDIS_HOST
    assert plain.resource == "INCRBY\nMGET"
    assert plain.get_metric("redis.pipeline_length") == 2


def test_watch_in_pipeline(aspans):
    async def work(c):
        await c.set(K, 1)
        async with c.pipeline() as pipe:
            await pipe.watch(K)
            value = int(await pipe.get(K))
            pipe.multi()
            pipe.set(K, value + 1)
            assert await pipe.execute() == [True]
        return await c.get(K)

    assert run(work) == b"2"
    assert [s.resource for s in aspans()] == ["SET", "WATCH", "GET", "SET", "GET"]


def test_pipeline_error(aspans):
    async def work(c):
        pipe = c.pipeline()
        pipe.set(K, 1).lpush(K, 2)
        with pytest.raises(redis.exceptions.ResponseError):
            await pipe.execute()

    run(work)
    (span,) = aspans()
    assert span.error == 1 and span.resource == "SET\nLPUSH"


def test_concurrent_tasks_keep_their_parents(aspans):
    async def one(c, i):
        with tracer.trace("task", resource=str(i)):
            await c.set("%s%d" % (PREFIX, i), i)
            await asyncio.sleep(0)
            await c.get("%s%d" % (PREFIX, i))

    async def work(c):
        await asyncio.gather(*(one(c, i) for i in range(5)))

    run(work)
    spans = aspans()
    tasks = {s.span_id: s for s in spans if s.name == "task"}
    commands = [s for s in spans if s.name == "redis.command"]
    assert len(tasks) == 5 and len(commands) == 10
    for span in commands:
        parent = tasks[span.parent_id]
        assert span.get_tag("redis.raw_command").split(" ")[1] == "%s%s" % (PREFIX, parent.resource)
    assert tracer.current_span() is None


def test_pin_and_settings(aspans, monkeypatch):
    async def work(c):
        Pin.override(c, service="async-cache")
        await c.get(K)
        await c.pipeline().get(K).execute()

    run(work)
    assert [s.service for s in aspans()] == ["async-cache", "async-cache"]

    monkeypatch.setitem(config.redis, "enabled", False)

    async def untraced(c):
        await c.get(K)
        await c.pipeline().get(K).execute()

    run(untraced)
    assert aspans() == []
