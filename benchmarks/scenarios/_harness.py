"""Shared timing loop of the per-operation scenarios (span_2tags, trace_10, wrap).

A scenario script runs in a fresh interpreter of one venv (ours or PyPI's); it only
uses API both packages share. It prints one JSON line on stdout, the last line of its
output, which ``benchmarks/run.py`` parses.

What is timed is what the application pays: ``time.process_time()`` (every thread of
the process, so the tracer's writer thread - Python or native - is included) from the
first operation until ``tracer.flush()`` returned, which makes both tracers encode and
send what they buffered inside the timed region. Wall-clock time of the calling thread
over the operations alone (without the flushes) is reported as a second figure.

A tight loop makes spans far faster than any application does, faster than a writer
thread that shares the GIL can send them: its queue would overflow and the dropped
traces would never be encoded, making the tracer that drops most look cheapest. So
the loop also calls ``tracer.flush()`` after every ``--flush-every`` spans (default
10,000, well under either tracer's default queue), the same for both tracers: every
span is encoded and sent inside the timed region, as when the writer keeps up.
``--flush-every 0`` flushes only once, at the end.
"""
import argparse
import gc
import json
import sys
import time


def parse_args(argv=None, **defaults):
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=defaults.get("seconds", 1.0), help="timed region length")
    parser.add_argument("--warmup", type=float, default=defaults.get("warmup", 0.3), help="warm-up length")
    parser.add_argument(
        "--flush-every", type=int, default=defaults.get("flush_every", 10000), help="spans between flushes (0: at the end only)"
    )
    return parser.parse_args(argv)


def emit(result):
    import ddtrace

    result.setdefault("ddtrace_version", getattr(ddtrace, "__version__", "?"))
    result.setdefault("python", sys.version.split()[0])
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


def calibrate(batch, warmup_s, flush, chunk):
    """Warm up: run ``batch`` then ``flush()`` in growing batches, for at least
    ``warmup_s`` seconds and until a batch of ``chunk`` ops (capped at 65,536) ran.

    Returns the CPU seconds per operation of that last, full-size batch (its flush
    included) and the number of ops run in all.
    """
    full = min(chunk, 1 << 16)
    n = min(64, full)
    ops = 0
    deadline = time.perf_counter() + warmup_s
    while True:
        c0 = time.process_time()
        batch(n)
        flush()
        spent = time.process_time() - c0
        ops += n
        if n >= full and time.perf_counter() >= deadline:
            break
        n = min(n * 2, full)
    return max(spent / n, 1e-9), ops


def measure(batch, flush, n, chunk):
    """CPU time of ``batch(n)`` run in chunks of ``chunk`` ops, each followed by ``flush()``,
    and wall time of the calling thread outside the flushes."""
    gc.collect()
    clock = time.perf_counter
    in_flush = 0.0
    c0 = time.process_time()
    w0 = clock()
    done = 0
    while done < n:
        k = min(chunk, n - done)
        batch(k)
        done += k
        f0 = clock()
        flush()
        in_flush += clock() - f0
    w1 = clock()
    c1 = time.process_time()
    return {"ops": n, "cpu_s": c1 - c0, "wall_s": w1 - w0 - in_flush, "flush_wall_s": in_flush}


def run_per_op(batch, args, spans_per_op=1, baseline=None):
    """Time ``batch`` per operation, optionally minus ``baseline`` (same n, no flush).

    Returns the dict printed by ``emit``: ``cpu_ns`` and ``wall_ns`` per operation, and
    ``spans_created`` (warm-up included) to compare with what the sink received.
    """
    from ddtrace.trace import tracer

    flush = tracer.flush
    chunk = max(1, args.flush_every // spans_per_op) if args.flush_every > 0 else 1 << 62
    per_op, warm_ops = calibrate(batch, args.warmup, flush, chunk)
    n = max(1000, int(args.seconds / per_op))
    chunk = min(chunk, n)
    if baseline is not None:
        # Warm the baseline too, then time it just before the real thing.
        baseline(min(n, 10000))
        b = measure(baseline, lambda: None, n, chunk)
    r = measure(batch, flush, n, chunk)
    out = {
        "ops": n,
        "cpu_ns": r["cpu_s"] / n * 1e9,
        "wall_ns": r["wall_s"] / n * 1e9,
        "cpu_s": r["cpu_s"],
        "wall_s": r["wall_s"],
        "flush_wall_s": r["flush_wall_s"],
        "flush_every_ops": chunk,
        "spans_created": (warm_ops + n) * spans_per_op,
    }
    if baseline is not None:
        out["baseline_cpu_ns"] = b["cpu_s"] / n * 1e9
        out["baseline_wall_ns"] = b["wall_s"] / n * 1e9
        out["cpu_ns"] -= out["baseline_cpu_ns"]
        out["wall_ns"] -= out["baseline_wall_ns"]
    return out
