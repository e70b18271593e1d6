import pytest

from tests.contrib.httplib.support import MemoryTracer


@pytest.fixture
def memtracer():
    t = MemoryTracer()
    yield t
    t.restore()


@pytest.fixture
def patched():
    from ddtrace.contrib.futures import patch

    patch.patch()
    yield patch.integration
    patch.unpatch()
