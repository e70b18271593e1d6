"""Imported as ``sitecustomize`` in programs started by ``ddtrace-run``.

Starts ddtrace (:func:`ddtrace.bootstrap.start`), then imports the program's own
``sitecustomize`` if one exists further down ``sys.path``, as Python would have
without ``ddtrace-run``.
"""
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))


def _same_dir(path):
    try:
        return os.path.abspath(path or os.getcwd()) == _HERE
    except Exception:
        return False


def _start():
    try:
        from ddtrace.bootstrap import start
    except Exception as e:  # ddtrace is not importable by this interpreter
        if os.environ.get("DD_TRACE_DEBUG", "").strip().lower() in ("1", "true", "yes", "on"):
            sys.stderr.write("ddtrace: not started in %s: %r\n" % (sys.executable, e))
        return
    start()


def _run_user_sitecustomize():
    """Import the next ``sitecustomize`` on ``sys.path``, as the real one."""
    import importlib

    this = sys.modules.pop("sitecustomize", None)
    saved_path = list(sys.path)
    # Our directory stays out of sys.path in this process: it must not shadow
    # anything. Child processes still get it through PYTHONPATH.
    sys.path[:] = [p for p in sys.path if not _same_dir(p)]
    try:
        importlib.import_module("sitecustomize")
    except ImportError as e:
        if e.name != "sitecustomize":
            raise  # the user's sitecustomize is broken: Python reports it as usual
        if this is not None:
            sys.modules["sitecustomize"] = this
    except BaseException:
        sys.modules.pop("sitecustomize", None)
        raise
    finally:
        # Anything the user's sitecustomize added to sys.path is kept.
        added = [p for p in sys.path if p not in saved_path]
        sys.path[:] = [p for p in saved_path if not _same_dir(p)] + added


_start()
_run_user_sitecustomize()
