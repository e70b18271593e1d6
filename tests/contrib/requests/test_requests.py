"""The requests integration against a real local HTTP server."""
import pytest
import requests

from ddtrace.contrib import _http_client
from ddtrace.internal.suppress import suppressed
from ddtrace.settings import config
from ddtrace.trace import Pin
from tests.contrib.kit import free_port


def _one(spans):
    got = spans()
    assert len(got) == 1, got
    return got[0]


def test_get_span(patched, spans, http_server):
    resp = requests.get(http_server.url("/users/1?token=secret&x=1"))
    assert resp.status_code == 200
    span = _one(spans)
    assert span.name == "requests.request"
    assert span.service == "requests"
    assert span.resource == "GET /users/1"
    assert span.span_type == "http"
    assert span.error == 0
    assert span.parent_id == 0
    assert span.get_tag("component") == "requests"
    assert span.get_tag("span.kind") == "client"
    assert span.get_tag("http.method") == "GET"
    assert span.get_tag("http.status_code") == "200"
    assert span.get_tag("http.status_msg") == "OK"
    assert span.get_tag("out.host") == "127.0.0.1"
    assert span.get_tag("http.useragent").startswith("python-requests/")
    assert span.get_metric("network.destination.port") == http_server.port
    assert span.get_metric("_dd.measured") == 1
    url = span.get_tag("http.url")
    assert url.startswith("http://127.0.0.1:%d/users/1?" % http_server.port)
    assert "secret" not in url and "<redacted>" in url and "x=1" in url


def test_post_resource_and_no_version_tag(patched, spans, http_server, monkeypatch):
    monkeypatch.setattr(config, "version", "1.2.3")
    monkeypatch.setattr(config, "service", "my-app")
    requests.post(http_server.url("/orders"), data=b"{}")
    span = _one(spans)
    assert span.resource == "POST /orders"
    # A client span on its own service does not carry the application's version.
    assert span.service == "requests"
    assert span.get_tag("version") is None


def test_5xx_is_an_error_4xx_is_not(patched, spans, http_server):
    requests.get(http_server.url("/status/404"))
    requests.get(http_server.url("/status/503"))
    not_found, unavailable = spans()
    assert not_found.get_tag("http.status_code") == "404"
    assert not_found.error == 0
    assert unavailable.get_tag("http.status_code") == "503"
    assert unavailable.error == 1


def test_connection_refused_is_recorded_and_raised_unchanged(patched, spans):
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get("http://127.0.0.1:%d/nothing" % free_port())
    span = _one(spans)
    assert span.error == 1
    assert span.get_tag("error.type") == "requests.exceptions.ConnectionError"
    assert "Connection refused" in span.get_tag("error.message") or span.get_tag("error.message")
    assert span.get_tag("error.stack")
    assert span.duration_ns is not None


def test_user_exception_is_the_same_object(patched, spans, http_server):
    boom = ValueError("from a response hook")

    def hook(resp, *args, **kwargs):
        raise boom

    with pytest.raises(ValueError) as exc_info:
        requests.get(http_server.url("/hook"), hooks={"response": hook})
    assert exc_info.value is boom
    span = _one(spans)
    assert span.error == 1
    assert span.get_tag("error.type") == "builtins.ValueError"
    assert span.get_tag("error.message") == "from a response hook"


def test_distributed_headers_reach_the_server(patched, spans, http_server):
    requests.get(http_server.url("/dt"))
    span = _one(spans)
    (method, path, headers) = http_server.received[-1]
    assert headers["x-datadog-trace-id"] == str(span.trace_id & 0xFFFFFFFFFFFFFFFF)
    assert headers["x-datadog-parent-id"] == str(span.span_id)
    assert headers["traceparent"].split("-")[1] == "%032x" % span.trace_id
    assert headers["traceparent"].split("-")[2] == "%016x" % span.span_id


def test_distributed_tracing_off(patched, spans, http_server, monkeypatch):
    monkeypatch.setitem(config.requests, "distributed_tracing", False)
    requests.get(http_server.url("/dt"))
    _one(spans)
    headers = http_server.received[-1][2]
    assert "x-datadog-trace-id" not in headers and "traceparent" not in headers


def test_headers_set_by_the_user_are_kept(patched, spans, http_server):
    # The caller propagates the trace itself: its headers win.
    requests.get(http_server.url("/dt"), headers={"x-datadog-trace-id": "42", "x-datadog-parent-id": "7"})
    _one(spans)
    headers = http_server.received[-1][2]
    assert headers["x-datadog-trace-id"] == "42"
    assert headers["x-datadog-parent-id"] == "7"


def test_child_of_the_active_span(patched, spans, http_server):
    from ddtrace.trace import tracer

    with tracer.trace("parent") as parent:
        requests.get(http_server.url("/child"))
    got = spans()
    assert [s.name for s in got] == ["parent", "requests.request"]
    assert got[1].parent_id == parent.span_id
    assert got[1].trace_id == parent.trace_id


def test_split_by_domain(patched, spans, http_server, monkeypatch):
    monkeypatch.setitem(config.requests, "split_by_domain", True)
    requests.get(http_server.url("/x"))
    assert _one(spans).service == "127.0.0.1:%d" % http_server.port


def test_service_from_config(patched, spans, http_server, monkeypatch):
    monkeypatch.setitem(config.requests, "service", "payments-api")
    requests.get(http_server.url("/x"))
    assert _one(spans).service == "payments-api"


def test_service_mapping(patched, spans, http_server, monkeypatch):
    monkeypatch.setattr(config, "service_mapping", {"requests": "outbound-http"})
    requests.get(http_server.url("/x"))
    assert _one(spans).service == "outbound-http"


def test_pin_on_a_session(patched, spans, http_server):
    session = requests.Session()
    Pin.override(session, service="billing-api", tags={"team": "billing"})
    session.get(http_server.url("/x"))
    requests.get(http_server.url("/y"))
    pinned, other = spans()
    assert pinned.service == "billing-api"
    assert pinned.get_tag("team") == "billing"
    assert other.service == "requests"


def test_session_subclasses_are_traced_once(patched, spans, http_server):
    class Plain(requests.Session):
        pass

    class Overriding(requests.Session):
        def send(self, request, **kwargs):
            request.headers["X-Custom"] = "1"
            return super().send(request, **kwargs)

    Plain().get(http_server.url("/plain"))
    Overriding().get(http_server.url("/overriding"))
    got = spans()
    assert [s.resource for s in got] == ["GET /plain", "GET /overriding"]
    assert http_server.received[-1][2]["x-custom"] == "1"


def test_redirects_are_one_span_per_hop(patched, spans, http_server):
    resp = requests.get(http_server.url("/redirect"))
    assert resp.status_code == 200
    got = spans()
    assert sorted(s.resource for s in got) == ["GET /final", "GET /redirect"]


def test_query_string_not_kept(patched, spans, http_server, monkeypatch):
    monkeypatch.setitem(config.requests, "trace_query_string", False)
    requests.get(http_server.url("/q?a=1"))
    assert _one(spans).get_tag("http.url") == http_server.url("/q")


def test_integration_disabled_calls_straight_through(patched, spans, http_server, monkeypatch):
    monkeypatch.setitem(config.requests, "enabled", False)
    assert requests.get(http_server.url("/off")).status_code == 200
    assert spans() == []
    assert "x-datadog-trace-id" not in http_server.received[-1][2]


def test_tracer_disabled_calls_straight_through(patched, spans, http_server):
    spans.tracer.enabled = False
    try:
        assert requests.get(http_server.url("/off")).status_code == 200
    finally:
        spans.tracer.enabled = True
    assert spans() == []
    assert "x-datadog-trace-id" not in http_server.received[-1][2]


def test_tracer_internals_are_not_traced(patched, spans, http_server):
    with suppressed():
        requests.get(http_server.url("/writer"))
    assert spans() == []


def test_internal_error_never_reaches_the_user(patched, spans, http_server, monkeypatch, internal_errors):
    internal_errors.allowed = True

    def broken(*args, **kwargs):
        raise RuntimeError("tagging bug")

    monkeypatch.setattr(_http_client, "tag_request", broken)
    resp = requests.get(http_server.url("/ok"))
    assert resp.status_code == 200
    assert [what for what, _ in internal_errors.errors] == ["tagging a requests span"]
    span = _one(spans)
    assert span.duration_ns is not None
    assert span.get_tag("http.status_code") == "200"


def test_start_failure_still_sends_the_request(patched, spans, http_server, monkeypatch, internal_errors):
    internal_errors.allowed = True

    def broken(*args, **kwargs):
        raise RuntimeError("start bug")

    monkeypatch.setattr(_http_client, "start_span", broken)
    assert requests.get(http_server.url("/ok")).status_code == 200
    assert spans() == []
    assert len(internal_errors.errors) == 1


def test_traced_session_without_patching(spans, http_server):
    from ddtrace.contrib.requests import TracedSession
    from ddtrace.contrib.requests import patch as requests_patch

    assert not requests_patch.integration.is_patched()
    TracedSession().get(http_server.url("/traced"))
    requests.get(http_server.url("/plain"))
    (span,) = spans()
    assert span.resource == "GET /traced"


def test_traced_session_is_not_traced_twice_when_patched(patched, spans, http_server):
    from ddtrace.contrib.requests import TracedSession

    TracedSession().get(http_server.url("/traced"))
    assert len(spans()) == 1
