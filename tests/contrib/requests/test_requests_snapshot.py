"""Snapshot of the requests integration's spans, sent through the test agent."""
import pytest
import requests

from tests.contrib.kit import free_port

# Ports change on every run; the user agent carries the installed requests version.
IGNORES = ["meta.http.url", "metrics.network.destination.port", "meta.http.useragent", "meta.error.message"]


@pytest.mark.snapshot(ignores=IGNORES)
def test_requests(patched, http_server):
    from ddtrace.trace import tracer

    with tracer.trace("checkout", service="shop", resource="POST /checkout"):
        requests.get(http_server.url("/users/1?token=abc"))
        requests.post(http_server.url("/orders"), json={"id": 1})
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get("http://127.0.0.1:%d/down" % free_port())
