"""Snapshot of the FastAPI integration's spans, sent through the test agent."""
import pytest
from fastapi.testclient import TestClient

from ddtrace.settings import config

from .app import make_app


@pytest.mark.snapshot(ignores=["meta._dd.span_links"])  # ids of the linked request
def test_fastapi(patched, monkeypatch):
    monkeypatch.setattr(config, "service", "orders-api")
    client = TestClient(make_app(), raise_server_exceptions=False)
    ua = {"User-Agent": "snapshot/1"}
    client.get("/items/42?token=abc", headers=ua)
    client.get("/v1/outer/mid/inner/files/a/b.txt", headers=ua)
    client.get("/sub/reports/3", headers=ua)
    client.get("/nope", headers=ua)
    client.get("/items/not-a-number", headers=ua)
    client.get("/secure", headers=ua)
    client.get("/boom", headers=ua)
    client.get("/background/7", headers=ua)
    client.get("/stream", headers=ua)
    with client.websocket_connect("/ws/lobby", headers=ua) as ws:
        ws.send_text("hi")
        assert ws.receive_text() == "lobby:hi"
