"""Start-up code for ``ddtrace-run`` and ``import ddtrace.auto``.

``ddtrace-run`` puts this directory first on ``PYTHONPATH``, so Python imports
:mod:`ddtrace.bootstrap.sitecustomize` as ``sitecustomize`` at interpreter start; it
calls :func:`start` and then runs the application's own ``sitecustomize``, if there is
one further down ``sys.path``.

Nothing else may live in this directory: every module here is importable as a
top-level module of the traced program.
"""

_started = False


def start():
    """Enable what ``ddtrace-run`` enables, once per process: debug logs when
    ``DD_TRACE_DEBUG`` is set, and the default integrations (``patch_all()``, which
    honours ``DD_PATCH_MODULES`` and ``DD_TRACE_<NAME>_ENABLED``). Never raises."""
    global _started
    if _started:
        return
    _started = True
    try:
        from ddtrace.internal.logger import report_internal_error
    except Exception:  # pragma: no cover - ddtrace itself does not import
        return
    try:
        import os

        if os.environ.get("DD_TRACE_DEBUG", "").strip().lower() in ("1", "true", "yes", "on"):
            from ddtrace.internal.logger import enable_debug

            enable_debug()
        if os.environ.get("DD_TRACE_ENABLED", "true").strip().lower() in ("0", "false", "no", "off"):
            # Tracing off: instrument nothing (spans would be dropped anyway).
            return
        from ddtrace._monkey import patch_all

        patch_all()
    except Exception as e:
        report_internal_error(e, "starting ddtrace (patching the default integrations)")
