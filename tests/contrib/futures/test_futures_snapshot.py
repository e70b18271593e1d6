"""Snapshot: work submitted to a thread pool joins the submitter's trace."""
import concurrent.futures

import pytest


@pytest.mark.snapshot
def test_futures(patched):
    from ddtrace.trace import tracer

    def work(i):
        with tracer.trace("work", resource="item-%d" % i):
            pass

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        with tracer.trace("batch", service="worker"):
            for f in [pool.submit(work, i) for i in range(3)]:
                f.result()
