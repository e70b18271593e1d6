import pytest

from ddtrace.settings import config
from tests.contrib.httplib.support import MemoryTracer


@pytest.fixture(autouse=True)
def _defaults(monkeypatch):
    from ddtrace.contrib.jinja2.patch import integration

    monkeypatch.setattr(config, "service", None)
    cfg = integration.config  # registers the integration's defaults first
    saved = dict(cfg.items())
    yield
    for key in list(cfg.keys()):
        if key not in saved:
            del cfg[key]
    cfg.update(saved)


@pytest.fixture
def memtracer():
    t = MemoryTracer()
    yield t
    t.restore()


@pytest.fixture
def patched():
    from ddtrace.contrib.jinja2 import patch as jinja2_patch

    jinja2_patch.patch()
    yield jinja2_patch.integration
    jinja2_patch.unpatch()
