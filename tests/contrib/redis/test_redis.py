"""The redis integration against the real server: commands, pipelines, errors,
settings and pins (synchronous client)."""
import pytest
import redis

from ddtrace.settings import config
from ddtrace.trace import Pin
from ddtrace.trace import tracer
from tests.contrib.kit import free_port
from tests.contrib.redis.servers import PREFIX
from tests.contrib.redis.servers import REDIS_DB
from tests.contrib.redis.servers import REDIS_HOST
from tests.contrib.redis.servers import REDIS_PORT
from tests.contrib.redis.servers import no_retry

K = PREFIX + "k"


def assert_command_span(span, resource, raw, args_length, db=REDIS_DB, port=REDIS_PORT, host=REDIS_HOST):
    assert span.name == "redis.command"
    assert span.service == "redis"
    assert span.span_type == "redis"
    assert span.resource == resource
    assert span.get_tag("redis.raw_command") == raw
    assert span.get_metric("redis.args_length") == args_length
    assert span.get_tag("component") == "redis"
    assert span.get_tag("span.kind") == "client"
    assert span.get_tag("db.system") == "redis"
    assert span.get_tag("out.host") == host
    assert span.get_tag("server.address") == host
    assert span.get_metric("network.destination.port") == port
    assert span.get_metric("out.redis_db") == db
    assert span.get_metric("_dd.measured") == 1
    assert "version" not in span._meta


def test_set_and_get(client, spans):
    assert client.set(K, "v") is True
    assert client.get(K) == b"v"
    set_span, get_span = spans()
    assert_command_span(set_span, "SET", "SET %s v" % K, 3)
    assert_command_span(get_span, "GET", "GET %s" % K, 2)
    assert set_span.error == 0
    assert get_span.get_metric("db.row_count") == 1
    assert set_span.get_metric("db.row_count") is None


def test_incr_is_sent_as_incrby(client, spans):
    client.incr(K)
    client.incr(K, 5)
    a, b = spans()
    assert (a.resource, a.get_tag("redis.raw_command")) == ("INCRBY", "INCRBY %s 1" % K)
    assert (b.resource, b.get_tag("redis.raw_command")) == ("INCRBY", "INCRBY %s 5" % K)


def test_command_as_the_caller_spelled_it(client, spans):
    client.execute_command("set", K, "x")
    client.execute_command("CONFIG GET", "maxmemory")
    set_span, config_span = spans()
    assert set_span.resource == "set"
    # redis-py sends two-word commands as one argument; the resource is the first word.
    assert config_span.resource == "CONFIG"
    assert config_span.get_tag("redis.raw_command") == "CONFIG GET maxmemory"
    assert config_span.get_metric("redis.args_length") == 2


def test_long_arguments_are_cut(client, spans):
    client.set(K, "x" * 300)
    (span,) = spans()
    assert span.get_tag("redis.raw_command") == "SET %s %s..." % (K, "x" * 100)
    assert span.get_metric("redis.args_length") == 3


def test_many_arguments_bound_the_raw_command(client, spans):
    mapping = {"%s%03d" % (PREFIX, i): "y" * 30 for i in range(60)}
    client.mset(mapping)
    (span,) = spans()
    raw = span.get_tag("redis.raw_command")
    assert raw.startswith("MSET %s000 %s " % (PREFIX, "y" * 30))
    assert raw.endswith("...")
    # 1000 characters of arguments (separators not counted), then "...".
    assert sum(len(p) for p in raw[:-3].split(" ")) == 1000
    assert span.get_metric("redis.args_length") == 121


def test_binary_and_numeric_arguments(client, spans):
    client.set(PREFIX.encode() + b"\xff\xfe", 3.5)
    client.set(K, "é".encode("utf-8"))
    client.expire(K, 100)
    a, b, c = spans()
    assert a.get_tag("redis.raw_command") == "SET %s\\xff\\xfe 3.5" % PREFIX
    assert b.get_tag("redis.raw_command") == "SET %s é" % K
    assert c.get_tag("redis.raw_command") == "EXPIRE %s 100" % K


def test_row_counts(client, spans):
    client.set(K, "1")
    client.hset(PREFIX + "h", "f", "v")
    spans()
    client.get(PREFIX + "missing")
    client.mget(K, PREFIX + "missing", K)
    client.hgetall(PREFIX + "h")
    client.hgetall(PREFIX + "missing")
    client.lrange(PREFIX + "missing", 0, -1)
    client.exists(K)
    counts = [s.get_metric("db.row_count") for s in spans()]
    assert counts == [0, 2, 1, 0, 0, None]


def test_error_reply_is_recorded_and_raised_unchanged(client, spans):
    client.set(K, "string")
    spans()
    with pytest.raises(redis.exceptions.ResponseError) as info:
        client.lpush(K, "x")
    assert str(info.value).startswith("WRONGTYPE")
    (span,) = spans()
    assert span.error == 1
    assert span.resource == "LPUSH"
    assert span.get_tag("error.type") == "redis.exceptions.ResponseError"
    assert span.get_tag("error.message") == str(info.value)
    assert "Traceback" in span.get_tag("error.stack")


def test_exception_object_is_the_one_redis_raised(client, spans, monkeypatch):
    sentinel = redis.exceptions.ResponseError("from the server")

    def fail(*args, **kwargs):
        raise sentinel

    monkeypatch.setattr(client, "parse_response", fail)
    with pytest.raises(redis.exceptions.ResponseError) as info:
        client.get(K)
    assert info.value is sentinel
    (span,) = spans()
    assert span.error == 1 and span.get_tag("error.message") == "from the server"


def test_connection_refused(patched, spans):
    port = free_port()
    c = redis.Redis(host="127.0.0.1", port=port, db=3, socket_connect_timeout=2, **no_retry())
    with pytest.raises(redis.exceptions.ConnectionError):
        c.get(K)
    (span,) = spans()
    assert span.error == 1
    assert span.get_tag("error.type") == "redis.exceptions.ConnectionError"
    assert span.get_tag("out.host") == "127.0.0.1"
    assert span.get_metric("network.destination.port") == port
    assert span.get_metric("out.redis_db") == 3


def test_from_url(patched, spans):
    c = redis.Redis.from_url("redis://%s:%d/%d" % (REDIS_HOST, REDIS_PORT, REDIS_DB))
    c.exists(K)
    (span,) = spans()
    assert_command_span(span, "EXISTS", "EXISTS %s" % K, 2)


def test_child_of_the_active_span(client, spans):
    with tracer.trace("web.request") as parent:
        client.get(K)
    get_span, web = sorted(spans(), key=lambda s: s.name != "redis.command")
    assert get_span.parent_id == parent.span_id
    assert get_span.trace_id == parent.trace_id
    assert web is parent
    assert tracer.current_span() is None


# -- pipelines


def test_transaction_pipeline(client, spans):
    pipe = client.pipeline()
    pipe.set(K, 1).set(PREFIX + "b", 2).mget(K, PREFIX + "b").incr(PREFIX + "c")
    assert pipe.execute() == [True, True, [b"1", b"2"], 1]
    (span,) = spans()
    assert span.name == "redis.command"
    assert span.span_type == "redis"
    assert span.resource == "SET\nSET\nMGET\nINCRBY"
    assert span.get_tag("redis.raw_command") == "SET {p}k 1\nSET {p}b 2\nMGET {p}k {p}b\nINCRBY {p}c 1".format(p=PREFIX)
    assert span.get_metric("redis.pipeline_length") == 4
    assert span.get_metric("redis.args_length") is None
    assert span.get_tag("out.host") == REDIS_HOST
    assert span.get_metric("network.destination.port") == REDIS_PORT
    assert span.get_metric("out.redis_db") == REDIS_DB
    assert span.get_tag("component") == "redis"
    assert span.get_tag("span.kind") == "client"


def test_pipeline_without_transaction(client, spans):
    with client.pipeline(transaction=False) as pipe:
        pipe.set(K, 1)
        pipe.get(K)
        assert pipe.execute() == [True, b"1"]
    (span,) = spans()
    assert span.resource == "SET\nGET"
    assert span.get_metric("redis.pipeline_length") == 2


def test_watch_runs_commands_at_once(client, spans):
    client.set(K, 1)
    spans()
    with client.pipeline() as pipe:
        pipe.watch(K)
        current = int(pipe.get(K))
        pipe.multi()
        pipe.set(K, current + 1)
        assert pipe.execute() == [True]
    watch, get, execute = spans()
    assert (watch.resource, watch.get_metric("redis.args_length")) == ("WATCH", 2)
    assert (get.resource, get.get_tag("redis.raw_command")) == ("GET", "GET %s" % K)
    assert execute.resource == "SET"
    assert execute.get_metric("redis.pipeline_length") == 1
    assert client.get(K) == b"2"


def test_transaction_helper(client, spans):
    def work(pipe):
        value = pipe.get(K)
        pipe.multi()
        pipe.set(K, (int(value or 0)) + 10)

    client.transaction(work, K)
    watch, get, execute = spans()
    assert (watch.resource, get.resource, execute.resource) == ("WATCH", "GET", "SET")
    assert execute.get_metric("redis.pipeline_length") == 1
    assert client.get(K) == b"10"


def test_pipeline_error_is_recorded_and_raised(client, spans):
    pipe = client.pipeline()
    pipe.set(K, 1).lpush(K, 2)
    with pytest.raises(redis.exceptions.ResponseError) as info:
        pipe.execute()
    (span,) = spans()
    assert span.error == 1
    assert span.resource == "SET\nLPUSH"
    assert span.get_tag("error.type") == "redis.exceptions.ResponseError"
    assert span.get_tag("error.message") == str(info.value)


def test_pipeline_errors_not_raised(client, spans):
    pipe = client.pipeline(transaction=False)
    pipe.set(K, 1).lpush(K, 2)
    result = pipe.execute(raise_on_error=False)
    assert isinstance(result[1], redis.exceptions.ResponseError)
    (span,) = spans()
    assert span.error == 0


def test_empty_pipeline_makes_no_span(client, spans):
    assert client.pipeline().execute() == []
    assert spans() == []


def test_pipeline_connection_refused(patched, spans):
    c = redis.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=2, **no_retry())
    pipe = c.pipeline()
    pipe.get(K)
    with pytest.raises(redis.exceptions.ConnectionError):
        pipe.execute()
    (span,) = spans()
    assert span.error == 1 and span.resource == "GET"


# -- settings and pins


def test_service_from_config(client, spans, monkeypatch):
    monkeypatch.setitem(config.redis, "service", "cache")
    client.get(K)
    client.pipeline().get(K).execute()
    assert [s.service for s in spans()] == ["cache", "cache"]


def test_pin_service_and_tags(client, spans):
    Pin.override(client, service="sessions", tags={"team": "web"})
    client.get(K)
    pipe = client.pipeline()
    pipe.get(K).execute()
    other = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)
    other.get(K)
    a, b, c = spans()
    assert (a.service, a.get_tag("team")) == ("sessions", "web")
    # The client's pipelines carry its pin.
    assert (b.service, b.get_tag("team")) == ("sessions", "web")
    assert (c.service, c.get_tag("team")) == ("redis", None)


def test_pin_on_the_class(client, spans):
    Pin.override(redis.Redis, service="all-clients")
    try:
        redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB).get(K)
        (span,) = spans()
        assert span.service == "all-clients"
    finally:
        Pin.get_from(redis.Redis).remove_from(redis.Redis)


def test_pin_with_its_own_tracer(client, spans, tracer):
    Pin.override(client, tracer=tracer)
    client.get(K)
    assert spans() == []
    (span,) = tracer.pop()
    assert span.resource == "GET"


def test_resource_with_arguments(client, spans, monkeypatch):
    monkeypatch.setitem(config.redis, "resource_only_command", False)
    client.set(K, "v")
    client.pipeline().set(K, 1).get(K).execute()
    a, b = spans()
    assert a.resource == "SET %s v" % K
    assert b.resource == "SET %s 1\nGET %s" % (K, K)


def test_cmd_max_length(client, spans, monkeypatch):
    monkeypatch.setitem(config.redis, "cmd_max_length", 10)
    client.set(K, "value")
    (span,) = spans()
    # "SET" (3) + the key's first 7 characters fill the 10.
    assert span.get_tag("redis.raw_command") == "SET %s..." % K[:7]


@pytest.mark.parametrize("value", ["10", None, -5, "lots"])
def test_odd_cmd_max_length_set_in_code(client, spans, monkeypatch, value):
    monkeypatch.setitem(config.redis, "cmd_max_length", value)
    client.set(K, "value")
    (span,) = spans()
    expected = "SET %s..." % K[:7] if value == "10" else "SET %s value" % K
    assert span.get_tag("redis.raw_command") == expected


def test_disabled_integration_calls_straight_through(client, spans, monkeypatch):
    monkeypatch.setitem(config.redis, "enabled", False)
    client.set(K, "v")
    assert client.pipeline().get(K).execute() == [b"v"]
    assert spans() == []


def test_disabled_tracer(client, spans, monkeypatch):
    monkeypatch.setattr(tracer, "enabled", False)
    client.set(K, "v")
    assert spans() == []


def test_unpatched_methods_are_restored(patched):
    from ddtrace.contrib._integration import is_wrapped

    assert is_wrapped(redis.Redis.__dict__["execute_command"])
    assert is_wrapped(redis.client.Pipeline.__dict__["execute"])
    from ddtrace.contrib.redis import patch as redis_patch

    redis_patch.unpatch()
    try:
        assert not is_wrapped(redis.Redis.__dict__["execute_command"])
        assert not is_wrapped(redis.client.Pipeline.__dict__["execute"])
        assert not is_wrapped(redis.client.Pipeline.__dict__["immediate_execute_command"])
    finally:
        redis_patch.patch()


def test_tracer_failure_never_reaches_the_caller(client, spans, monkeypatch, internal_errors):
    from ddtrace.contrib.redis import patch as redis_patch

    def broken(*args, **kwargs):
        raise RuntimeError("tracer bug")

    monkeypatch.setattr(redis_patch.tracing, "start_span", broken)
    internal_errors.allowed = True
    client.set(K, "v")
    assert client.get(K) == b"v"
    assert client.pipeline().get(K).execute() == [b"v"]
    assert spans() == []
    assert len(internal_errors.errors) == 3
