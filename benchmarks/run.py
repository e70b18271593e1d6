"""Side-by-side benchmarks: our ddtrace against the PyPI release, as ratios.

Usage (from the repository root; ``make bench`` does the first)::

    .venv/bin/python benchmarks/run.py                      # everything
    .venv/bin/python benchmarks/run.py --quick              # shorter runs, fewer repetitions
    .venv/bin/python benchmarks/run.py --scenario span_2tags --scenario wrap
    .venv/bin/python benchmarks/run.py --impl ours          # only our side, no ratios

Our side runs in the development venv (``.venv``, editable install); the PyPI side in
``benchmarks/.venvs/pypi``, created here on first use with ``ddtrace==<PYPI_VERSION>``.
Every measurement is a fresh interpreter of one venv, started from a neutral working
directory; the two sides alternate (ours, pypi, ours, pypi, ...) and the median of the
repetitions is reported. See benchmarks/README.md for what each scenario measures.

The table goes to stdout; the details (every sample, the machine, the versions) to
``benchmarks/results/latest.json``.
"""
import argparse
import datetime
import glob
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SCENARIO_DIR = os.path.join(HERE, "scenarios")
ENCODER_SCRIPT = os.path.join(HERE, "bench_encoder.py")
PYPI_VERSION = "4.16.0"
PYPI_VENV = os.path.join(HERE, ".venvs", "pypi")
BARE_VENV = os.path.join(HERE, ".venvs", "bare")
OURS_PYTHON = os.path.join(REPO, ".venv", "bin", "python")
RESULTS = os.path.join(HERE, "results", "latest.json")
IMPLS = ("ours", "pypi")

# Both tracers get the same job: send to the local sink, no extra products or
# background features (several of these exist only in the PyPI release).
BENCH_ENV = {
    "DD_SERVICE": "bench",
    "DD_TRACE_API_VERSION": "v0.5",
    "DD_TRACE_STARTUP_LOGS": "false",
    "DD_INSTRUMENTATION_TELEMETRY_ENABLED": "false",
    "DD_TELEMETRY_DEPENDENCY_COLLECTION_ENABLED": "false",
    "DD_REMOTE_CONFIGURATION_ENABLED": "false",
    "DD_TRACE_STATS_COMPUTATION_ENABLED": "false",
    "DD_DATA_STREAMS_ENABLED": "false",
    "DD_PROFILING_ENABLED": "false",
    "DD_APPSEC_ENABLED": "false",
    "DD_IAST_ENABLED": "false",
    "DD_LLMOBS_ENABLED": "false",
    "DD_CRASHTRACKING_ENABLED": "false",
    "DD_DYNAMIC_INSTRUMENTATION_ENABLED": "false",
    "DD_EXCEPTION_REPLAY_ENABLED": "false",
    "DD_CODE_ORIGIN_FOR_SPANS_ENABLED": "false",
    "DD_TRACE_HEALTH_METRICS_ENABLED": "false",
}

# (full, quick) repetitions per side of the framework scenarios.
WEB_REPS = (9, 3)

# name -> how it is run, what is reported, and the budget (ARCHITECTURE.md).
SCENARIOS = {
    "span_2tags": {"kind": "per_op", "script": "span_2tags.py", "unit": "us/span", "max_ratio": 0.10},
    "trace_10": {"kind": "per_op", "script": "trace_10.py", "unit": "us/trace", "max_ratio": 0.10},
    "wrap": {"kind": "per_op", "script": "wrap.py", "unit": "us/call", "max_ratio": 0.10},
    "import": {"kind": "import", "unit": "ms", "max_ratio": 0.10},
    "encoder_v04": {"kind": "encoder", "version": "v0.4", "unit": "kspans/s", "min_ratio": 4.0},
    "encoder_v05": {"kind": "encoder", "version": "v0.5", "unit": "kspans/s", "min_ratio": 4.0},
    "rss_100k": {"kind": "rss", "script": "rss_100k.py", "unit": "MiB", "max_ratio": 0.25},
    # Framework scenarios: µs added per request; "packages" (module: requirement) are
    # installed into either venv when missing. Each figure is the difference of two
    # processes (traced, untraced), so these get more repetitions (WEB_REPS).
    "django_trivial": {"kind": "per_op", "script": "django_request.py", "args": ["--view", "trivial"],
                       "packages": {"django": "django==5.2.*"}, "unit": "us/req", "max_ratio": 0.15, "reps": WEB_REPS},
    "django_db": {"kind": "per_op", "script": "django_request.py", "args": ["--view", "db"],
                  "packages": {"django": "django==5.2.*"}, "unit": "us/req", "max_ratio": 0.15, "reps": WEB_REPS},
    "flask_trivial": {"kind": "per_op", "script": "flask_request.py", "args": ["--route", "trivial"],
                      "packages": {"flask": "flask==3.1.*"}, "unit": "us/req", "max_ratio": 0.15, "reps": WEB_REPS},
    "flask_sqlite": {"kind": "per_op", "script": "flask_request.py", "args": ["--route", "sqlite"],
                     "packages": {"flask": "flask==3.1.*"}, "unit": "us/req", "max_ratio": 0.15, "reps": WEB_REPS},
}

# (full, quick) settings.
PER_OP = {"reps": (5, 3), "seconds": (1.0, 0.3), "warmup": (0.3, 0.1)}
IMPORT_RUNS = (21, 15)
ENCODER_REPS = (3, 1)
RSS = {"reps": (3, 1), "pause": (2.0, 1.2)}
PROCESS_TIMEOUT = 600
# A side whose samples spread more than this (relative) is flagged "noisy" in the table.
NOISY = 0.10


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


# ------------------------------------------------------------------ environments


def _probe_version(python):
    try:
        out = subprocess.run(
            [python, "-c", "import ddtrace; print(ddtrace.__version__)"],
            cwd=tempfile.gettempdir(),
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def base_interpreter(python):
    """The interpreter a venv was made from (so both sides run the same CPython)."""
    out = subprocess.run(
        [python, "-c", "import sys; print(getattr(sys, '_base_executable', sys.executable))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def ensure_pypi_venv(ours_python):
    """Create benchmarks/.venvs/pypi with ddtrace==PYPI_VERSION unless it is already there."""
    python = os.path.join(PYPI_VENV, "bin", "python")
    if os.path.exists(python) and _probe_version(python) == PYPI_VERSION:
        return python
    log("creating %s with ddtrace==%s ..." % (PYPI_VENV, PYPI_VERSION))
    if os.path.exists(PYPI_VENV):
        shutil.rmtree(PYPI_VENV)
    subprocess.run([base_interpreter(ours_python), "-m", "venv", PYPI_VENV], check=True)
    pip = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    done = subprocess.run(pip + ["ddtrace==%s" % PYPI_VERSION], cwd=tempfile.gettempdir())
    if done.returncode != 0:
        # Offline fallback: a wheel of the same release left in /tmp by an earlier download.
        wheels = glob.glob("/tmp/x/ddtrace-%s-*.whl" % PYPI_VERSION)
        if not wheels:
            raise SystemExit("could not install ddtrace==%s into %s" % (PYPI_VERSION, PYPI_VENV))
        subprocess.run(pip + [wheels[0]], cwd=tempfile.gettempdir(), check=True)
    version = _probe_version(python)
    if version != PYPI_VERSION:
        raise SystemExit("%s imports ddtrace %r, expected %s" % (PYPI_VENV, version, PYPI_VERSION))
    return python


def clean_env(extra=None):
    """The caller's environment without anything that would change what gets imported or configured."""
    # PYTHON* goes too: PYTHONDONTWRITEBYTECODE, say, would make every run recompile
    # the modules edited since their .pyc was written, and time that.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DD_", "_DD_", "OTEL_", "PYTHON"))}
    if extra:
        env.update(extra)
    return env


def closed_port():
    """A local port nothing listens on (connections are refused at once)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Sink:
    """The stand-in agent (benchmarks/sink.py), in a process of its own."""

    def __init__(self):
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "sink.py")],
            stdout=subprocess.PIPE,
            text=True,
            cwd=tempfile.gettempdir(),
            env=clean_env(),
        )
        line = self.proc.stdout.readline()
        try:
            self.port = json.loads(line)["port"]
        except (ValueError, KeyError):
            self.stop()
            raise SystemExit("the sink did not start: %r" % line)
        self.url = "http://127.0.0.1:%d" % self.port

    def stats(self):
        try:
            with urllib.request.urlopen(self.url + "/_sink/stats", timeout=5) as r:
                return json.loads(r.read())
        except Exception:
            return None

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


# ------------------------------------------------------------------ running one process


def run_json(cmd, env, timeout=PROCESS_TIMEOUT):
    """Run ``cmd`` from a neutral directory; return the last JSON object it printed (or an error dict)."""
    try:
        done = subprocess.run(
            cmd, cwd=tempfile.gettempdir(), env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"error": "timed out after %ss" % timeout}
    for line in reversed(done.stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                result = json.loads(line)
            except ValueError:
                continue
            if done.returncode != 0:
                result["exit_code"] = done.returncode
            return result
    tail = (done.stderr or done.stdout).strip().splitlines()[-8:]
    return {"error": "exit code %s, no result line" % done.returncode, "stderr": "\n".join(tail)}


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def spread(values):
    """Noise of the samples relative to their median: the interquartile range (from
    four samples on, so one disturbed run does not count), else max - min."""
    values = sorted(v for v in values if v is not None)
    if len(values) < 2:
        return None
    m = statistics.median(values)
    if not m:
        return None
    if len(values) >= 4:
        q = statistics.quantiles(values, n=4)
        return (q[2] - q[0]) / m
    return (values[-1] - values[0]) / m


# ------------------------------------------------------------------ scenario kinds


def ensure_packages(spec, pythons):
    """Install the scenario's ``packages`` into each side's venv that cannot import them
    (the same pinned requirement on both sides, so both trace the same framework)."""
    for module, requirement in spec.get("packages", {}).items():
        for python in pythons.values():
            probe = subprocess.run([python, "-c", "import " + module], cwd=tempfile.gettempdir(), capture_output=True)
            if probe.returncode == 0:
                continue
            log("installing %s for %s ..." % (requirement, python))
            subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", requirement],
                           cwd=tempfile.gettempdir(), check=True)


def bench_per_op(name, spec, pythons, env, sink, quick):
    q = 1 if quick else 0
    ensure_packages(spec, pythons)
    args = ["--seconds", str(PER_OP["seconds"][q]), "--warmup", str(PER_OP["warmup"][q])] + spec.get("args", [])
    script = os.path.join(SCENARIO_DIR, spec["script"])
    samples = {impl: [] for impl in pythons}
    for rep in range(spec.get("reps", PER_OP["reps"])[q]):
        for impl, python in pythons.items():
            before = sink.stats()
            r = run_json([python, script] + args, env)
            after = sink.stats()
            if before and after and "error" not in r:
                r["spans_received"] = after["spans"] - before["spans"]
                r["payloads_received"] = after["requests"] - before["requests"]
            samples[impl].append(r)
            log("  %s %s rep %d: %s" % (name, impl, rep + 1, _brief(r, "cpu_ns", 1e-3, "us")))
    sides = {}
    for impl, rs in samples.items():
        ok = [r for r in rs if "error" not in r]
        cpu = [r["cpu_ns"] / 1e3 for r in ok]
        wall = [r["wall_ns"] / 1e3 for r in ok]
        delivered = [r["spans_received"] / r["spans_created"] for r in ok if "spans_received" in r and r.get("spans_created")]
        sides[impl] = {
            "value": median(cpu),
            "wall": median(wall),
            "spread": spread(cpu),
            "delivered": median(delivered),
            "errors": [r for r in rs if "error" in r],
            "samples": rs,
        }
    return sides


def import_setups(pythons, ours_python):
    """How ``import ddtrace`` is timed for each side: (interpreter, extra environment, how).

    Our dev venv has an editable install whose start-up finder already imports pathlib,
    re, functools, collections... on every start, which would hide part of our import
    cost. So our side is timed in a bare venv (no packages) with the repository on
    PYTHONPATH, which loads like a regular install; the dev venv is used only if that
    cannot import ddtrace (say, a new third-party dependency at import time).
    """
    setups = {}
    if "ours" in pythons:
        bare = ensure_bare_venv(ours_python)
        extra = {"PYTHONPATH": REPO}
        probe = subprocess.run(
            [bare, "-c", "import ddtrace, sys; sys.stdout.write(ddtrace.__file__)"],
            cwd=tempfile.gettempdir(), env=clean_env(extra), capture_output=True, text=True,
        )
        if probe.returncode == 0 and probe.stdout.startswith(REPO):
            setups["ours"] = (bare, extra, "bare venv + PYTHONPATH=repo")
        else:
            log("  import ddtrace fails in a bare venv (%s); timing it in the dev venv instead"
                % (probe.stderr.strip().splitlines() or ["?"])[-1])
            setups["ours"] = (pythons["ours"], {}, "dev venv (editable install: optimistic)")
    if "pypi" in pythons:
        setups["pypi"] = (pythons["pypi"], {}, "pypi venv")
    return setups


def ensure_bare_venv(ours_python):
    python = os.path.join(BARE_VENV, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([base_interpreter(ours_python), "-m", "venv", "--without-pip", BARE_VENV], check=True)
    return python


def bench_import(name, spec, pythons, env, quick, ours_python):
    runs = IMPORT_RUNS[1 if quick else 0]
    setups = import_setups(pythons, ours_python)
    walls = {impl: {"pass": [], "import": []} for impl in setups}
    errors = {impl: [] for impl in setups}
    # The first round warms the page cache and writes any stale .pyc; it is not counted.
    for i in range(runs + 1):
        for impl, (python, extra, _) in setups.items():
            run_env = dict(env, **extra)
            for what, code in (("pass", "pass"), ("import", "import ddtrace")):
                t0 = time.perf_counter()
                done = subprocess.run([python, "-c", code], cwd=tempfile.gettempdir(), env=run_env, capture_output=True)
                t1 = time.perf_counter()
                if done.returncode != 0:
                    errors[impl].append(done.stderr.decode(errors="replace")[-500:])
                elif i:
                    walls[impl][what].append((t1 - t0) * 1e3)
    sides = {}
    for impl, (_, _, how) in setups.items():
        p, m = median(walls[impl]["pass"]), median(walls[impl]["import"])
        sides[impl] = {
            "value": None if p is None or m is None else m - p,
            "interpreter_ms": p,
            "how": how,
            "spread": spread(walls[impl]["import"]),
            "errors": errors[impl],
            "samples": walls[impl],
        }
        log("  import %s: %s ms (interpreter alone %s ms; %s)" % (impl, _fmt(sides[impl]["value"]), _fmt(p), how))
    return sides


def bench_encoder(name, spec, pythons, env, quick):
    if not os.path.exists(ENCODER_SCRIPT):
        return {impl: {"value": None, "skipped": "benchmarks/bench_encoder.py not present yet"} for impl in pythons}
    samples = {impl: [] for impl in pythons}
    enc_env = dict(env, BENCH_OURS_PYTHON=pythons.get("ours", ""), BENCH_PYPI_PYTHON=pythons.get("pypi", ""))
    for rep in range(ENCODER_REPS[1 if quick else 0]):
        for impl, python in pythons.items():
            # Each side runs the script with its own venv's interpreter.
            r = run_json([python, ENCODER_SCRIPT, "--impl", impl, "--version", spec["version"]], enc_env)
            samples[impl].append(r)
            log("  %s %s rep %d: %s" % (name, impl, rep + 1, _brief(r, "spans_per_s", 1e-3, "kspans/s")))
    sides = {}
    for impl, rs in samples.items():
        vals = [r["spans_per_s"] / 1e3 for r in rs if "error" not in r and "spans_per_s" in r]
        sides[impl] = {
            "value": median(vals),
            "spread": spread(vals),
            "errors": [r for r in rs if "error" in r or "spans_per_s" not in r],
            "samples": rs,
        }
    return sides


def bench_rss(name, spec, pythons, env, quick):
    q = 1 if quick else 0
    # The agent is unreachable for this one: payloads must be dropped, not kept.
    env = dict(env, DD_TRACE_AGENT_URL="http://127.0.0.1:%d" % closed_port())
    script = os.path.join(SCENARIO_DIR, spec["script"])
    samples = {impl: [] for impl in pythons}
    for rep in range(RSS["reps"][q]):
        for impl, python in pythons.items():
            r = run_json([python, script, "--pause", str(RSS["pause"][q])], env)
            samples[impl].append(r)
            log("  %s %s rep %d: %s" % (name, impl, rep + 1, _brief(r, "growth_kb", 1 / 1024, "MiB")))
    sides = {}
    for impl, rs in samples.items():
        ok = [r for r in rs if "error" not in r]
        sides[impl] = {
            "value": median([r["growth_kb"] / 1024 for r in ok]),
            "more": median([r["growth_more_kb"] / 1024 for r in ok]),
            "base": median([r["rss_base_kb"] / 1024 for r in ok]),
            "errors": [r for r in rs if "error" in r],
            "samples": rs,
        }
    return sides


def _brief(r, key, scale, unit):
    if "error" in r:
        return "ERROR %s %s" % (r["error"], r.get("stderr", ""))
    if key not in r:
        return "no %r in %s" % (key, r)
    return "%s %s" % (_fmt(r[key] * scale), unit)


def _fmt(v, digits=3):
    if v is None:
        return "-"
    if isinstance(v, float):
        if abs(v) >= 100:
            return "%.0f" % v
        return "%.*g" % (digits, v)
    return str(v)


# ------------------------------------------------------------------ report


def ratio(ours, pypi):
    if ours is None or pypi is None or pypi <= 0:
        return None
    return ours / pypi


def verdict(spec, r):
    if r is None:
        return "-"
    if "max_ratio" in spec:
        return "ok" if r <= spec["max_ratio"] else "OVER"
    return "ok" if r >= spec["min_ratio"] else "UNDER"


def summarize(name, spec, sides):
    ours, pypi = sides.get("ours", {}), sides.get("pypi", {})
    row = {
        "scenario": name,
        "unit": spec["unit"],
        "ours": ours.get("value"),
        "pypi": pypi.get("value"),
        "ratio": ratio(ours.get("value"), pypi.get("value")),
        "target": ("<= %g" % spec["max_ratio"]) if "max_ratio" in spec else (">= %g" % spec["min_ratio"]),
    }
    row["verdict"] = verdict(spec, row["ratio"])
    if spec["kind"] == "per_op":
        row["wall_ours"] = ours.get("wall")
        row["wall_pypi"] = pypi.get("wall")
        row["wall_ratio"] = ratio(ours.get("wall"), pypi.get("wall"))
        row["delivered_ours"] = ours.get("delivered")
        row["delivered_pypi"] = pypi.get("delivered")
        row["note"] = "wall %s / %s us (%s)" % (_fmt(row["wall_ours"]), _fmt(row["wall_pypi"]), _fmt(row["wall_ratio"]))
        row["note"] += "; sent %s / %s" % (_pct(row["delivered_ours"]), _pct(row["delivered_pypi"]))
        short = [impl for impl in ("ours", "pypi") if (row["delivered_" + impl] or 1.0) < 0.99]
        if short:
            # Dropped traces are never encoded or sent: that side did less work.
            row["note"] += "; DROPPED spans (%s): not comparable" % ",".join(short)
    elif spec["kind"] == "rss":
        row["more_ours"] = ours.get("more")
        row["more_pypi"] = pypi.get("more")
        row["more_ratio"] = ratio(ours.get("more"), pypi.get("more"))
        row["note"] = "after +300k: %s / %s MiB (%s)" % (_fmt(row["more_ours"]), _fmt(row["more_pypi"]), _fmt(row["more_ratio"]))
    elif spec["kind"] == "import":
        row["note"] = "interpreter alone %s / %s ms; ours timed in %s" % (
            _fmt(ours.get("interpreter_ms")), _fmt(pypi.get("interpreter_ms")), ours.get("how", "-"))
    elif spec["kind"] == "encoder":
        impls = [
            (sides[i].get("samples") or [{}])[0].get("implementation") for i in ("ours", "pypi") if i in sides
        ]
        row["note"] = "throughput ratio, higher is better; encoders: %s" % " / ".join(str(i) for i in impls)
        skipped = ours.get("skipped") or pypi.get("skipped")
        if skipped:
            row["note"] = "skipped: " + skipped
    errors = sum(len(s.get("errors") or []) for s in sides.values())
    if errors:
        row["note"] = "%s; %d failed runs (see json)" % (row.get("note", ""), errors)
    noisy = [impl for impl, s in sides.items() if (s.get("spread") or 0) > NOISY]
    if noisy:
        row["note"] += "; noisy: " + ",".join(noisy)
    return row


def _pct(v):
    return "-" if v is None else "%.0f%%" % (v * 100)


def print_table(rows):
    header = ("scenario", "unit", "ours", "pypi", "ratio", "target", "", "notes")
    lines = [header]
    for r in rows:
        lines.append(
            (r["scenario"], r["unit"], _fmt(r["ours"]), _fmt(r["pypi"]), _fmt(r["ratio"], 2), r["target"], r["verdict"], r.get("note", ""))
        )
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header) - 1)]
    out = []
    for line in lines:
        cells = [str(c).ljust(w) if i < 2 or i >= 5 else str(c).rjust(w) for i, (c, w) in enumerate(zip(line, widths))]
        out.append("  ".join(cells + [line[-1]]).rstrip())
    print("\n".join(out))


def machine_info():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    rev = dirty = None
    try:
        rev = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        status = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True)
        dirty = bool(status.stdout.strip()) if status.returncode == 0 else None
    except OSError:
        pass
    return {"cpu": cpu, "cpus": os.cpu_count(), "platform": platform.platform(), "git_rev": rev, "git_dirty": dirty}


# ------------------------------------------------------------------ main


def main(argv=None):
    parser = argparse.ArgumentParser(description="Benchmarks: our ddtrace vs ddtrace==%s from PyPI." % PYPI_VERSION)
    parser.add_argument("--scenario", "-s", action="append", help="run only this scenario (repeatable, or comma-separated)")
    parser.add_argument("--quick", action="store_true", help="shorter timed regions, fewer repetitions")
    parser.add_argument("--impl", choices=("both", "ours", "pypi"), default="both", help="which side(s) to run")
    parser.add_argument("--ours-python", default=OURS_PYTHON, help="interpreter of the venv with our package")
    parser.add_argument("--output", default=RESULTS, help="where to write the JSON results")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    args = parser.parse_args(argv)

    if args.list:
        for name, spec in SCENARIOS.items():
            print(name, spec["kind"])
        return 0
    names = list(SCENARIOS)
    if args.scenario:
        names = [n.strip() for s in args.scenario for n in s.split(",") if n.strip()]
        unknown = [n for n in names if n not in SCENARIOS]
        if unknown:
            parser.error("unknown scenario(s) %s; choose from %s" % (", ".join(unknown), ", ".join(SCENARIOS)))

    pythons = {}
    if args.impl in ("both", "ours"):
        if not os.path.exists(args.ours_python):
            raise SystemExit("%s not found: run `make dev` first" % args.ours_python)
        pythons["ours"] = args.ours_python
    if args.impl in ("both", "pypi"):
        pythons["pypi"] = ensure_pypi_venv(args.ours_python)
    versions = {impl: _probe_version(py) for impl, py in pythons.items()}
    log("versions: %s" % versions)

    sink = Sink()
    started = time.time()
    results = {}
    try:
        env = clean_env(dict(BENCH_ENV, DD_TRACE_AGENT_URL=sink.url))
        for name in names:
            spec = SCENARIOS[name]
            log("%s ..." % name)
            kind = spec["kind"]
            if kind == "per_op":
                sides = bench_per_op(name, spec, pythons, env, sink, args.quick)
            elif kind == "import":
                sides = bench_import(name, spec, pythons, env, args.quick, args.ours_python)
            elif kind == "encoder":
                sides = bench_encoder(name, spec, pythons, env, args.quick)
            else:
                sides = bench_rss(name, spec, pythons, env, args.quick)
            results[name] = {"summary": summarize(name, spec, sides), "sides": sides}
    finally:
        sink.stop()

    rows = [results[n]["summary"] for n in names]
    print()
    print("ours = this repo (%s), pypi = ddtrace %s; ratio = ours / pypi" % (versions.get("ours"), versions.get("pypi")))
    print("per-op scenarios: process CPU time (all threads, final flush included) per op; notes: calling-thread wall, share of spans the sink received")
    print_table(rows)
    print("(%.0f s)" % (time.time() - started))

    doc = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "quick": args.quick,
        "python": sys.version.split()[0],
        "machine": machine_info(),
        "versions": versions,
        "env": BENCH_ENV,
        "settings": {"per_op": PER_OP, "import_runs": IMPORT_RUNS, "encoder_reps": ENCODER_REPS, "rss": RSS},
        "results": results,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=False)
        f.write("\n")
    log("wrote %s" % args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
