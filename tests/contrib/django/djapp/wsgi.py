"""The WSGI application of the test project."""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", __name__.rsplit(".", 1)[0] + ".settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
