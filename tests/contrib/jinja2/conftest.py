import pytest

from ddtrace.settings import config


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
