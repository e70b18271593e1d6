"""The ASGI application of the test project (``django.core.asgi``)."""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", __name__.rsplit(".", 1)[0] + ".settings")

from django.core.asgi import get_asgi_application  # noqa: E402

application = get_asgi_application()
