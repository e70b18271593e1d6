"""The tracer's own logging: lazy, rate-limited per call site, never raising.

``import logging`` costs several milliseconds, so it is imported on the first record
that will actually be emitted. Warnings and errors from one call site (file and line)
are emitted at most once per ``DD_TRACE_LOGGING_RATE`` seconds (default 60); the
count of records skipped meanwhile is appended to the next one. ``DD_TRACE_DEBUG=true``
turns debug output on for the ``ddtrace`` logger.

Internal errors caught by guards go through ``report_internal_error``: it logs them
and calls the hooks in ``internal_error_hooks`` (the test suite installs one that
turns every swallowed error into a test failure).
"""
import os
import sys
import time

from ddtrace.internal import lazy

DEBUG, INFO, WARNING, ERROR = 10, 20, 30, 40

_env_rate = os.environ.get("DD_TRACE_LOGGING_RATE", "60")
try:
    RATE_LIMIT_SECONDS = max(0.0, float(_env_rate))
except ValueError:
    RATE_LIMIT_SECONDS = 60.0

_debug_env = os.environ.get("DD_TRACE_DEBUG", "").strip().lower() in ("1", "true", "yes", "on")

#: Called as hook(exc, what) for every internal error a guard swallowed.
internal_error_hooks = []

_loggers = {}
_configured = False


def _logging():
    global _configured
    logging = lazy.load("logging")
    if not _configured:
        _configured = True
        if _debug_env:
            enable_debug()
    return logging


def enable_debug():
    """Send the ddtrace logger's debug output to stderr (what DD_TRACE_DEBUG=true does)."""
    global _debug_env
    _debug_env = True
    logging = _logging()
    root = logging.getLogger("ddtrace")
    root.setLevel(logging.DEBUG)
    if not any(getattr(h, "_ddtrace_debug", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(name)s] %(message)s"))
        handler._ddtrace_debug = True
        root.addHandler(handler)


class DDLogger:
    """A ``logging.Logger`` look-alike that imports logging only when it must."""

    __slots__ = ("name", "_logger", "_sites")

    def __init__(self, name):
        self.name = name
        self._logger = None
        self._sites = {}

    def _get(self):
        if self._logger is None:
            self._logger = _logging().getLogger(self.name)
        return self._logger

    def isEnabledFor(self, level):
        if "logging" not in sys.modules and not _debug_env:
            # Nobody configured logging: only warnings and errors can be shown (lastResort).
            if level < WARNING:
                return False
        return self._get().isEnabledFor(level)

    def _emit(self, level, msg, args, kwargs, limited):
        try:
            if not self.isEnabledFor(level):
                return
            if limited and RATE_LIMIT_SECONDS > 0:
                frame = sys._getframe(2)
                site = (frame.f_code.co_filename, frame.f_lineno)
                now = time.monotonic()
                last, skipped = self._sites.get(site, (None, 0))
                if last is not None and now - last < RATE_LIMIT_SECONDS:
                    self._sites[site] = (last, skipped + 1)
                    return
                self._sites[site] = (now, 0)
                if skipped:
                    msg = "%s [%d skipped]" % (msg, skipped)
            kwargs.setdefault("stacklevel", 3)
            self._get().log(level, msg, *args, **kwargs)
        except Exception:  # logging must never hurt the application
            pass

    def debug(self, msg, *args, **kwargs):
        if "logging" not in sys.modules and not _debug_env:
            return
        self._emit(DEBUG, msg, args, kwargs, False)

    def info(self, msg, *args, **kwargs):
        self._emit(INFO, msg, args, kwargs, False)

    def warning(self, msg, *args, **kwargs):
        self._emit(WARNING, msg, args, kwargs, True)

    warn = warning

    def warning_always(self, msg, *args, **kwargs):
        """A warning that the per-call-site rate limit never swallows (for messages
        the caller limits itself, or that must not be lost)."""
        self._emit(WARNING, msg, args, kwargs, False)

    def error(self, msg, *args, **kwargs):
        self._emit(ERROR, msg, args, kwargs, True)

    def exception(self, msg, *args, **kwargs):
        kwargs.setdefault("exc_info", True)
        self._emit(ERROR, msg, args, kwargs, True)


def get_logger(name):
    logger = _loggers.get(name)
    if logger is None:
        logger = _loggers[name] = DDLogger(name)
    return logger


_log = get_logger("ddtrace.internal")


def report_internal_error(exc, what):
    """Log an error the tracer caught so the application never sees it."""
    for hook in list(internal_error_hooks):
        try:
            hook(exc, what)
        except Exception:
            pass
    _log.error("internal error while %s: %r", what, exc, exc_info=exc)
