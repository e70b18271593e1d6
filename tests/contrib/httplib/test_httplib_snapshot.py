"""Snapshot of the httplib integration's spans, sent through the test agent."""
import http.client

import pytest

from tests.contrib.kit import free_port

IGNORES = ["meta.http.url", "metrics.network.destination.port", "meta.error.message"]


@pytest.mark.snapshot(ignores=IGNORES)
def test_httplib(patched, http_server):
    from ddtrace.trace import tracer

    with tracer.trace("job", service="worker"):
        conn = http.client.HTTPConnection("127.0.0.1", http_server.port)
        conn.request("GET", "/a?b=1")
        conn.getresponse().read()
        conn.close()
    with pytest.raises(ConnectionRefusedError):
        http.client.HTTPConnection("127.0.0.1", free_port()).request("GET", "/down")
