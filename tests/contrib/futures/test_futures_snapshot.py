"""Snapshot: work submitted to a thread pool joins the submitter's trace."""
import concurrent.futures

import pytest


@pytest.mark.snapshot
def test_futures(patched):
    from ddtrace.trace import tracer

    def work(i):
        with tracer.trace("work", resource="item-%d" % i):
            pass

    # Each item waits for the previous one: the snapshot orders siblings by start time,
    # which concurrent workers would make a matter of chance. (Concurrency itself is
    # covered by test_futures.py.)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        with tracer.trace("batch", service="worker"):
            for i in range(3):
                pool.submit(work, i).result()
