"""Fixtures every integration's tests share: see :mod:`tests.contrib.kit`."""
import os

import pytest

from tests.contrib.kit import HTTPTestServer
from tests.contrib.kit import SpanCapture
from tests.contrib.kit import integration_of


@pytest.fixture
def spans():
    """``spans()`` pops the spans the global tracer finished during the test."""
    capture = SpanCapture()
    try:
        yield capture
    finally:
        capture.restore()


@pytest.fixture
def integration_name(request):
    """The integration under test: the module's ``INTEGRATION``, else its folder's name."""
    name = getattr(request.module, "INTEGRATION", None)
    if name:
        return name
    path = os.path.dirname(str(request.node.fspath))
    return os.path.basename(path)


@pytest.fixture
def patched(integration_name):
    """The integration patched for the test (and unpatched after it)."""
    integration = integration_of(integration_name)
    integration.patch()
    try:
        yield integration
    finally:
        integration.unpatch()


@pytest.fixture
def http_server():
    """A local HTTP server answering every request (see :class:`HTTPTestServer`)."""
    with HTTPTestServer() as server:
        yield server
