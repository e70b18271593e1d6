#!/usr/bin/env python3
"""``make demo``: trace sample programs and show what the agent received.

Starts Datadog's test agent on a free 127.0.0.1 port, then, with every trace sent there:

1. runs ``examples/demo_app.py`` under ``ddtrace-run`` (nested traces, an error,
   asyncio);
2. serves ``examples/shop_app.py`` (Flask, PostgreSQL, Redis) with gunicorn under
   ``ddtrace-run`` and calls it from ``examples/shop_client.py`` (``requests``, also
   under ``ddtrace-run``): one trace across two services.

Each part prints the traces the agent received as trees (service, name, resource,
duration, error, a few tags).
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from scripts import test_agent  # noqa: E402

TOKEN = "ddtrace-demo"
SHOWN_TAGS = (
    "user.id", "item.sku", "item.cost", "amount", "checkout.status", "error.type", "error.message",
    "http.status_code", "_sampling_priority_v1",
)


def fetch(url):
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read() or b"null")


def render(trace, out):
    by_parent = {}
    ids = {s["span_id"] for s in trace}
    for s in trace:
        parent = s.get("parent_id") or 0
        by_parent.setdefault(parent if parent in ids else 0, []).append(s)
    for children in by_parent.values():
        children.sort(key=lambda s: s["start"])

    def line(span, prefix, last, depth):
        branch = "" if depth == 0 else ("└─ " if last else "├─ ")
        meta = span.get("meta", {})
        tags = ", ".join("%s=%s" % (k, meta.get(k, span.get("metrics", {}).get(k))) for k in SHOWN_TAGS if k in meta or k in span.get("metrics", {}))
        err = "  ERROR" if span.get("error") else ""
        out.append(
            "%s%s%s  [%s] %s  %.1f ms%s%s"
            % (
                prefix,
                branch,
                span["name"],
                span.get("service") or "-",
                span.get("resource"),
                span.get("duration", 0) / 1e6,
                err,
                ("  {" + tags + "}") if tags else "",
            )
        )
        kids = by_parent.get(span["span_id"], [])
        child_prefix = prefix + ("" if depth == 0 else ("   " if last else "│  "))
        for i, k in enumerate(kids):
            line(k, child_prefix, i == len(kids) - 1, depth + 1)

    for root in by_parent.get(0, []):
        line(root, "", True, 0)


def show(agent, token, title):
    traces = fetch(agent.url + "/test/session/traces?test_session_token=" + token) or []
    failures = urllib.request.urlopen(agent.url + "/test/trace_check/failures?test_session_token=" + token, timeout=10)
    # One trace can arrive in several chunks (one per process): group by trace id.
    by_id = {}
    for chunk in traces:
        for span in chunk:
            by_id.setdefault(span["trace_id"], []).append(span)
    out = ["", "%s: the test agent received %d trace(s), %d spans" % (title, len(by_id), sum(map(len, by_id.values()))), ""]
    for trace in by_id.values():
        render(trace, out)
        out.append("")
    checks = "all passed" if failures.status == 200 else failures.read().decode("utf-8", "replace")
    out.append("Trace checks: %s" % checks)
    print("\n".join(out), flush=True)
    return len(by_id)


def start_session(agent, token):
    urllib.request.urlopen(agent.url + "/test/session/start?test_session_token=" + token, timeout=10).read()


def env_for(agent, token, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DD_")}
    env.update(
        {
            "DD_TRACE_AGENT_URL": agent.url,
            "_DD_TRACE_WRITER_ADDITIONAL_HEADERS": "X-Datadog-Test-Session-Token:" + token,
            "PYTHONPATH": os.pathsep.join([os.path.join(ROOT, "examples"), ROOT]),
        }
    )
    env.update(extra)
    return env


def sample_program(agent, bindir):
    token = TOKEN + "-app"
    start_session(agent, token)
    env = env_for(agent, token, DD_SERVICE="demo-shop", DD_ENV="demo", DD_VERSION="1.0")
    print("$ DD_SERVICE=demo-shop DD_ENV=demo ddtrace-run python examples/demo_app.py", flush=True)
    rc = subprocess.call([os.path.join(bindir, "ddtrace-run"), sys.executable, os.path.join(ROOT, "examples", "demo_app.py")], env=env)
    if rc != 0:
        print("the demo program failed with exit code %d" % rc)
        return False
    return show(agent, token, "Sample program") > 0


def two_services(agent, bindir):
    token = TOKEN + "-shop"
    start_session(agent, token)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    print("\n$ DD_SERVICE=shop ddtrace-run gunicorn shop_app:app   # Flask + PostgreSQL + Redis", flush=True)
    server = subprocess.Popen(
        [os.path.join(bindir, "ddtrace-run"), os.path.join(bindir, "gunicorn"), "--bind", "127.0.0.1:%d" % port,
         "--workers", "1", "--chdir", os.path.join(ROOT, "examples"), "shop_app:app"],
        env=env_for(agent, token, DD_SERVICE="shop", DD_ENV="demo"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = "http://127.0.0.1:%d/stock/41" % port
        give_up = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/stock/0" % port, timeout=1).read()
                break
            except OSError:
                if time.monotonic() > give_up or server.poll() is not None:
                    print("the shop service did not start")
                    return False
                time.sleep(0.2)
        print("$ DD_SERVICE=shop-client ddtrace-run python examples/shop_client.py %s" % url, flush=True)
        rc = subprocess.call(
            [os.path.join(bindir, "ddtrace-run"), sys.executable, os.path.join(ROOT, "examples", "shop_client.py"), url],
            env=env_for(agent, token, DD_SERVICE="shop-client", DD_ENV="demo"),
            stdout=subprocess.DEVNULL,
        )
        if rc != 0:
            print("the shop client failed with exit code %d" % rc)
            return False
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    time.sleep(0.5)
    return show(agent, token, "Two services (client -> shop)") > 0


def main():
    print("Starting Datadog's test agent (installing it on first use)...", flush=True)
    agent = test_agent.start(uds=False)
    bindir = os.path.dirname(sys.executable)
    try:
        ok = sample_program(agent, bindir)
        ok = two_services(agent, bindir) and ok
        return 0 if ok else 1
    finally:
        agent.stop()


if __name__ == "__main__":
    sys.exit(main())
