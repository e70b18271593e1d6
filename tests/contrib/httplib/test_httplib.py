"""The http.client integration against a real local HTTP server."""
import http.client
import urllib.request

import pytest

from ddtrace.internal.suppress import suppressed
from ddtrace.settings import config
from ddtrace.trace import tracer
from tests.contrib.kit import free_port


def _one(spans):
    got = spans()
    assert len(got) == 1, got
    return got[0]


def test_request_span(patched, spans, http_server):
    conn = http.client.HTTPConnection("127.0.0.1", http_server.port)
    conn.request("GET", "/hc/path?api_key=abc&q=1")
    resp = conn.getresponse()
    assert resp.status == 200
    resp.read()
    conn.close()
    span = _one(spans)
    assert span.name == "http.client.request"
    assert span.resource == "http.client.request"
    assert span.span_type == "http"
    assert span.error == 0
    assert span.get_tag("component") == "httplib"
    assert span.get_tag("span.kind") == "client"
    assert span.get_tag("http.method") == "GET"
    assert span.get_tag("http.status_code") == "200"
    assert span.get_tag("out.host") == "127.0.0.1"
    assert span.get_metric("network.destination.port") == http_server.port
    url = span.get_tag("http.url")
    assert url.startswith(http_server.url("/hc/path?")) and "abc" not in url and "q=1" in url


def test_service_is_inherited(patched, spans, http_server, monkeypatch):
    monkeypatch.setattr(config, "service", "my-app")
    conn = http.client.HTTPConnection("127.0.0.1", http_server.port)
    conn.request("GET", "/a")
    conn.getresponse().read()
    with tracer.trace("parent", service="worker"):
        conn.request("GET", "/b")
        conn.getresponse().read()
    root, parent, child = spans()
    assert root.service == "my-app"
    assert child.service == "worker" and child.parent_id == parent.span_id


def test_service_from_config(patched, spans, http_server, monkeypatch):
    monkeypatch.setitem(config.httplib, "service", "raw-http")
    conn = http.client.HTTPConnection("127.0.0.1", http_server.port)
    conn.request("GET", "/a")
    conn.getresponse().read()
    assert _one(spans).service == "raw-http"


def test_status_errors(patched, spans, http_server):
    conn = http.client.HTTPConnection("127.0.0.1", http_server.port)
    for code in (404, 502):
        conn.request("GET", "/status/%d" % code)
        conn.getresponse().read()
    not_found, bad_gateway = spans()
    assert not_found.get_tag("http.status_code") == "404" and not_found.error == 0
    assert bad_gateway.get_tag("http.status_code") == "502" and bad_gateway.error == 1


def test_connection_refused_finishes_the_span(patched, spans):
    conn = http.client.HTTPConnection("127.0.0.1", free_port())
    with pytest.raises(ConnectionRefusedError):
        conn.request("GET", "/")
    span = _one(spans)
    assert span.error == 1
    assert span.get_tag("error.type") == "builtins.ConnectionRefusedError"
    assert span.duration_ns is not None


def test_refused_with_putrequest_and_endheaders(patched, spans):
    # urllib3 2.x sends this way, without HTTPConnection.request().
    conn = http.client.HTTPConnection("127.0.0.1", free_port())
    conn.putrequest("GET", "/raw")
    conn.putheader("X-A", "1")
    with pytest.raises(ConnectionRefusedError):
        conn.endheaders()
    span = _one(spans)
    assert span.error == 1 and span.duration_ns is not None
    assert span.get_tag("http.url").endswith("/raw")


def test_distributed_headers_and_callers_dict_untouched(patched, spans, http_server):
    conn = http.client.HTTPConnection("127.0.0.1", http_server.port)
    headers = {"X-Mine": "1"}
    conn.request("GET", "/dt", headers=headers)
    conn.getresponse().read()
    span = _one(spans)
    received = http_server.received[-1][2]
    assert received["x-datadog-trace-id"] == str(span.trace_id & 0xFFFFFFFFFFFFFFFF)
    assert received["x-datadog-parent-id"] == str(span.span_id)
    assert received["x-mine"] == "1"
    assert headers == {"X-Mine": "1"}


def test_distributed_tracing_off(patched, spans, http_server, monkeypatch):
    monkeypatch.setitem(config.httplib, "distributed_tracing", False)
    conn = http.client.HTTPConnection("127.0.0.1", http_server.port)
    conn.request("GET", "/dt")
    conn.getresponse().read()
    _one(spans)
    assert "x-datadog-trace-id" not in http_server.received[-1][2]


def test_urllib_request(patched, spans, http_server):
    with urllib.request.urlopen(http_server.url("/via-urllib")) as resp:
        assert resp.status == 200
    span = _one(spans)
    assert span.get_tag("http.url") == http_server.url("/via-urllib")
    assert "x-datadog-trace-id" in http_server.received[-1][2]


def test_urllib_http_error_unchanged(patched, spans, http_server):
    import urllib.error

    with pytest.raises(urllib.error.HTTPError) as exc_info:
        urllib.request.urlopen(http_server.url("/status/503"))
    assert exc_info.value.code == 503
    exc_info.value.close()
    span = _one(spans)
    assert span.get_tag("http.status_code") == "503"


def test_keep_alive_connection_one_span_per_request(patched, spans, http_server):
    conn = http.client.HTTPConnection("127.0.0.1", http_server.port)
    for path in ("/1", "/2", "/3"):
        conn.request("GET", path)
        conn.getresponse().read()
    got = spans()
    assert [s.get_tag("http.url").rsplit("/", 1)[1] for s in got] == ["1", "2", "3"]
    assert all(s.duration_ns is not None for s in got)


def test_response_never_read_is_finished_by_the_next_request(patched, spans, http_server):
    conn = http.client.HTTPConnection("127.0.0.1", http_server.port)
    conn.putrequest("GET", "/abandoned")
    conn.endheaders()
    conn.close()
    conn.request("GET", "/next")
    conn.getresponse().read()
    got = spans()
    assert len(got) == 2 and all(s.duration_ns is not None for s in got)


def test_tracer_internals_are_not_traced(patched, spans, http_server):
    with suppressed():
        conn = http.client.HTTPConnection("127.0.0.1", http_server.port)
        conn.request("GET", "/writer")
        conn.getresponse().read()
    assert spans() == []


def test_writer_requests_are_not_traced(patched, spans, http_server):
    # The real agent writer, sending to the local server as if it were an agent.
    from ddtrace.internal.writer import AgentWriter

    writer = AgentWriter(agent_url=http_server.url(""))
    span = tracer.start_span("op")
    span.finish()
    writer.write([span])
    writer.flush_queue()
    writer.stop(timeout=2)
    assert any(path.endswith("/traces") for _, path, _ in http_server.received)
    assert [s.name for s in spans()] == ["op"]


def test_disabled(patched, spans, http_server, monkeypatch):
    monkeypatch.setitem(config.httplib, "enabled", False)
    conn = http.client.HTTPConnection("127.0.0.1", http_server.port)
    conn.request("GET", "/a")
    assert conn.getresponse().status == 200
    assert spans() == []
