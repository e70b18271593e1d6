"""The futures integration: the active span follows work into a thread pool."""
import concurrent.futures
import threading

import pytest

from ddtrace.trace import tracer
from tests.contrib.kit import check
from tests.contrib.kit import lifecycle_tests
from tests.contrib.kit import run_python


def _work(name):
    with tracer.trace(name):
        return threading.get_ident()


def test_submitted_work_joins_the_trace(patched, spans):
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        with tracer.trace("parent") as parent:
            futures = [pool.submit(_work, "child-%d" % i) for i in range(4)]
            idents = {f.result() for f in futures}
    assert threading.get_ident() not in idents
    spans = spans()
    children = [s for s in spans if s.name.startswith("child-")]
    assert len(children) == 4
    assert all(c.parent_id == parent.span_id and c.trace_id == parent.trace_id for c in children)
    # No span for the submission itself.
    assert {s.name for s in spans} == {"parent", "child-0", "child-1", "child-2", "child-3"}


def test_map_and_keyword_arguments(patched, spans):
    def work(x, *, scale):
        with tracer.trace("mapped"):
            return x * scale

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        with tracer.trace("parent") as parent:
            assert pool.submit(work, 3, scale=2).result() == 6
            assert list(pool.map(lambda v: v + 1, [1, 2])) == [2, 3]
    mapped = [s for s in spans() if s.name == "mapped"]
    assert mapped[0].parent_id == parent.span_id


def test_worker_does_not_keep_the_context(patched, spans):
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        with tracer.trace("parent"):
            pool.submit(lambda: None).result()
        # Same worker thread, submitted outside any span: a new trace.
        root = pool.submit(_work, "later").result
        root()
    later = [s for s in spans() if s.name == "later"][0]
    assert later.parent_id == 0


def test_nothing_active_submits_the_function_itself(patched, spans):
    seen = []

    class Recorder(concurrent.futures.ThreadPoolExecutor):
        pass

    def fn():
        seen.append(tracer.current_span())

    with Recorder(max_workers=1) as pool:
        pool.submit(fn).result()
    assert seen == [None]


def test_exceptions_propagate_unchanged(patched, spans):
    boom = KeyError("k")

    def fail():
        raise boom

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        with tracer.trace("parent"):
            future = pool.submit(fail)
            with pytest.raises(KeyError) as exc_info:
                future.result()
    assert exc_info.value is boom


def test_unpatched_work_starts_new_traces(spans):
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        with tracer.trace("parent"):
            pool.submit(_work, "child").result()
    child = [s for s in spans() if s.name == "child"][0]
    assert child.parent_id == 0


test_lifecycle = lifecycle_tests(
    "futures",
    span="carried",
    count=1,
    exercise="""
        import concurrent.futures
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            with tracer.trace("parent") as parent:
                child_parent = pool.submit(lambda: tracer.current_span()).result()
        if child_parent is parent:
            tracer.trace("carried").finish()
    """,
)
