"""django_request: what tracing adds to one Django request (``django.test.Client``).

``--view trivial`` requests a view returning a constant response; ``--view db`` one
running a single SQL query (SQLite in memory, through Django's cursor). The project
has the middleware of ``django-admin startproject`` (seven classes), so a traced
request makes the same ~20 spans a real application's would.

The cost per request is the difference between two processes of the same venv:

- this one, where ``ddtrace.patch(django=True, sqlite3=True)`` ran before Django was
  imported (what ``ddtrace-run`` does, default settings: minimal Django tracing, the
  query traced by the sqlite3 integration), timed by the shared harness (CPU of all
  threads with the flushes, and wall time of the calling thread);
- a child started with ``--baseline``: the same requests, Django not instrumented.

Both figures (``cpu_ns``, ``wall_ns``) are traced minus baseline; the baseline values
are in the JSON output too. Requires Django in the venv (``benchmarks/run.py`` installs
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

VIEWS = {"trivial": "/trivial/", "db": "/db/"}
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]


def trivial(request):
    from django.http import HttpResponse

    return HttpResponse("ok")


def one_query(request):
    from django.db import connection
    from django.http import HttpResponse

    with connection.cursor() as cursor:
        cursor.execute("SELECT title FROM bench_book WHERE id = %s", [1])
        (title,) = cursor.fetchone()
    return HttpResponse(title)


def _urlpatterns():
    from django.urls import path

    return [path("trivial/", trivial), path("db/", one_query)]


def setup_django():
    """Configure and set up Django; return a test client."""
    import django
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench",
        ALLOWED_HOSTS=["*"],
        USE_TZ=True,
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
            "django.contrib.messages",
        ],
        MIDDLEWARE=MIDDLEWARE,
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        LOGGING_CONFIG=None,
    )
    django.setup()
    sys.modules[__name__].urlpatterns = _urlpatterns()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_book (id INTEGER PRIMARY KEY, title TEXT)")
        cursor.execute("INSERT INTO bench_book (id, title) VALUES (1, 'Dune')")
    from django.test import Client

    return Client()


def batch_for(client, path):
    get = client.get

    def batch(n):
        for _ in range(n):
            response = get(path)
            if response.status_code != 200:
                raise SystemExit("GET %s answered %s" % (path, response.status_code))

    return batch


def enable_tracing():
    import ddtrace

    ddtrace.patch(django=True, sqlite3=True)
    try:
        from ddtrace.contrib.django import patch as ours
    except ImportError:  # the PyPI release has no such module: ddtrace.patch did it
        return
    # This repository, before its integration registry lists django: patch directly.
    import django

    if not getattr(django, "_datadog_patch", False):
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


def run_baseline(args, view):
    batch = batch_for(setup_django(), VIEWS[view])
    per_op, _ = calibrate(batch, args.warmup, lambda: None, 10000)
    n = max(1000, int(args.seconds / per_op))
    r = measure(batch, lambda: None, n, n)
    sys.stdout.write(json.dumps({"cpu_ns": r["cpu_s"] / n * 1e9, "wall_ns": r["wall_s"] / n * 1e9, "ops": n}) + "\n")


def baseline_in_child(view, args):
    cmd = [sys.executable, __file__, "--baseline", "--view", view, "--seconds", str(args.seconds), "--warmup", str(args.warmup)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    lines = [x for x in done.stdout.splitlines() if x.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit("baseline process failed: %s" % (done.stderr.strip().splitlines() or ["?"])[-1])
    return json.loads(lines[-1])


def main():
    own = argparse.ArgumentParser(add_help=False)
    own.add_argument("--view", choices=sorted(VIEWS), default="trivial")
    own.add_argument("--baseline", action="store_true")
    mine, rest = own.parse_known_args()
    args = parse_args(rest)
    if mine.baseline:
        return run_baseline(args, mine.view)

    base = baseline_in_child(mine.view, args)
    enable_tracing()
    from _harness import run_per_op

    from ddtrace.trace import tracer

    batch = batch_for(setup_django(), VIEWS[mine.view])
    spans = spans_per_request(batch, tracer)
    if spans < 2:
        raise SystemExit("Django is not traced (%s spans per request)" % spans)
    out = run_per_op(batch, args, spans_per_op=max(1, int(round(spans))))
    out["spans_created"] += int(round(spans * 10))
    out["view"] = mine.view
    out["spans_per_request"] = spans
    out["traced_cpu_ns"], out["traced_wall_ns"] = out["cpu_ns"], out["wall_ns"]
    out["baseline_cpu_ns"], out["baseline_wall_ns"] = base["cpu_ns"], base["wall_ns"]
    out["cpu_ns"] -= base["cpu_ns"]
    out["wall_ns"] -= base["wall_ns"]
    emit(out)


if __name__ == "__main__":
    main()
