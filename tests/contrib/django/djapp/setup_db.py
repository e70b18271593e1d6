"""Create the tables of the test project and its fixtures (once per process)."""

_done = False


def setup():
    """``django.setup()``, the tables (``migrate --run-syncdb``), one book and one user."""
    global _done
    if _done:
        return
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, verbosity=0)
    from .models import Book

    Book.objects.all().delete()
    Book.objects.create(pk=1, title="Dune")
    User.objects.filter(username="ann").delete()
    User.objects.create_user("ann", password="pw")
    _done = True
