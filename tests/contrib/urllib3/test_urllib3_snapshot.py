"""Snapshot of the urllib3 integration's spans, sent through the test agent."""
import pytest
import urllib3

IGNORES = ["meta.http.url", "metrics.network.destination.port"]


@pytest.mark.snapshot(ignores=IGNORES)
def test_urllib3(patched, http_server):
    pool = urllib3.PoolManager()
    pool.request("GET", http_server.url("/items?page=2"), retries=urllib3.Retry(total=2))
    pool.request("GET", http_server.url("/redirect"))
