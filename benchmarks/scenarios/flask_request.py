"""flask_request: what tracing adds to one Flask request (``app.test_client()``).

``--route trivial`` requests a view returning a constant string; ``--route sqlite`` one
running a single query on an in-memory SQLite database (through the standard
``sqlite3`` module, traced by the sqlite3 integration). The application has no hooks:
a traced request makes Flask's usual spans (``flask.request``, ``flask.application``,
the steps, the view, ``flask.response``), plus ``sqlite.query`` for the second route.

The cost per request is the difference between two processes of the same venv:

- this one, where ``ddtrace.patch(flask=True, sqlite3=True)`` ran before the
  application was built (what ``ddtrace-run`` does), timed by the shared harness (CPU
  of all threads with the flushes, and wall time of the calling thread);
- a child started with ``--baseline``: the same requests, nothing instrumented.

Both figures (``cpu_ns``, ``wall_ns``) are traced minus baseline; the baseline values
are in the JSON output too. Requires Flask in the venv (``benchmarks/run.py`` installs
it into the PyPI venv).
"""
import argparse
import json
import subprocess
import sys

from _harness import calibrate
from _harness import emit
from _harness import measure
from _harness import parse_args

ROUTES = {"trivial": "/trivial", "sqlite": "/users/1"}


def build_client():
    """A Flask app (built now, so it is traced if Flask is patched) and its test client."""
    import sqlite3

    from flask import Flask

    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    db.execute("INSERT INTO users (id, name) VALUES (1, 'ann')")

    app = Flask("bench")

    @app.route("/trivial")
    def trivial():
        return "ok"

    @app.route("/users/<int:user_id>")
    def user(user_id):
        (name,) = db.execute("SELECT name FROM users WHERE id = ?", (user_id,)).fetchone()
        return name

    return app.test_client()


def batch_for(client, path):
    get = client.get

    def batch(n):
        for _ in range(n):
            response = get(path)
            # Closing the body is what a WSGI server does; it ends the request's trace.
            response.close()
            if response.status_code != 200:
                raise SystemExit("GET %s answered %s" % (path, response.status_code))

    return batch


def enable_tracing():
    import ddtrace

    ddtrace.patch(flask=True, sqlite3=True)
    try:
        from ddtrace.contrib.flask import patch as ours
    except ImportError:  # the PyPI release keeps it elsewhere: ddtrace.patch did it
        return
    # This repository, before its integration registry lists flask: patch directly.
    import flask

    if not getattr(flask, "_datadog_patch", False) and hasattr(ours, "integration"):
        ours.patch()


class _SpanCounter:
    """Counts the spans of finished traces (to know how many spans a request makes)."""

    def __init__(self):
        self.spans = 0

    def process_trace(self, trace):
        self.spans += len(trace)
        return trace


def spans_per_request(batch, tracer):
    from ddtrace.trace import TraceFilter

    counter = type("Counter", (_SpanCounter, TraceFilter), {})()
    tracer.configure(trace_processors=[counter])
    batch(10)
    tracer.flush()
    tracer.configure(trace_processors=[])
    return counter.spans / 10.0


def run_baseline(args, route):
    batch = batch_for(build_client(), ROUTES[route])
    per_op, _ = calibrate(batch, args.warmup, lambda: None, 10000)
    n = max(1000, int(args.seconds / per_op))
    r = measure(batch, lambda: None, n, n)
    sys.stdout.write(json.dumps({"cpu_ns": r["cpu_s"] / n * 1e9, "wall_ns": r["wall_s"] / n * 1e9, "ops": n}) + "\n")


def baseline_in_child(route, args):
    cmd = [
        sys.executable,
        __file__,
        "--baseline",
        "--route",
        route,
        "--seconds",
        str(args.seconds),
        "--warmup",
        str(args.warmup),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True)
    lines = [x for x in done.stdout.splitlines() if x.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit("baseline process failed: %s" % (done.stderr.strip().splitlines() or ["?"])[-1])
    return json.loads(lines[-1])


def main():
    own = argparse.ArgumentParser(add_help=False)
    own.add_argument("--route", choices=sorted(ROUTES), default="trivial")
    own.add_argument("--baseline", action="store_true")
    mine, rest = own.parse_known_args()
    args = parse_args(rest)
    if mine.baseline:
        return run_baseline(args, mine.route)

    base = baseline_in_child(mine.route, args)
    enable_tracing()
    from _harness import run_per_op

    from ddtrace.trace import tracer

    batch = batch_for(build_client(), ROUTES[mine.route])
    spans = spans_per_request(batch, tracer)
    if spans < 2:
        raise SystemExit("Flask is not traced (%s spans per request)" % spans)
    out = run_per_op(batch, args, spans_per_op=max(1, int(round(spans))))
    out["spans_created"] += int(round(spans * 10))
    out["route"] = mine.route
    out["spans_per_request"] = spans
    out["traced_cpu_ns"], out["traced_wall_ns"] = out["cpu_ns"], out["wall_ns"]
    out["baseline_cpu_ns"], out["baseline_wall_ns"] = base["cpu_ns"], base["wall_ns"]
    out["cpu_ns"] -= base["cpu_ns"]
    out["wall_ns"] -= base["wall_ns"]
    emit(out)


if __name__ == "__main__":
    main()
