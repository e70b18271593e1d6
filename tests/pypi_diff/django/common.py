"""What the django scenarios share: the test project of ``tests/contrib/django/djapp``
(imported as the top-level package ``djapp``), its SQLite database created by an
untraced child process (so the migrations' queries are not part of the comparison),
and a helper that prints each response's status for the captured output."""
import atexit
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT_PARENT = os.path.normpath(os.path.join(HERE, "..", "..", "contrib", "django"))


def setup():
    """Point Django at ``djapp``, create its database (untraced), ``django.setup()``."""
    if PROJECT_PARENT not in sys.path:
        sys.path.insert(0, PROJECT_PARENT)
    os.environ["DJANGO_SETTINGS_MODULE"] = "djapp.settings"
    fd, db = tempfile.mkstemp(prefix="pypi-diff-djapp-", suffix=".sqlite3")
    os.close(fd)
    os.environ["DJAPP_SQLITE"] = db
    atexit.register(os.remove, db)
    env = dict(os.environ, DD_TRACE_ENABLED="false", PYTHONPATH=os.pathsep.join([HERE, PROJECT_PARENT]))
    code = "import django; django.setup(); from djapp import setup_db; setup_db.setup()"
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    import django

    django.setup()


def show(label, response):
    print("RESULT %s %s" % (label, response.status_code))
