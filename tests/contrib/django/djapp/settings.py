"""Settings of the test project: a SQLite default database, a PostgreSQL alias
(``pg``, 127.0.0.1:5432, db ``test``), a local-memory cache, Django templates, the
usual middleware plus two of our own, and Django REST framework when installed."""
import os
import tempfile

PKG = __name__.rsplit(".", 1)[0]
HERE = os.path.dirname(os.path.abspath(__file__))

try:
    import rest_framework  # noqa: F401

    HAVE_DRF = True
except ImportError:
    HAVE_DRF = False

SECRET_KEY = "not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
ROOT_URLCONF = PKG + ".urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    PKG,
] + (["rest_framework"] if HAVE_DRF else [])

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    PKG + ".middleware.HooksMiddleware",
    PKG + ".middleware.function_middleware",
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        # A file, not :memory:, so threads (ASGI executors) see the same tables.
        "NAME": os.environ.get("DJAPP_SQLITE") or os.path.join(tempfile.gettempdir(), "djapp-%d.sqlite3" % os.getpid()),
    },
    "pg": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "test",
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": "5432",
    },
}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "djapp"}}

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [os.path.join(HERE, "templates")],
        "APP_DIRS": False,
        "OPTIONS": {"context_processors": []},
    }
]

REST_FRAMEWORK = {"UNAUTHENTICATED_USER": None}

LOGGING_CONFIG = None
