"""Fixtures of the Django suite: the test project (``djapp``) set up once, and Django
patched for every test (the kit's ``patched``)."""
import os
import tempfile

import pytest

# The snapshot plugin, until tests/conftest.py lists "tests.utils.snapshot" in pytest_plugins.
from tests.utils.snapshot import _snapshot_marker  # noqa: F401
from tests.utils.snapshot import pytest_configure  # noqa: F401
from tests.utils.snapshot import pytest_runtest_makereport  # noqa: F401
from tests.utils.snapshot import snapshot  # noqa: F401

SETTINGS = "tests.contrib.django.djapp.settings"
_DB_FILE = os.path.join(tempfile.gettempdir(), "djapp-tests-%d.sqlite3" % os.getpid())

os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
os.environ.setdefault("DJAPP_SQLITE", _DB_FILE)

# Set up at collection time so test modules can import the project's views.
import django  # noqa: E402

django.setup()


@pytest.fixture(scope="session", autouse=True)
def django_project():
    """The project's tables and fixtures; the database file is removed at the end."""
    from tests.contrib.django.djapp import setup_db

    setup_db.setup()
    yield
    from django.db import connections

    connections.close_all()
    for suffix in ("", "-journal", "-wal", "-shm"):
        try:
            os.remove(_DB_FILE + suffix)
        except OSError:
            pass


@pytest.fixture(autouse=True)
def _patched(request):
    # Every test but the lifecycle ones (fresh interpreters) runs patched.
    if request.node.get_closest_marker("subprocess") is None:
        request.getfixturevalue("patched")


@pytest.fixture
def djconfig(monkeypatch):
    """Set ``config.django`` values for one test: ``djconfig(instrument_caches=True)``."""
    from ddtrace.settings import config

    def set_values(**values):
        for key, value in values.items():
            monkeypatch.setitem(config.django, key, value)

    return set_values


@pytest.fixture
def client():
    from django.test import Client

    return Client()
