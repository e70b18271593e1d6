"""Snapshot of the Starlette integration's spans, sent through the test agent."""
import pytest
from starlette.testclient import TestClient

from ddtrace.settings import config

from .app import make_app


@pytest.mark.snapshot(ignores=["meta._dd.span_links"])  # ids of the linked request
def test_starlette(patched, monkeypatch):
    monkeypatch.setattr(config, "service", "shop-web")
    client = TestClient(make_app(gatekeeper=False), raise_server_exceptions=False)
    client.get("/items/42?color=red&token=abc", headers={"User-Agent": "snapshot/1"})
    client.get("/api/users/7", headers={"User-Agent": "snapshot/1"})
    client.get("/no/such/page", headers={"User-Agent": "snapshot/1"})
    client.get("/missing", headers={"User-Agent": "snapshot/1"})
    client.get("/boom", headers={"User-Agent": "snapshot/1"})
    client.get("/background", headers={"User-Agent": "snapshot/1"})
    client.get("/stream", headers={"User-Agent": "snapshot/1"})
    client.get(
        "/",
        headers={
            "User-Agent": "snapshot/1",
            "x-datadog-trace-id": "1234",
            "x-datadog-parent-id": "5678",
            "x-datadog-sampling-priority": "1",
        },
    )
    with client.websocket_connect("/ws/lobby", headers={"User-Agent": "snapshot/1"}) as ws:
        ws.send_text("hello")
        assert ws.receive_text() == "lobby:hello"
