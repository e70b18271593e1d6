"""Turning exceptions into the error.type / error.message / error.stack tags."""
import ast  # noqa: F401  (traceback imports it on first use on 3.13; see _warm_up)
import traceback

MAX_STACK_CHARS = 5000
MAX_FRAMES = 30


def _type_name(exc_type):
    module = getattr(exc_type, "__module__", None) or "builtins"
    return "%s.%s" % (module, getattr(exc_type, "__qualname__", None) or exc_type.__name__)


def _message(exc_val):
    if exc_val is None:
        return ""
    try:
        return str(exc_val)
    except Exception:
        return "<exception message could not be read>"


def format_exc_info(exc_type, exc_val, exc_tb):
    """(type name, message, stack) for an exception, the stack bounded in size."""
    try:
        stack = "".join(traceback.format_exception(exc_type, exc_val, exc_tb, limit=-MAX_FRAMES))
    except Exception:
        stack = ""
    if len(stack) > MAX_STACK_CHARS:
        stack = "...\n" + stack[-MAX_STACK_CHARS:]
    return _type_name(exc_type), _message(exc_val), stack


def format_stack(limit=None):
    """The caller's stack (most recent last), without this function's own frame."""
    frames = traceback.format_stack()[:-1]
    return "".join(frames[-(limit or MAX_FRAMES):])[-MAX_STACK_CHARS:]


def _warm_up():
    # The first formatting imports what traceback needs on first use (ast, to point at
    # the failing part of a line on 3.13; tokenize, through linecache). This module is
    # itself loaded as a guarded lazy load (ddtrace.internal.lazy), which a fork waits
    # for: those imports happen here, inside it, rather than half-way through the first
    # error of some request while another thread forks.
    def fail(d):
        return d["a"] + d["missing"]

    try:
        fail({"a": 1})
    except KeyError as e:
        format_exc_info(type(e), e, e.__traceback__)
    format_stack()


_warm_up()
