"""span_2tags: one root span with two tags (a str and an int), started and finished.

Reports CPU (all threads, final flush included) and calling-thread wall time per span.
"""
from _harness import emit
from _harness import parse_args
from _harness import run_per_op

from ddtrace.trace import tracer


def batch(n):
    for _ in range(n):
        with tracer.trace("bench.request", resource="GET /bench") as span:
            span.set_tag("component", "bench")
            span.set_tag("http.retries", 3)


if __name__ == "__main__":
    emit(run_per_op(batch, parse_args(), spans_per_op=1))
