import pytest

from ddtrace.settings import config
from ddtrace.settings._env import DEFAULT_QUERY_STRING_REGEXP
from tests.contrib.kit import integration_of


@pytest.fixture(autouse=True)
def _defaults(monkeypatch):
    # The shell's DD_* variables must not change what the tests see.
    monkeypatch.setattr(config, "_obfuscation_query_string_regexp", DEFAULT_QUERY_STRING_REGEXP)
    monkeypatch.setattr(config, "_http_server_error_statuses", frozenset(range(500, 600)))
    monkeypatch.setattr(config, "_http_server_tag_query_string", True)
    monkeypatch.setattr(config, "http_header_tags", {})
    monkeypatch.setattr(config, "service", None)
    from ddtrace.contrib.flask.patch import integration

    flask_config = integration.config  # registers the integration's defaults first
    saved = dict(flask_config.items())
    yield
    for key in list(flask_config.keys()):
        if key not in saved:
            del flask_config[key]
    flask_config.update(saved)


@pytest.fixture
def patched(patched):
    """Flask (the kit's fixture) and Jinja2, which renders its templates."""
    jinja2 = integration_of("jinja2")
    jinja2.patch()
    yield patched
    jinja2.unpatch()


@pytest.fixture
def app(patched):
    from .support import make_app

    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()
