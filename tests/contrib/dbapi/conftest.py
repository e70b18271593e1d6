import pytest

from ddtrace.contrib import _registry
from ddtrace.contrib._integration import Integration


@pytest.fixture
def integration(monkeypatch):
    """A made-up driver integration, ``testdb``: a registry row of its own (default
    service ``testdb-svc``, no settings of its own) and its Integration object."""
    monkeypatch.setitem(_registry.REGISTRY, "testdb", _registry.Row("testdb", service="testdb-svc"))
    return Integration("testdb")
