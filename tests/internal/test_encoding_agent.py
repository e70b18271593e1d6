"""Encoder payloads as Datadog's test agent decodes them (it answers 400 to a malformed one)."""
import json
import urllib.error
import urllib.request

import pytest

from ddtrace.internal.encoding import create_encoder
from ddtrace.trace import Span
from ddtrace.version import __version__


def post(session, version, payload, n):
    headers = {
        "Content-Type": "application/msgpack",
        "X-Datadog-Trace-Count": str(n),
        "Datadog-Meta-Lang": "python",
        "Datadog-Meta-Tracer-Version": __version__,
    }
    headers.update(session.headers)
    req = urllib.request.Request("%s/%s/traces" % (session.url, version), data=payload, method="PUT", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def odd_trace():
    root = Span("web.request", service="web", resource="GET /", span_type="web", trace_id=(5 << 64) | 6)
    root.set_tag("_dd.p.tid", "0000000000000005")
    root.set_tag("unicode", "ünïcødé 😀")
    root._meta["surrogate\udc80"] = "lone \ud800"
    root._meta["number"] = 12
    root.set_metric("_sampling_priority_v1", 1)
    root._metrics["nan"] = float("nan")
    root._metrics["big"] = 2**64 - 1
    root.set_link((1 << 64) | 2, 3, tracestate="dd=s:1", flags=1, attributes={"k": "v"})
    child = Span("db", resource="r" * 30000, trace_id=root.trace_id, parent_id=root.span_id)
    child.name = None
    child.service = None
    root.finish()
    child.finish()
    return [root, child]


@pytest.mark.parametrize("version", ["v0.4", "v0.5"])
def test_agent_accepts_and_decodes(agent_session, version):
    enc = create_encoder(version)
    trace = odd_trace()
    enc.put(trace)
    enc.put([Span("second", service="other")])
    payload, n = enc.encode()
    status, body = post(agent_session, version, payload, n)
    assert status == 200, body
    assert "rate_by_service" in json.loads(body)
    traces = agent_session.wait_for_traces(2)
    root = [t for t in traces if len(t) == 2][0]
    root = {s["span_id"]: s for s in root}
    r, c = root[trace[0].span_id], root[trace[1].span_id]
    assert r["trace_id"] == 6 and c["trace_id"] == 6
    assert r["meta"]["_dd.p.tid"] == "0000000000000005"
    assert r["meta"]["unicode"] == "ünïcødé 😀"
    assert r["meta"]["surrogate?"] == "lone ?"
    assert r["meta"]["number"] == "12"
    assert "nan" not in r["metrics"]
    assert r["metrics"]["big"] == 2**64 - 1
    assert c["resource"] == "r" * 24997 + "..."
    assert c["parent_id"] == trace[0].span_id
    if version == "v0.4":
        assert r["span_links"][0]["trace_id_high"] == 1
    else:
        assert json.loads(r["meta"]["_dd.span_links"])[0]["span_id"] == "0000000000000003"
