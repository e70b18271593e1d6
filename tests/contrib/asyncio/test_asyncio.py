"""Context propagation in asyncio: tasks (no patch needed), to_thread, run_in_executor."""
import asyncio
import concurrent.futures
import sys

import pytest

from ddtrace.trace import tracer
from tests.contrib.kit import check
from tests.contrib.kit import lifecycle_tests
from tests.contrib.kit import run_python


async def _child(name):
    with tracer.trace(name):
        await asyncio.sleep(0)


def test_tasks_inherit_the_active_span_without_patching(spans):
    async def main():
        with tracer.trace("parent") as parent:
            await asyncio.gather(_child("a"), _child("b"), asyncio.create_task(_child("c")))
        return parent

    parent = asyncio.run(main())
    children = [s for s in spans() if s.name in ("a", "b", "c")]
    assert len(children) == 3
    assert all(c.parent_id == parent.span_id for c in children)


def test_concurrent_tasks_do_not_mix_their_spans(spans):
    async def request(name):
        with tracer.trace(name) as span:
            await asyncio.sleep(0)
            with tracer.trace(name + ".inner") as inner:
                await asyncio.sleep(0)
            return span, inner

    async def main():
        return await asyncio.gather(request("one"), request("two"))

    (one, one_inner), (two, two_inner) = asyncio.run(main())
    assert one.parent_id == 0 and two.parent_id == 0 and one.trace_id != two.trace_id
    assert one_inner.parent_id == one.span_id and two_inner.parent_id == two.span_id


@pytest.mark.skipif(sys.version_info < (3, 9), reason="asyncio.to_thread is 3.9+")
def test_to_thread_without_patching(spans):
    async def main():
        with tracer.trace("parent") as parent:
            seen = await asyncio.to_thread(tracer.current_span)
        return parent, seen

    parent, seen = asyncio.run(main())
    assert seen is parent


def test_run_in_executor_unpatched_loses_the_span(spans):
    async def main():
        with tracer.trace("parent"):
            return await asyncio.get_running_loop().run_in_executor(None, tracer.current_span)

    assert asyncio.run(main()) is None


@pytest.mark.parametrize("executor", [None, "thread-pool"])
def test_run_in_executor_patched(patched, spans, executor):
    def work():
        with tracer.trace("in-executor") as span:
            return span

    async def main():
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=1) if executor else None
        try:
            with tracer.trace("parent") as parent:
                span = await asyncio.get_running_loop().run_in_executor(pool, work)
        finally:
            if pool is not None:
                pool.shutdown()
        return parent, span

    parent, span = asyncio.run(main())
    assert span.parent_id == parent.span_id and span.trace_id == parent.trace_id


def test_run_in_executor_exception_unchanged(patched, spans):
    boom = OSError("disk")

    def fail():
        raise boom

    async def main():
        with tracer.trace("parent"):
            await asyncio.get_running_loop().run_in_executor(None, fail)

    with pytest.raises(OSError) as exc_info:
        asyncio.run(main())
    assert exc_info.value is boom


# futures is left unpatched so only the asyncio integration can carry the span: the
# "carried" span exists only when the executor's function saw the caller's span.
test_lifecycle = lifecycle_tests(
    "asyncio",
    span="carried",
    count=1,
    env={"DD_TRACE_FUTURES_ENABLED": "false"},
    exercise="""
        async def main():
            with tracer.trace("parent") as parent:
                seen = await asyncio.get_running_loop().run_in_executor(None, tracer.current_span)
            if seen is parent:
                tracer.trace("carried").finish()
        asyncio.run(main())
    """,
)
