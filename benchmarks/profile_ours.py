"""Where our tracer's time goes in span_2tags and trace_10 (ours only, no PyPI).

Usage (repository root)::

    .venv/bin/python benchmarks/profile_ours.py                 # variants table
    .venv/bin/python benchmarks/profile_ours.py --perf          # + perf breakdown by thread
    .venv/bin/python benchmarks/profile_ours.py -s trace_10 --seconds 2

Every variant is the benchmark loop of ``benchmarks/scenarios/<scenario>.py`` run in a
fresh process, with one thing changed, so differences between rows price one part:

- ``agent``: as benchmarked (AgentWriter sending to the local sink, cyclic GC on);
- ``agent_nogc``: the same with ``gc.disable()``: the difference is the cyclic GC;
- ``null``: ``NullWriter``: no queueing, encoding or sending; sampling and trace-level
  tags still run;
- ``null_nogc``;
- ``disabled``: ``tracer.enabled = False``: spans start and finish, but the finished
  trace is not processed at all (no sampler, tags or writer): ``null - disabled``
  prices the per-trace processing in the aggregator;
- span_2tags only: ``bare`` (``trace()`` + ``finish()``, no tags, no ``with``, NullWriter)
  and ``with`` (the same through the context manager).

``--perf`` records the ``agent`` variant with ``perf record --call-graph dwarf`` and
splits the samples by thread (main vs writer) and by kind of work (cyclic GC, span core,
encoder, interpreter, allocation, dict work, kernel), then gives the inclusive share of
the main steps (span start, finish, per-trace processing, sampling, ContextVar, GC...)
and the direct callees of the hottest compiled functions. CPython's own frames are
named; Python functions (the writer, the sampler) appear as interpreter frames, which
is why the per-step timings above complement it.
"""
import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

VARIANTS = {
    "span_2tags": ["agent", "agent_nogc", "null", "null_nogc", "disabled", "bare", "with"],
    "trace_10": ["agent", "agent_nogc", "null", "null_nogc", "disabled"],
}


# ------------------------------------------------------------------ child


def child(scenario, variant, seconds, warmup, flush_every):
    sys.path.insert(0, os.path.join(HERE, "scenarios"))
    from _harness import emit
    from _harness import run_per_op

    from ddtrace.trace import tracer

    module = __import__(scenario)
    batch = module.batch
    spans_per_op = 1 + getattr(module, "CHILDREN", 0)
    if variant.startswith("null") or variant in ("bare", "with"):
        from ddtrace.internal.writer import NullWriter

        tracer.configure(writer=NullWriter())
    if variant == "disabled":
        tracer.enabled = False
    if variant.endswith("_nogc"):
        gc.disable()
    if variant == "bare":

        def batch(n):
            for _ in range(n):
                span = tracer.trace("bench.request", resource="GET /bench")
                span.finish()

    elif variant == "with":

        def batch(n):
            for _ in range(n):
                with tracer.trace("bench.request", resource="GET /bench"):
                    pass

    args = argparse.Namespace(seconds=seconds, warmup=warmup, flush_every=flush_every)
    result = run_per_op(batch, args, spans_per_op=spans_per_op)
    writer = tracer._aggregator.writer
    if hasattr(writer, "stats"):
        result["writer"] = writer.stats()
    result["variant"] = variant
    emit(result)


def parts(scenario, agent_url):
    """CPU per trace of the writer-side steps, each timed alone on ready-made traces."""
    import time

    sys.path.insert(0, os.path.join(HERE, "scenarios"))
    from _harness import emit

    from ddtrace.internal.encoding import create_encoder
    from ddtrace.internal.writer import AgentWriter
    from ddtrace.internal.writer import InMemoryWriter
    from ddtrace.trace import tracer

    module = __import__(scenario)
    spans_per_trace = 1 + getattr(module, "CHILDREN", 0)
    k = 5000 // spans_per_trace  # under the writer's wake-up threshold: its thread stays idle
    mem = InMemoryWriter()
    tracer.configure(writer=mem)
    module.batch(k)
    traces = mem.pop_traces()
    cpu = time.process_time
    out = {"traces": len(traces), "spans_per_trace": spans_per_trace}

    def per_trace(fn, repeat=20):
        best = None
        for _ in range(repeat):
            t0 = cpu()
            fn()
            t = cpu() - t0
            best = t if best is None else min(best, t)
        return best / len(traces) * 1e6

    sampler = tracer._sampler
    roots = [t[0]._local_root for t in traces]

    def sample():
        for r in roots:
            sampler.sample(r)

    out["sampler.sample"] = per_trace(sample)

    w = AgentWriter(agent_url=agent_url)
    write = w.write

    def writes():
        for t in traces:
            write(t)
        w._queue = []
        w._queued_spans = 0

    out["AgentWriter.write"] = per_trace(writes)

    def puts():
        enc = create_encoder("v0.5", 20 << 20, 20 << 20)
        for t in traces:
            enc.put(t)

    out["encoder.put"] = per_trace(puts)
    enc = create_encoder("v0.5", 20 << 20, 20 << 20)

    def put_encode():
        for t in traces:
            enc.put(t)
        enc.encode()

    out["encoder.put+encode"] = per_trace(put_encode)

    def writer_put():
        enc = create_encoder("v0.5", 20 << 20, 20 << 20)
        for t in traces:
            w._put(enc, t)

    out["AgentWriter._put"] = per_trace(writer_put)

    def write_flush():
        for t in traces:
            write(t)
        w.flush_queue()

    out["write+flush_queue (all)"] = per_trace(write_flush)
    w.stop()
    emit(out)


# ------------------------------------------------------------------ perf


# Inlined helpers that say nothing about what the code was doing: skipped when
# choosing the frame a sample is classified by.
TRIVIAL_LEAVES = frozenset((
    "Py_DECREF", "Py_XDECREF", "Py_INCREF", "Py_XINCREF", "Py_TYPE", "Py_IS_TYPE", "_Py_NewReference",
    "_PyType_HasFeature", "PyType_HasFeature", "_PyInterpreterState_GET", "_PyRuntimeState_GetThreadState",
    "_PyThreadState_GET", "_Py_IsImmortal", "_PyType_PreHeaderSize", "__Pyx_NewRef",
))

BUCKETS = [
    ("kernel", lambda dso, sym: sym.startswith("[k]")),
    ("clocks", lambda dso, sym: "clock_gettime" in sym),
    ("ContextVar (hamt)", lambda dso, sym: "hamt" in sym or "contextvar" in sym.lower()),
    ("cyclic GC", lambda dso, sym: sym.startswith(("gc_", "visit_", "subtract_refs", "update_refs", "move_", "deduce_", "_PyGC_", "collect"))
     or sym.endswith("_traverse") or "tp_traverse" in sym),
    ("span core (_span.so)", lambda dso, sym: dso.startswith("_span")),
    ("encoder (_encoding.so)", lambda dso, sym: dso.startswith("_encoding")),
    ("interpreter (Python code)", lambda dso, sym: sym.startswith(("_PyEval", "_PyFrame", "_PyEvalFrame", "PyEval", "_PyFunction", "_PyObject_Vectorcall", "_PyObject_MakeTpCall", "method_vectorcall", "cfunction_", "slot_tp", "_PyObject_GetMethod", "_PyObject_GenericGetAttr", "PyObject_GenericGetAttr", "_PyType_Lookup", "module_getattro", "PyObject_VectorcallMethod", "_PyCode", "PyObject_Call"))),
    ("alloc / free", lambda dso, sym: "alloc" in sym.lower() or "free" in sym.lower() or "dealloc" in sym or "arena" in sym
     or sym.startswith(("_PyObject_GC_", "PyObject_GC_", "_PyObject_IS_GC", "_int_", "malloc", "cfree", "__libc_", "__memset"))),
    ("dict work", lambda dso, sym: "dict" in sym.lower() or "keys" in sym),
    ("strings / formatting", lambda dso, sym: "unicode" in sym.lower() or "Unicode" in sym or "FromFormat" in sym or "memmove" in sym or "memcpy" in sym),
]


def bucket_of(dso, sym):
    for name, test in BUCKETS:
        if test(dso, sym):
            return name
    return "other"


# Frames whose inclusive share is reported (regular expressions on perf's symbol names;
# Cython's mangled names carry counters that change as _span.pyx changes).
KEY_FRAMES = [
    ("tracer.trace() (span start)", r"TracerCore_\d*trace$"),
    ("  _start", r"_span__start$"),
    ("  _new_trace", r"_span__new_trace$"),
    ("span finish (finish())", r"Span_finish$"),
    ("  SpanAggregator._flush (per trace)", r"SpanAggregator__flush$"),
    ("    SpanAggregator.sample", r"SpanAggregator_sample$"),
    ("set_tag", r"Span_set_tag$"),
    ("ContextVar.set", r"^PyContextVar_Set$"),
    ("encoder (_encoding.so)", r"_encoding_"),
    ("cyclic GC", r"^gc_collect_main$"),
    ("clock_gettime", r"clock_gettime"),
    ("socket send / recv", r"^sock_(sendall|recv)"),
]
CALLEES_OF = [r"SpanAggregator__flush$", r"_span__start$", r"Span_finish$"]


def _perf_samples(path):
    """(tid, [frames, leaf first]) for each sample of ``perf script -F tid,ip,sym``."""
    tid, frames = None, []
    with open(path, errors="replace") as f:
        for line in f:
            if not line.strip():
                if tid is not None:
                    yield tid, frames
                tid, frames = None, []
            elif line.startswith("\t"):  # a frame: "\t<ip> <symbol>"
                parts = line.strip().split(None, 1)
                if len(parts) == 2:
                    sym = parts[1].replace(" (inlined)", "")
                    frames.append("[k]" + sym if parts[0].startswith("ffffffff") else sym)
            else:  # a sample's header: its tid
                tid = line.split()[0]
    if tid is not None:
        yield tid, frames


def perf_profile(cmd, env, out_prefix):
    import re

    if shutil.which("perf") is None:
        print("perf not found; skipping the perf breakdown")
        return
    data = out_prefix + ".perf.data"
    rec = subprocess.run(
        ["perf", "record", "-q", "-F", "999", "--call-graph", "dwarf,16384", "-o", data, "--"] + cmd,
        cwd=tempfile.gettempdir(), env=env, capture_output=True, text=True,
    )
    if rec.returncode != 0:
        print("perf record failed: %s" % rec.stderr.strip()[-400:])
        return
    script = out_prefix + ".perf.txt"
    with open(script, "w") as f:
        subprocess.run(["perf", "script", "-i", data, "-F", "tid,ip,sym"], stdout=f, stderr=subprocess.DEVNULL)
    samples = [s for s in _perf_samples(script) if s[1]]
    if not samples:
        print("perf recorded nothing usable")
        return
    n = float(len(samples))
    main_tid = min((tid for tid, _ in samples), key=int)
    name = lambda tid: "main" if tid == main_tid else "other threads"  # noqa: E731
    threads, buckets = {}, {}
    for tid, frames in samples:
        t = name(tid)
        threads[t] = threads.get(t, 0) + 1
        leaf = next((f for f in frames if f not in TRIVIAL_LEAVES), frames[0])
        dso = "_span" if "_span_" in leaf else "_encoding" if "_encoding_" in leaf else ""
        key = (t, bucket_of(dso, leaf))
        buckets[key] = buckets.get(key, 0) + 1
    print("\nperf (%d samples): share of the process's CPU, by thread and kind of work (leaf frame)" % n)
    for t, c in sorted(threads.items(), key=lambda kv: -kv[1]):
        print("  %-14s %5.1f%%" % (t, 100 * c / n))
        for (tn, b), c2 in sorted(buckets.items(), key=lambda kv: -kv[1]):
            if tn == t and 100 * c2 / n >= 0.5:
                print("      %-28s %5.1f%%" % (b, 100 * c2 / n))
    print("\ninclusive share of the process's CPU (the frame or anything it calls):")
    for label, pattern in KEY_FRAMES:
        rx = re.compile(pattern)
        hits = sum(1 for _, frames in samples if any(rx.search(f) for f in frames))
        print("  %-38s %5.1f%%" % (label, 100 * hits / n))
    for pattern in CALLEES_OF:
        rx = re.compile(pattern)
        callees = {}
        total = 0
        for _, frames in samples:
            idx = [i for i, f in enumerate(frames) if rx.search(f)]
            if not idx:
                continue
            i = max(idx)  # the outermost call
            total += 1
            callee = "(own code)" if i == 0 else frames[i - 1]
            callees[callee] = callees.get(callee, 0) + 1
        if not total:
            continue
        print("\n  %s: %.1f%%, by direct callee:" % (pattern.rstrip("$"), 100 * total / n))
        for callee, c in sorted(callees.items(), key=lambda kv: -kv[1])[:8]:
            print("      %5.1f%%  %s" % (100 * c / n, callee[:90]))
    print("(perf data: %s)" % data)


# ------------------------------------------------------------------ main


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", "-s", action="append", help="span_2tags and/or trace_10 (default both)")
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--warmup", type=float, default=0.3)
    parser.add_argument("--flush-every", type=int, default=10000, help="spans between flushes, as in the benchmark")
    parser.add_argument("--perf", action="store_true", help="also record the agent variant with perf")
    parser.add_argument("--child", nargs=2, metavar=("SCENARIO", "VARIANT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child and args.child[1] == "parts":
        parts(args.child[0], os.environ.get("DD_TRACE_AGENT_URL"))
        return 0
    if args.child:
        child(args.child[0], args.child[1], args.seconds, args.warmup, args.flush_every)
        return 0

    import run

    scenarios = [n.strip() for s in (args.scenario or ["span_2tags,trace_10"]) for n in s.split(",") if n.strip()]
    python = run.OURS_PYTHON
    sink = run.Sink()
    try:
        env = run.clean_env(dict(run.BENCH_ENV, DD_TRACE_AGENT_URL=sink.url))
        for scenario in scenarios:
            print("\n%s (ours): CPU of all threads per op incl. final flush; wall of the calling thread" % scenario)
            print("  %-11s %9s %9s  %s" % ("variant", "cpu us", "wall us", "writer"))
            for variant in VARIANTS[scenario]:
                cmd = [python, os.path.abspath(__file__), "--child", scenario, variant,
                       "--seconds", str(args.seconds), "--warmup", str(args.warmup),
                       "--flush-every", str(args.flush_every)]
                r = run.run_json(cmd, env)
                if "error" in r:
                    print("  %-11s ERROR %s %s" % (variant, r["error"], r.get("stderr", "")))
                    continue
                w = r.get("writer") or {}
                wtxt = ""
                if w:
                    wtxt = "sent %s traces, dropped %s" % (w.get("sent_traces"), w.get("dropped_spans") or {})
                print("  %-11s %9.3f %9.3f  %s" % (variant, r["cpu_ns"] / 1e3, r["wall_ns"] / 1e3, wtxt))
            cmd = [python, os.path.abspath(__file__), "--child", scenario, "parts"]
            r = run.run_json(cmd, env)
            if "error" in r:
                print("  parts: ERROR %s %s" % (r["error"], r.get("stderr", "")))
            else:
                print("  per trace of %d span(s), each step alone (CPU us, best of 20 x %d traces):"
                      % (r.pop("spans_per_trace"), r.pop("traces")))
                for key, value in r.items():
                    if isinstance(value, float):
                        print("    %-26s %7.3f" % (key, value))
            if args.perf:
                cmd = [python, os.path.abspath(__file__), "--child", scenario, "agent",
                       "--seconds", str(max(args.seconds, 2.0)), "--warmup", str(args.warmup),
                       "--flush-every", str(args.flush_every)]
                perf_profile(cmd, env, os.path.join(tempfile.gettempdir(), "ddtrace-profile-%s" % scenario))
    finally:
        sink.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
