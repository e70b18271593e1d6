"""The urllib3 integration against a real local HTTP server."""
import pytest
import urllib3

from ddtrace.settings import config
from ddtrace.trace import Pin
from tests.contrib.kit import free_port


@pytest.fixture
def pool(http_server):
    return urllib3.PoolManager()


def _one(spans):
    got = spans()
    assert len(got) == 1, got
    return got[0]


def test_request_span(patched, spans, http_server, pool):
    resp = pool.request("GET", http_server.url("/items?password=hunter2&page=2"), headers={"User-Agent": "ua/1"})
    assert resp.status == 200
    span = _one(spans)
    assert span.name == "urllib3.request"
    assert span.service == "urllib3"
    assert span.resource == "urllib3.request"
    assert span.span_type == "http"
    assert span.error == 0
    assert span.get_tag("component") == "urllib3"
    assert span.get_tag("span.kind") == "client"
    assert span.get_tag("http.method") == "GET"
    assert span.get_tag("http.status_code") == "200"
    assert span.get_tag("out.host") == "127.0.0.1"
    assert span.get_tag("server.address") == "127.0.0.1"
    assert span.get_tag("http.useragent") == "ua/1"
    assert span.get_metric("network.destination.port") == http_server.port
    url = span.get_tag("http.url")
    assert url.startswith(http_server.url("/items?"))
    assert "hunter2" not in url and "page=2" in url


def test_5xx_is_an_error_4xx_is_not(patched, spans, http_server, pool):
    pool.request("GET", http_server.url("/status/404"))
    pool.request("GET", http_server.url("/status/500"), retries=False)
    not_found, failed = spans()
    assert (not_found.error, failed.error) == (0, 1)
    assert failed.get_tag("http.status_code") == "500"


def test_connection_refused(patched, spans):
    pool = urllib3.PoolManager()
    with pytest.raises(urllib3.exceptions.MaxRetryError):
        pool.request("GET", "http://127.0.0.1:%d/" % free_port(), retries=0)
    span = _one(spans)
    assert span.error == 1
    assert span.get_tag("error.type") == "urllib3.exceptions.MaxRetryError"
    assert span.duration_ns is not None


def test_retries_remaining(patched, spans, http_server, pool):
    pool.request("GET", http_server.url("/r"), retries=urllib3.Retry(total=3))
    span = _one(spans)
    # A string tag, as PyPI ddtrace sends it.
    assert span.get_tag("http.retries_remain") == "3"
    assert span.get_metric("http.retries_remain") is None


def test_distributed_headers_and_callers_dict_untouched(patched, spans, http_server, pool):
    headers = {"X-Mine": "1"}
    pool.request("GET", http_server.url("/dt"), headers=headers)
    span = _one(spans)
    received = http_server.received[-1][2]
    assert received["x-mine"] == "1"
    assert received["x-datadog-trace-id"] == str(span.trace_id & 0xFFFFFFFFFFFFFFFF)
    assert received["x-datadog-parent-id"] == str(span.span_id)
    assert headers == {"X-Mine": "1"}


def test_pool_default_headers_untouched(patched, spans, http_server):
    pool = urllib3.HTTPConnectionPool("127.0.0.1", http_server.port, headers={"X-Pool": "p"})
    pool.urlopen("GET", "/a")
    pool.urlopen("GET", "/b")
    first, second = spans()
    assert http_server.received[-1][2]["x-pool"] == "p"
    assert http_server.received[-1][2]["x-datadog-parent-id"] == str(second.span_id)
    assert "x-datadog-trace-id" not in pool.headers


def test_distributed_tracing_off(patched, spans, http_server, pool, monkeypatch):
    monkeypatch.setitem(config.urllib3, "distributed_tracing", False)
    pool.request("GET", http_server.url("/dt"))
    _one(spans)
    assert "x-datadog-trace-id" not in http_server.received[-1][2]


def test_split_by_domain_and_service(patched, spans, http_server, pool, monkeypatch):
    monkeypatch.setitem(config.urllib3, "split_by_domain", True)
    pool.request("GET", http_server.url("/a"))
    assert _one(spans).service == "127.0.0.1:%d" % http_server.port
    monkeypatch.setitem(config.urllib3, "split_by_domain", False)
    monkeypatch.setitem(config.urllib3, "service", "search")
    pool.request("GET", http_server.url("/a"))
    assert _one(spans).service == "search"


def test_pin_on_a_pool(patched, spans, http_server):
    pool = urllib3.HTTPConnectionPool("127.0.0.1", http_server.port)
    Pin.override(pool, service="pinned")
    pool.urlopen("GET", "/a")
    assert _one(spans).service == "pinned"


def test_redirect_is_a_child_span(patched, spans, http_server):
    pool = urllib3.HTTPConnectionPool("127.0.0.1", http_server.port)
    resp = pool.urlopen("GET", "/redirect", redirect=True)
    assert resp.status == 200
    first, second = spans()
    assert second.parent_id == first.span_id
    assert first.get_tag("http.url").endswith("/redirect")
    assert second.get_tag("http.url").endswith("/final")


def test_nested_under_requests_keeps_the_outer_headers(spans, http_server):
    import requests

    from ddtrace.contrib.requests import patch as rp
    from ddtrace.contrib.urllib3 import patch as up

    rp.patch()
    up.patch()
    try:
        requests.get(http_server.url("/nested"))
    finally:
        up.unpatch()
        rp.unpatch()
    outer, inner = spans()
    assert (outer.name, inner.name) == ("requests.request", "urllib3.request")
    assert inner.parent_id == outer.span_id
    # The remote service's parent is the outermost client span.
    assert http_server.received[-1][2]["x-datadog-parent-id"] == str(outer.span_id)


def test_disabled(patched, spans, http_server, pool, monkeypatch):
    monkeypatch.setitem(config.urllib3, "enabled", False)
    assert pool.request("GET", http_server.url("/a")).status == 200
    assert spans() == []
