"""ddtrace: a low-overhead, drop-in tracer for Python that sends traces to the Datadog Agent.

``from ddtrace import tracer, config, __version__``. Importing this package starts no
thread, opens no connection and imports no library it instruments.
"""
from ddtrace.version import __version__
from ddtrace.settings import config
from ddtrace.trace import tracer
from ddtrace.trace import Pin

__all__ = ["__version__", "config", "tracer", "Pin", "patch", "patch_all"]


def __getattr__(name):
    # patch/patch_all load the integration machinery on first use, so that
    # ``import ddtrace`` stays cheap.
    if name in ("patch", "patch_all"):
        from ddtrace.internal import lazy

        value = getattr(lazy.load("ddtrace._monkey"), name)
        globals()[name] = value
        return value
    raise AttributeError("module 'ddtrace' has no attribute %r" % (name,))
