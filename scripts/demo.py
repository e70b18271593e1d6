#!/usr/bin/env python3
"""``make demo``: trace a sample program and show what the agent received.

Starts Datadog's test agent on a free 127.0.0.1 port, runs ``examples/demo_app.py``
under ``ddtrace-run`` with its traces sent there, then prints every trace the agent
received as a tree (service, name, resource, duration, error, a few tags).
"""
import json
import os
import subprocess
import sys
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from scripts import test_agent  # noqa: E402

TOKEN = "ddtrace-demo"
SHOWN_TAGS = ("user.id", "item.sku", "item.cost", "amount", "checkout.status", "error.type", "error.message", "env")


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


def main():
    print("Starting Datadog's test agent (installing it on first use)...", flush=True)
    agent = test_agent.start(uds=False)
    try:
        urllib.request.urlopen(agent.url + "/test/session/start?test_session_token=" + TOKEN, timeout=10).read()
        env = dict(os.environ)
        env.update(
            {
                "DD_TRACE_AGENT_URL": agent.url,
                "DD_SERVICE": "demo-shop",
                "DD_ENV": "demo",
                "DD_VERSION": "1.0",
                "_DD_TRACE_WRITER_ADDITIONAL_HEADERS": "X-Datadog-Test-Session-Token:" + TOKEN,
            }
        )
        bindir = os.path.dirname(sys.executable)
        runner = os.path.join(bindir, "ddtrace-run")
        cmd = [runner, sys.executable, os.path.join(ROOT, "examples", "demo_app.py")]
        print("$ DD_SERVICE=demo-shop DD_ENV=demo ddtrace-run python examples/demo_app.py", flush=True)
        rc = subprocess.call(cmd, env=env)
        if rc != 0:
            print("the demo program failed with exit code %d" % rc)
            return rc
        traces = fetch(agent.url + "/test/session/traces?test_session_token=" + TOKEN) or []
        failures = urllib.request.urlopen(agent.url + "/test/trace_check/failures?test_session_token=" + TOKEN, timeout=10)
        out = ["", "The test agent received %d traces (%d spans):" % (len(traces), sum(len(t) for t in traces)), ""]
        for trace in traces:
            render(trace, out)
            out.append("")
        out.append(
            "Trace checks: %s" % ("all passed" if failures.status == 200 else failures.read().decode("utf-8", "replace"))
        )
        print("\n".join(out))
        return 0 if traces else 1
    finally:
        agent.stop()


if __name__ == "__main__":
    sys.exit(main())
