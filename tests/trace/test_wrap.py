import asyncio

import pytest


def test_wrap_function_default_name(tracer):
    @tracer.wrap()
    def add(a, b):
        return a + b

    assert add(1, 2) == 3
    assert add.__name__ == "add"
    (s,) = tracer.pop()
    assert s.name == "tests.trace.test_wrap.test_wrap_function_default_name.<locals>.add"
    assert s.resource == s.name


def test_wrap_arguments(tracer):
    @tracer.wrap("custom", service="svc", resource="res", span_type="worker")
    def f():
        return tracer.current_span()

    inner = f()
    (s,) = tracer.pop()
    assert inner is s
    assert (s.name, s.service, s.resource, s.span_type) == ("custom", "svc", "res", "worker")


def test_wrap_method(tracer):
    class Greeter:
        @tracer.wrap()
        def hello(self, who):
            return "hi " + who

    assert Greeter().hello("you") == "hi you"
    (s,) = tracer.pop()
    assert s.name.endswith("Greeter.hello")


def test_wrap_propagates_exceptions(tracer):
    @tracer.wrap()
    def boom():
        raise ValueError("x")

    with pytest.raises(ValueError):
        boom()
    (s,) = tracer.pop()
    assert s.error == 1


def test_wrap_coroutine(tracer):
    @tracer.wrap("coro")
    async def work():
        await asyncio.sleep(0)
        return tracer.current_span().name

    assert asyncio.run(work()) == "coro"
    (s,) = tracer.pop()
    assert s.name == "coro" and s.finished


def test_wrap_generator_covers_the_whole_iteration(tracer):
    @tracer.wrap("gen")
    def gen(n):
        for i in range(n):
            with tracer.trace("step"):
                pass
            yield i
        return "done"

    g = gen(3)
    assert tracer.pop() == []  # not started until iterated
    assert next(g) == 0
    assert tracer.pop() == []
    assert list(g) == [1, 2]
    spans = tracer.pop()
    assert [s.name for s in spans].count("step") == 3
    top = [s for s in spans if s.name == "gen"][0]
    assert all(s.parent_id == top.span_id for s in spans if s.name == "step")


def test_wrap_generator_send_and_return(tracer):
    @tracer.wrap("echo")
    def echo():
        total = 0
        while True:
            x = yield total
            if x is None:
                return total
            total += x

    g = echo()
    next(g)
    g.send(2)
    assert g.send(3) == 5
    with pytest.raises(StopIteration) as info:
        g.send(None)
    assert info.value.value == 5
    assert [s.name for s in tracer.pop()] == ["echo"]


def test_wrap_generator_closed_early(tracer):
    @tracer.wrap("gen")
    def gen():
        yield 1
        yield 2

    g = gen()
    next(g)
    g.close()
    (s,) = tracer.pop()
    assert s.finished and s.error == 0


def test_wrap_async_generator(tracer):
    @tracer.wrap("agen")
    async def agen(n):
        for i in range(n):
            await asyncio.sleep(0)
            yield i

    async def consume():
        return [x async for x in agen(3)]

    assert asyncio.run(consume()) == [0, 1, 2]
    (s,) = tracer.pop()
    assert s.name == "agen" and s.finished


def test_wrap_async_generator_asend_athrow(tracer):
    @tracer.wrap("agen")
    async def acc():
        total = 0
        while True:
            try:
                x = yield total
            except KeyError:
                total = -1
                continue
            total += x or 0

    async def drive():
        g = acc()
        assert await g.__anext__() == 0
        assert await g.asend(4) == 4
        assert await g.athrow(KeyError()) == -1
        await g.aclose()

    asyncio.run(drive())
    (s,) = tracer.pop()
    assert s.finished


def test_wrap_async_generator_error(tracer):
    @tracer.wrap("agen")
    async def bad():
        yield 1
        raise RuntimeError("stream broke")

    async def drive():
        return [x async for x in bad()]

    with pytest.raises(RuntimeError):
        asyncio.run(drive())
    (s,) = tracer.pop()
    assert s.error == 1 and s.get_tag("error.message") == "stream broke"
