"""Snapshot: tasks and run_in_executor work join the trace that started them."""
import asyncio

import pytest


@pytest.mark.snapshot
def test_asyncio(patched):
    from ddtrace.trace import tracer

    def blocking():
        with tracer.trace("blocking"):
            pass

    async def child(i):
        with tracer.trace("child", resource="task-%d" % i):
            await asyncio.sleep(0)

    async def main():
        with tracer.trace("request", service="api"):
            await asyncio.gather(child(0), child(1))
            await asyncio.get_running_loop().run_in_executor(None, blocking)

    asyncio.run(main())
