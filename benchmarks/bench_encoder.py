"""Trace encoder throughput: ours against the PyPI ``ddtrace`` release.

Encodes traces of 10 finished spans (a few string tags and metrics each, trace-level
tags on the root) into one encoder, emptying it every 100 traces, and prints one JSON
line ``{"impl": ..., "version": ..., "spans_per_s": ...}`` (the best of several rounds)::

    python benchmarks/bench_encoder.py --impl ours --version v0.5
    python benchmarks/bench_encoder.py --impl pypi --version v0.4   # runs in the PyPI venv
    python benchmarks/bench_encoder.py --compare                    # both, and the ratio

``--impl pypi`` re-runs this script with ``$BENCH_PYPI_PYTHON`` (default
``/tmp/pypi-dd/bin/python``), an interpreter that has the PyPI release installed.
``run(impl, version)`` does the same from Python and returns the parsed dict.
"""
import argparse
import json
import os
import subprocess
import sys
import time

PYPI_PYTHON = os.environ.get("BENCH_PYPI_PYTHON", "/tmp/pypi-dd/bin/python")
SPANS_PER_TRACE = 10
TRACES_PER_PAYLOAD = 100


def _make_trace(Span, i):
    trace_id = (0x6650A2D1 << 96) | (0x1234567 + i)
    root = Span("django.request", service="web-frontend", resource="GET /users/<id>", span_type="web",
                trace_id=trace_id, span_id=1000 + i * 16)
    spans = [root]
    for j in range(1, SPANS_PER_TRACE):
        s = Span("postgres.query" if j % 2 else "redis.command", service="users-db" if j % 2 else "cache",
                 resource="SELECT * FROM users WHERE id = %s" if j % 2 else "GET",
                 span_type="sql" if j % 2 else "redis",
                 trace_id=trace_id, span_id=1000 + i * 16 + j, parent_id=root.span_id)
        spans.append(s)
    for j, s in enumerate(spans):
        s.set_tag("component", "psycopg" if j % 2 else "django")
        s.set_tag("span.kind", "client")
        s.set_tag("db.system", "postgresql")
        s.set_metric("db.row_count", j)
        s.set_metric("_dd.measured", 1)
    root.set_tag("http.method", "GET")
    root.set_tag("http.url", "http://example.com/users/%d" % i)
    root.set_tag("language", "python")
    root.set_tag("runtime-id", "8b8a6c2e-5a3c-4a6c-9d2b-0d6d3a1f0c11")
    root.set_tag("_dd.p.dm", "-0")
    root.set_tag("_dd.p.tid", "6650a2d100000000")
    root.set_metric("_sampling_priority_v1", 1)
    root.set_metric("process_id", 4242)
    root.set_metric("_dd.top_level", 1)
    for s in spans:
        s.finish()
    return spans


def _ours(version):
    from ddtrace.internal.encoding import ENCODER_IMPLEMENTATION
    from ddtrace.internal.encoding import create_encoder
    from ddtrace.trace import Span

    enc = create_encoder(version)
    return Span, enc.put, enc.encode, ENCODER_IMPLEMENTATION


def _pypi(version):
    from ddtrace.internal import _encoding
    from ddtrace.trace import Span

    cls = _encoding.MsgpackEncoderV04 if version == "v0.4" else _encoding.MsgpackEncoderV05
    enc = cls(20 << 20, 20 << 20)
    return Span, enc.put, enc.encode, "pypi"


def measure(impl, version, rounds=7, min_time=0.2):
    """Spans per second encoded by ``impl`` ("ours" or "pypi", in this interpreter)."""
    Span, put, encode, label = (_ours if impl == "ours" else _pypi)(version)
    traces = [_make_trace(Span, i) for i in range(TRACES_PER_PAYLOAD)]
    best = 0.0
    for _ in range(rounds):
        n = 0
        t0 = time.perf_counter()
        while True:
            for t in traces:
                put(t)
            encode()
            n += TRACES_PER_PAYLOAD * SPANS_PER_TRACE
            elapsed = time.perf_counter() - t0
            if elapsed >= min_time:
                break
        best = max(best, n / elapsed)
    return {"impl": impl, "version": version, "implementation": label, "spans_per_s": round(best)}


def run(impl, version):
    """Measure ``impl`` in the right interpreter (PyPI's runs in ``BENCH_PYPI_PYTHON``)."""
    if impl == "pypi" and not _has_pypi_ddtrace():
        out = subprocess.run(
            [PYPI_PYTHON, os.path.abspath(__file__), "--impl", "pypi", "--version", version],
            check=True, capture_output=True, text=True, cwd="/",
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        ).stdout
        return json.loads(out.strip().splitlines()[-1])
    return measure(impl, version)


def _has_pypi_ddtrace():
    try:
        from ddtrace.internal import _encoding

        return hasattr(_encoding, "MsgpackStringTable")
    except Exception:
        return False


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--impl", choices=("ours", "pypi"), default="ours")
    parser.add_argument("--version", choices=("v0.4", "v0.5"), default="v0.5")
    parser.add_argument("--compare", action="store_true", help="run both and print the ratio")
    args = parser.parse_args(argv)
    if args.compare:
        for version in ("v0.4", "v0.5"):
            ours = run("ours", version)
            pypi = run("pypi", version)
            ratio = ours["spans_per_s"] / pypi["spans_per_s"]
            print(json.dumps({"version": version, "ours": ours["spans_per_s"], "pypi": pypi["spans_per_s"],
                              "ratio": round(ratio, 2)}))
        return
    print(json.dumps(run(args.impl, args.version)))


if __name__ == "__main__":
    main()
