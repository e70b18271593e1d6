"""Snapshot of DDWSGIMiddleware's spans under a real wsgiref server."""
import http.client

import pytest

from ddtrace.contrib.wsgi import DDWSGIMiddleware
from ddtrace.settings import config
from ddtrace.settings._env import DEFAULT_QUERY_STRING_REGEXP

from .test_wsgi import serve  # noqa: F401 - fixture


def app(environ, start_response):
    if environ["PATH_INFO"] == "/error":
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
        return [b"failed"]
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Request-Id", "r-1")])
    return [b"hello"]


def request(port, path, headers):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        # A fixed Host keeps the random port out of http.url.
        conn.putrequest("GET", path, skip_host=True)
        conn.putheader("Host", "testserver")
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


@pytest.mark.snapshot(wait_for_num_traces=2)
def test_wsgi_middleware(serve, monkeypatch):  # noqa: F811
    monkeypatch.setattr(config, "_obfuscation_query_string_regexp", DEFAULT_QUERY_STRING_REGEXP)
    monkeypatch.setattr(config, "_http_server_error_statuses", frozenset(range(500, 600)))
    monkeypatch.setattr(config, "http_header_tags", {"x-request-id": ""})
    config.service = "wsgi-app"
    port = serve(DDWSGIMiddleware(app))
    assert request(port, "/hello?name=ann&api_key=secret", {"User-Agent": "snapshot-client"}) == (200, b"hello")
    assert request(
        port,
        "/error",
        {"x-datadog-trace-id": "1234", "x-datadog-parent-id": "5678", "x-datadog-sampling-priority": "1"},
    ) == (500, b"failed")
