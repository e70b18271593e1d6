"""wrap: what ``@tracer.wrap()`` adds to a call.

The same trivial function is called n times undecorated, then n times decorated; the
reported cost per call is the difference (CPU of all threads with the final flush, and
wall time of the calling thread).
"""
from _harness import emit
from _harness import parse_args
from _harness import run_per_op

from ddtrace.trace import tracer


def work(a, b=1):
    return a + b


traced_work = tracer.wrap()(work)


def plain_batch(n):
    for i in range(n):
        work(i, b=2)


def traced_batch(n):
    for i in range(n):
        traced_work(i, b=2)


if __name__ == "__main__":
    emit(run_per_op(traced_batch, parse_args(), spans_per_op=1, baseline=plain_batch))
