"""The requests integration against a real local HTTP server."""
import pytest
import requests

from ddtrace.contrib import _http_client
from ddtrace.internal.suppress import suppressed
from ddtrace.settings import config
from ddtrace.trace import Pin
from tests.contrib.kit import free_port


def _one(memtracer):
    spans = memtracer.spans()
    assert len(spans) == 1, spans
    return spans[0]


def test_get_span(patched, memtracer, server):
    resp = requests.get(server.url("/users/1?token=secret&x=1"))
    assert resp.status_code == 200
    span = _one(memtracer)
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
    assert span.get_metric("network.destination.port") == server.port
    assert span.get_metric("_dd.measured") == 1
    url = span.get_tag("http.url")
    assert url.startswith("http://127.0.0.1:%d/users/1?" % server.port)
    assert "secret" not in url and "<redacted>" in url and "x=1" in url


def test_post_resource_and_no_version_tag(patched, memtracer, server, monkeypatch):
    monkeypatch.setattr(config, "version", "1.2.3")
    monkeypatch.setattr(config, "service", "my-app")
    requests.post(server.url("/orders"), data=b"{}")
    span = _one(memtracer)
    assert span.resource == "POST /orders"
    # A client span on its own service does not carry the application's version.
    assert span.service == "requests"
    assert span.get_tag("version") is None


def test_5xx_is_an_error_4xx_is_not(patched, memtracer, server):
    requests.get(server.url("/status/404"))
    requests.get(server.url("/status/503"))
    not_found, unavailable = memtracer.spans()
    assert not_found.get_tag("http.status_code") == "404"
    assert not_found.error == 0
    assert unavailable.get_tag("http.status_code") == "503"
    assert unavailable.error == 1


def test_connection_refused_is_recorded_and_raised_unchanged(patched, memtracer):
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get("http://127.0.0.1:%d/nothing" % free_port())
    span = _one(memtracer)
    assert span.error == 1
    assert span.get_tag("error.type") == "requests.exceptions.ConnectionError"
    assert "Connection refused" in span.get_tag("error.message") or span.get_tag("error.message")
    assert span.get_tag("error.stack")
    assert span.duration_ns is not None


def test_user_exception_is_the_same_object(patched, memtracer, server):
    boom = ValueError("from a response hook")

    def hook(resp, *args, **kwargs):
        raise boom

    with pytest.raises(ValueError) as exc_info:
        requests.get(server.url("/hook"), hooks={"response": hook})
    assert exc_info.value is boom
    span = _one(memtracer)
    assert span.error == 1
    assert span.get_tag("error.type") == "builtins.ValueError"
    assert span.get_tag("error.message") == "from a response hook"


def test_distributed_headers_reach_the_server(patched, memtracer, server):
    requests.get(server.url("/dt"))
    span = _one(memtracer)
    (method, path, headers) = server.received[-1]
    assert headers["x-datadog-trace-id"] == str(span.trace_id & 0xFFFFFFFFFFFFFFFF)
    assert headers["x-datadog-parent-id"] == str(span.span_id)
    assert headers["traceparent"].split("-")[1] == "%032x" % span.trace_id
    assert headers["traceparent"].split("-")[2] == "%016x" % span.span_id


def test_distributed_tracing_off(patched, memtracer, server, monkeypatch):
    monkeypatch.setitem(config.requests, "distributed_tracing", False)
    requests.get(server.url("/dt"))
    _one(memtracer)
    headers = server.received[-1][2]
    assert "x-datadog-trace-id" not in headers and "traceparent" not in headers


def test_headers_set_by_the_user_are_kept(patched, memtracer, server):
    # The caller propagates the trace itself: its headers win.
    requests.get(server.url("/dt"), headers={"x-datadog-trace-id": "42", "x-datadog-parent-id": "7"})
    _one(memtracer)
    headers = server.received[-1][2]
    assert headers["x-datadog-trace-id"] == "42"
    assert headers["x-datadog-parent-id"] == "7"


def test_child_of_the_active_span(patched, memtracer, server):
    from ddtrace.trace import tracer

    with tracer.trace("parent") as parent:
        requests.get(server.url("/child"))
    spans = memtracer.spans()
    assert [s.name for s in spans] == ["parent", "requests.request"]
    assert spans[1].parent_id == parent.span_id
    assert spans[1].trace_id == parent.trace_id


def test_split_by_domain(patched, memtracer, server, monkeypatch):
    monkeypatch.setitem(config.requests, "split_by_domain", True)
    requests.get(server.url("/x"))
    assert _one(memtracer).service == "127.0.0.1:%d" % server.port


def test_service_from_config(patched, memtracer, server, monkeypatch):
    monkeypatch.setitem(config.requests, "service", "payments-api")
    requests.get(server.url("/x"))
    assert _one(memtracer).service == "payments-api"


def test_service_mapping(patched, memtracer, server, monkeypatch):
    monkeypatch.setattr(config, "service_mapping", {"requests": "outbound-http"})
    requests.get(server.url("/x"))
    assert _one(memtracer).service == "outbound-http"


def test_pin_on_a_session(patched, memtracer, server):
    session = requests.Session()
    Pin.override(session, service="billing-api", tags={"team": "billing"})
    session.get(server.url("/x"))
    requests.get(server.url("/y"))
    pinned, other = memtracer.spans()
    assert pinned.service == "billing-api"
    assert pinned.get_tag("team") == "billing"
    assert other.service == "requests"


def test_session_subclasses_are_traced_once(patched, memtracer, server):
    class Plain(requests.Session):
        pass

    class Overriding(requests.Session):
        def send(self, request, **kwargs):
            request.headers["X-Custom"] = "1"
            return super().send(request, **kwargs)

    Plain().get(server.url("/plain"))
    Overriding().get(server.url("/overriding"))
    spans = memtracer.spans()
    assert [s.resource for s in spans] == ["GET /plain", "GET /overriding"]
    assert server.received[-1][2]["x-custom"] == "1"


def test_redirects_are_one_span_per_hop(patched, memtracer, server):
    resp = requests.get(server.url("/redirect"))
    assert resp.status_code == 200
    spans = memtracer.spans()
    assert sorted(s.resource for s in spans) == ["GET /final", "GET /redirect"]


def test_query_string_not_kept(patched, memtracer, server, monkeypatch):
    monkeypatch.setitem(config.requests, "trace_query_string", False)
    requests.get(server.url("/q?a=1"))
    assert _one(memtracer).get_tag("http.url") == server.url("/q")


def test_integration_disabled_calls_straight_through(patched, memtracer, server, monkeypatch):
    monkeypatch.setitem(config.requests, "enabled", False)
    assert requests.get(server.url("/off")).status_code == 200
    assert memtracer.spans() == []
    assert "x-datadog-trace-id" not in server.received[-1][2]


def test_tracer_disabled_calls_straight_through(patched, memtracer, server):
    memtracer.tracer.enabled = False
    try:
        assert requests.get(server.url("/off")).status_code == 200
    finally:
        memtracer.tracer.enabled = True
    assert memtracer.spans() == []
    assert "x-datadog-trace-id" not in server.received[-1][2]


def test_tracer_internals_are_not_traced(patched, memtracer, server):
    with suppressed():
        requests.get(server.url("/writer"))
    assert memtracer.spans() == []


def test_internal_error_never_reaches_the_user(patched, memtracer, server, monkeypatch, internal_errors):
    internal_errors.allowed = True

    def broken(*args, **kwargs):
        raise RuntimeError("tagging bug")

    monkeypatch.setattr(_http_client, "tag_request", broken)
    resp = requests.get(server.url("/ok"))
    assert resp.status_code == 200
    assert [what for what, _ in internal_errors.errors] == ["tagging a requests span"]
    span = _one(memtracer)
    assert span.duration_ns is not None
    assert span.get_tag("http.status_code") == "200"


def test_start_failure_still_sends_the_request(patched, memtracer, server, monkeypatch, internal_errors):
    internal_errors.allowed = True

    def broken(*args, **kwargs):
        raise RuntimeError("start bug")

    monkeypatch.setattr(_http_client, "start_span", broken)
    assert requests.get(server.url("/ok")).status_code == 200
    assert memtracer.spans() == []
    assert len(internal_errors.errors) == 1


def test_traced_session_without_patching(memtracer, server):
    from ddtrace.contrib.requests import TracedSession
    from ddtrace.contrib.requests import patch as requests_patch

    assert not requests_patch.integration.is_patched()
    TracedSession().get(server.url("/traced"))
    requests.get(server.url("/plain"))
    (span,) = memtracer.spans()
    assert span.resource == "GET /traced"


def test_traced_session_is_not_traced_twice_when_patched(patched, memtracer, server):
    from ddtrace.contrib.requests import TracedSession

    TracedSession().get(server.url("/traced"))
    assert len(memtracer.spans()) == 1
