import pytest

from tests.contrib.kit import HTTPTestServer
from tests.contrib.kit import MemoryTracer


@pytest.fixture
def memtracer():
    t = MemoryTracer()
    yield t
    t.restore()


@pytest.fixture
def server():
    with HTTPTestServer() as s:
        yield s


@pytest.fixture
def patched():
    from ddtrace.contrib.urllib3 import patch

    patch.patch()
    yield patch.integration
    patch.unpatch()
