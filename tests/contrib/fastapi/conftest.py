import pytest

from ddtrace.settings import config
from ddtrace.settings._env import DEFAULT_QUERY_STRING_REGEXP
from tests.contrib.kit import integration_of

from . import app as app_module


@pytest.fixture(autouse=True)
def _defaults(monkeypatch):
    monkeypatch.setattr(config, "_obfuscation_query_string_regexp", DEFAULT_QUERY_STRING_REGEXP)
    monkeypatch.setattr(config, "_http_server_error_statuses", frozenset(range(500, 600)))
    monkeypatch.setattr(config, "http_header_tags", {})
    monkeypatch.setattr(config, "service", None)
    for key in app_module.seen:
        app_module.seen[key] = []


@pytest.fixture
def starlette_patched():
    """The Starlette integration patched too (FastAPI shares its hooks)."""
    integration = integration_of("starlette")
    integration.patch()
    yield integration
    integration.unpatch()


@pytest.fixture
def client(patched):
    from fastapi.testclient import TestClient

    return TestClient(app_module.make_app(), raise_server_exceptions=False)
