"""``import ddtrace.auto``: what ``ddtrace-run`` does, from inside the program.

Make it the first import of the program's entry point, before the libraries to
trace, so they are patched as they are imported (libraries imported earlier are
patched at once, but objects created from them before that are not traced)::

    import ddtrace.auto  # noqa: F401

    import flask
    ...

It enables the default integrations (``patch_all()``, honouring ``DD_PATCH_MODULES``
and ``DD_TRACE_<NAME>_ENABLED``) and turns on debug logs with ``DD_TRACE_DEBUG``.
Importing it twice, or under ``ddtrace-run``, does it once.
"""
from ddtrace.bootstrap import start

start()
