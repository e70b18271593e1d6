"""trace_10: one trace of a root span and nine children (sequential, each finished before
the next starts), per whole trace.

Reports CPU (all threads, final flush included) and calling-thread wall time per trace.
"""
from _harness import emit
from _harness import parse_args
from _harness import run_per_op

from ddtrace.trace import tracer

CHILDREN = 9


def batch(n):
    children = range(CHILDREN)
    for _ in range(n):
        with tracer.trace("bench.request", resource="GET /bench"):
            for _ in children:
                with tracer.trace("bench.step"):
                    pass


if __name__ == "__main__":
    emit(run_per_op(batch, parse_args(), spans_per_op=1 + CHILDREN))
