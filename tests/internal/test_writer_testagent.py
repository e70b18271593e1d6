"""AgentWriter against Datadog's real test agent: what arrives, over TCP and Unix sockets,
and what happens at process exit."""
import json
import os
import socket
import subprocess
import sys
import textwrap
import urllib.request

import pytest

from ddtrace.settings import config
from ddtrace.trace import Tracer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HANG = 30


def run_python(code, env_extra, timeout=HANG):
    """Run ``code`` in a fresh interpreter; the timeout failing the test means it hung."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DD_", "_DD_"))}
    env["PYTHONPATH"] = ROOT
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=timeout,
        text=True,
    )


def make_traces(tracer):
    with tracer.trace("web.request", service="web", resource="GET /users", span_type="web") as root:
        root.set_tag("http.method", "GET")
        root.set_metric("answer", 42)
        with tracer.trace("db.query", service="db", resource="SELECT 1", span_type="sql") as child:
            child.set_tag("db.system", "postgresql")
    with tracer.trace("error.op", service="web") as failed:
        try:
            raise ValueError("boom")
        except ValueError:
            failed.set_exc_info(*sys.exc_info())
    return root, child, failed


def by_name(traces):
    return {s["name"]: s for t in traces for s in t}


def check_arrived(traces, root, child, failed):
    assert len(traces) == 2
    spans = by_name(traces)
    r, c, f = spans["web.request"], spans["db.query"], spans["error.op"]
    assert r["trace_id"] == c["trace_id"] == root.trace_id & 0xFFFFFFFFFFFFFFFF
    assert (r["span_id"], r["parent_id"]) == (root.span_id, 0)
    assert (c["span_id"], c["parent_id"]) == (child.span_id, root.span_id)
    assert (r["service"], r["resource"], r["type"]) == ("web", "GET /users", "web")
    assert (c["service"], c["resource"], c["type"]) == ("db", "SELECT 1", "sql")
    assert r["meta"]["http.method"] == "GET" and r["metrics"]["answer"] == 42
    assert c["meta"]["db.system"] == "postgresql"
    assert r["meta"]["language"] == "python" and r["metrics"]["process_id"] == os.getpid()
    assert r["metrics"]["_sampling_priority_v1"] == 1
    assert r["metrics"]["_dd.top_level"] == 1 and c["metrics"]["_dd.top_level"] == 1
    assert r["start"] == root.start_ns and r["duration"] == root.duration_ns
    if root.trace_id >> 64:
        assert r["meta"]["_dd.p.tid"] == "%016x" % (root.trace_id >> 64)
    assert f["error"] == 1 and f["meta"]["error.type"] == failed.get_tag("error.type")
    assert "ValueError" in f["meta"]["error.type"] and "boom" in f["meta"]["error.stack"]
    assert f["meta"]["error.message"] == "boom"


@pytest.mark.parametrize("api", ["v0.4", "v0.5"])
def test_traces_arrive_over_tcp(api, agent_session):
    tracer = agent_session.tracer(api_version=api)
    root, child, failed = make_traces(tracer)
    tracer.flush()
    check_arrived(agent_session.wait_for_traces(2), root, child, failed)
    (req,) = [r for r in agent_session.requests() if "/traces" in r["url"]]
    assert req["url"].endswith("/%s/traces" % api)
    assert req["headers"]["X-Datadog-Trace-Count"] == "2"


@pytest.mark.parametrize("api", ["v0.4", "v0.5"])
def test_traces_arrive_over_a_unix_socket(api, agent_session):
    if not agent_session.uds_url:
        pytest.skip("this test agent was not started with a Unix socket")
    tracer = agent_session.tracer(agent_url=agent_session.uds_url, api_version=api)
    root, child, failed = make_traces(tracer)
    tracer.flush()
    check_arrived(agent_session.wait_for_traces(2), root, child, failed)


def test_background_thread_delivers(agent_session):
    tracer = agent_session.tracer(interval=0.05)
    with tracer.trace("no.flush"):
        pass
    (trace,) = agent_session.wait_for_traces(1)
    assert trace[0]["name"] == "no.flush"


def test_many_traces_in_several_payloads(agent_session):
    tracer = agent_session.tracer(max_payload_size=20_000)
    for i in range(300):
        with tracer.trace("op", resource="r%d" % i):
            with tracer.trace("child"):
                pass
    tracer.flush()
    traces = agent_session.wait_for_traces(300)
    assert sorted(by_name([t])["op"]["resource"] for t in traces) == sorted("r%d" % i for i in range(300))
    assert len([r for r in agent_session.requests() if "/traces" in r["url"]]) > 1


def test_agent_rates_reach_the_sampler(test_agent, monkeypatch):
    from ddtrace.trace.sampler import DatadogSampler

    monkeypatch.setattr(config, "env", "prod")
    rates = {"service:web,env:prod": 0.0, "service:,env:": 1.0}
    session = test_agent.session(rate_by_service=rates)
    try:
        received = []

        class RecordingSampler(DatadogSampler):
            def update_rate_by_service_sample_rates(self, rate_by_service):
                received.append(rate_by_service)
                return super().update_rate_by_service_sample_rates(rate_by_service)

        tracer = session.tracer()
        tracer.configure(sampler=RecordingSampler(rules=[], rate_limit=-1))
        with tracer.trace("first", service="web"):
            pass
        tracer.flush()
        assert received == [rates]
        # The next trace is decided by the agent's rate for service:web,env:prod (0).
        with tracer.trace("second", service="web"):
            pass
        tracer.flush()
        spans = by_name(session.wait_for_traces(2))
        assert spans["first"]["metrics"]["_sampling_priority_v1"] == 1
        assert spans["second"]["metrics"]["_sampling_priority_v1"] == 0
        assert spans["second"]["metrics"]["_dd.agent_psr"] == 0.0
    finally:
        session.close()
    session.assert_no_failures()


@pytest.mark.parametrize("status", [404, 415])
def test_fallback_to_v04_against_the_test_agent(status, agent_session, fake_agent):
    """A proxy that refuses v0.5 and passes v0.4 on to the test agent."""

    def respond(request):
        if "/v0.5/" in request.path:
            return status, b"not here"
        fwd = urllib.request.Request(agent_session.url + request.path, data=request.body, method="PUT")
        for k, v in request.headers.items():
            if k.lower() not in ("host", "content-length", "connection"):
                fwd.add_header(k, v)
        with urllib.request.urlopen(fwd, timeout=HANG) as resp:
            return resp.status, resp.read()

    proxy = fake_agent(respond)
    tracer = agent_session.tracer(agent_url=proxy.url, api_version="v0.5")
    root, child, failed = make_traces(tracer)
    tracer.flush()
    check_arrived(agent_session.wait_for_traces(2), root, child, failed)
    assert [r.path for r in proxy.requests] == ["/v0.5/traces", "/v0.4/traces"]
    assert tracer._writer.stats()["api_version"] == "v0.4"


def test_payload_the_agent_refuses_is_counted(test_agent):
    """The test agent answers 400 to a payload failing its checks: dropped, counted, no retry."""
    session = test_agent.session()
    try:
        w = session.writer()
        tracer = Tracer()
        tracer.configure(writer=w)
        w._headers = {"Datadog-Meta-Lang": "python"}  # no tracer version header: fails a check
        with tracer.trace("op"):
            pass
        tracer.flush()
        assert w.stats()["dropped_traces"] == {"rejected_by_agent": 1}
        assert len([r for r in session.requests() if "/traces" in r["url"]]) == 1
    finally:
        session.close()
    assert "Datadog-Meta-Tracer-Version" in (session.check_failures() or "")


# ---------------------------------------------------------------- process exit


def test_trace_sent_at_exit(agent_session):
    proc = run_python(
        """
        from ddtrace.trace import tracer
        with tracer.trace("exit.op", service="script"):
            pass
        """,
        agent_session.env(),
    )
    assert proc.returncode == 0, proc.stderr
    (trace,) = agent_session.wait_for_traces(1)
    assert trace[0]["name"] == "exit.op" and trace[0]["service"] == "script"


def test_trace_sent_at_exit_over_unix_socket(agent_session):
    if not agent_session.uds_url:
        pytest.skip("this test agent was not started with a Unix socket")
    env = agent_session.env()
    env["DD_TRACE_AGENT_URL"] = agent_session.uds_url
    proc = run_python(
        """
        from ddtrace.trace import tracer
        with tracer.trace("exit.uds"):
            pass
        """,
        env,
    )
    assert proc.returncode == 0, proc.stderr
    (trace,) = agent_session.wait_for_traces(1)
    assert trace[0]["name"] == "exit.uds"


def test_exit_with_a_dead_agent_is_bounded():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = run_python(
        """
        from ddtrace.trace import tracer
        for _ in range(100):
            with tracer.trace("lost"):
                pass
        print("done")
        """,
        {"DD_TRACE_AGENT_URL": "http://127.0.0.1:%d" % port},
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "done", proc.stderr
    assert "Traceback" not in proc.stderr


def test_exit_with_an_agent_that_never_answers_is_bounded():
    # Connections complete in the kernel's backlog but nobody ever reads or answers.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        proc = run_python(
            """
            from ddtrace.trace import tracer
            with tracer.trace("lost"):
                pass
            print("done")
            """,
            {
                "DD_TRACE_AGENT_URL": "http://127.0.0.1:%d" % server.getsockname()[1],
                "DD_TRACE_AGENT_TIMEOUT_SECONDS": "600",
            },
        )
    assert proc.returncode == 0 and proc.stdout.strip() == "done", proc.stderr
    assert "Traceback" not in proc.stderr


def test_startup_log_line_reports_the_agent(agent_session):
    env = agent_session.env()
    env.update({"DD_TRACE_STARTUP_LOGS": "true", "DD_SERVICE": "logged", "DD_ENV": "test"})
    proc = run_python(
        """
        from ddtrace.trace import tracer
        with tracer.trace("op"):
            pass
        tracer.flush()
        with tracer.trace("op2"):
            pass
        tracer.flush()
        """,
        env,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if "DATADOG TRACER CONFIGURATION" in ln]
    assert len(lines) == 1, proc.stderr
    info = json.loads(lines[0].split(" - ", 1)[1])
    assert info["agent_error"] is None
    assert info["agent_url"] == agent_session.url
    assert (info["service"], info["env"]) == ("logged", "test")
