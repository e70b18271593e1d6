"""rss_100k: resident memory growth from finished spans while the agent is unreachable.

DD_TRACE_AGENT_URL points at a closed port (set by run.py), so every payload fails to
send and the tracer has to drop it: growth shows whether its buffers are bounded.
The baseline is taken after a first trace (so lazily started threads and lazily
imported modules are in it). RSS is read from /proc/self/statm after gc.collect() and
a pause longer than the writers' flush interval. Reported: growth after 100k spans
(10k traces of 10), and after 300k more.
"""
import argparse
import gc
import os
import time

from _harness import emit

from ddtrace.trace import tracer

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def settle(pause):
    gc.collect()
    time.sleep(pause)
    gc.collect()
    return rss_bytes()


def traces(n):
    for _ in range(n):
        with tracer.trace("bench.request", resource="GET /bench") as root:
            root.set_tag("component", "bench")
            for _ in range(9):
                with tracer.trace("bench.step") as span:
                    span.set_tag("step.kind", "io")
                    span.set_tag("step.bytes", 512)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pause", type=float, default=2.0)
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--more", type=int, default=300_000)
    args = parser.parse_args()
    traces(10)
    base = settle(args.pause)
    traces(args.spans // 10)
    after_first = settle(args.pause)
    traces(args.more // 10)
    after_more = settle(args.pause)
    emit(
        {
            "rss_base_kb": base // 1024,
            "growth_kb": (after_first - base) // 1024,
            "growth_more_kb": (after_more - base) // 1024,
            "spans": args.spans,
            "more": args.more,
            "spans_created": 100 + args.spans + args.more,
        }
    )


if __name__ == "__main__":
    main()
