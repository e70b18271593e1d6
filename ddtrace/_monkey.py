"""Turn integrations on: ``ddtrace.patch(...)``, ``ddtrace.patch_all(...)``, ``unpatch``.

Patching waits for the library: each requested integration registers a post-import
hook on the modules that trigger it (see :mod:`ddtrace.contrib._registry`), so this
module imports no instrumented library, and a library that is already imported is
patched at once. The hook checks the installed version against the range in the
integration's registry row before loading its code. Nothing here raises into the application: a
problem with an integration the user named is a warning, with one
``patch_all()`` did on its own a debug line.
"""
from __future__ import annotations

import os
import sys
import threading

from ddtrace.contrib import _registry
from ddtrace.internal.logger import get_logger
from ddtrace.internal.logger import report_internal_error
from ddtrace.settings._config import first_report

log = get_logger(__name__)

_lock = threading.RLock()
#: integration name -> the hook registered for it (so asking twice registers once)
_hooks = {}
#: integration name -> hook of its patch module (see _on_patch_module_import)
_resume_hooks = {}
#: integration name -> library module imported while its patch module was still
#: executing (that import came from the patch module itself): patched when it is done
_deferred = {}
#: integration name -> whether the user named it (warn rather than debug on problems)
_explicit = {}
#: integration name -> what happened before its code was loaded: "pending",
#: "unsupported" or "error" (once loaded, the Integration object's status is the truth)
_status = {}

#: ``{integration: enabled by default}`` for the integrations ``patch_all()`` can
#: enable (the name the PyPI tracer uses; the registry is the source).
PATCH_MODULES = _registry.defaults()

def _env_name(name):
    return "".join(c if c.isalnum() else "_" for c in name).upper()


def _parse_bool(text, what):
    from ddtrace.internal.lazy import load

    try:
        return load("ddtrace.settings._parse").parse_bool(str(text))
    except ValueError as e:
        if first_report(what, text):  # the integration's settings read it too
            log.warning("%s: %r is not a boolean (%s); ignored", what, text, e)
        return None


def _parse_patch_modules(text):
    """``DD_PATCH_MODULES="flask:true,redis:false"`` (commas or spaces) -> dict."""
    result = {}
    for item in str(text).replace(",", " ").split():
        name, sep, value = item.partition(":")
        name = name.strip()
        if not sep or not name:
            log.warning("DD_PATCH_MODULES: %r is not <integration>:<true|false>; ignored", item)
            continue
        enabled = _parse_bool(value, "DD_PATCH_MODULES entry %r" % (name,))
        if enabled is not None:
            result[name] = enabled
    return result


def _report(name, explicit, msg, *args):
    if explicit:
        # Not through the rate-limited logger: one call site reports every
        # integration, and each of these warnings happens once per process.
        import logging

        logging.getLogger(__name__).warning(msg, *args)
    else:
        log.debug(msg, *args)


def _library_present(module):
    """Whether the top-level package of ``module`` can be found (imports nothing).

    What ``importlib.util.find_spec`` does for a top-level name, without importing
    ``importlib.util`` (a few milliseconds at start-up)."""
    top = module.split(".")[0]
    if top in sys.modules:
        return True
    for finder in list(sys.meta_path):
        find = getattr(finder, "find_spec", None)
        if find is None:
            continue
        try:
            if find(top, None) is not None:
                return True
        except Exception:
            continue
    return False


def _patch_module_name(name):
    return "ddtrace.contrib.%s.patch" % name


def _patch_module_of(name):
    import importlib

    return importlib.import_module(_patch_module_name(name))


def _unsupported(row, module):
    """``(version, range)`` when the installed version of the row's library that
    ``module`` belongs to is outside the row's range, else None."""
    from ddtrace.contrib._versions import module_version
    from ddtrace.contrib._versions import version_satisfies

    trigger = row.module(module.__name__)
    if trigger is None or not trigger.versions:
        return None
    version = module_version(module, trigger.distributions)
    if not version:
        return None
    try:
        if version_satisfies(version, trigger.versions):
            return None
    except ValueError:
        return None
    return version, trigger.versions


def _on_import(name):
    """The post-import hook for integration ``name``: runs when one of its row's
    modules is imported."""

    def hook(module, patch_module_complete=False):
        explicit = _explicit.get(name, False)
        with _lock:
            try:
                unsupported = _unsupported(_registry.get(name), module)
                if unsupported is not None:
                    if name not in _loaded():
                        _status[name] = "unsupported"
                    _report(
                        name,
                        explicit,
                        "integration %s not enabled for %s: %s is installed, supported versions are %s",
                        name,
                        module.__name__,
                        *unsupported,
                    )
                    return
                patch_mod = _patch_module_of(name)
                if not patch_module_complete and getattr(getattr(patch_mod, "__spec__", None), "_initializing", False):
                    # The patch module is what imports the library (someone imported
                    # ddtrace.contrib.<name>.patch first): patch once it is complete.
                    _deferred[name] = module
                    return
                integration = patch_mod.integration
                integration._explicit = explicit
                integration._enable()
                _status.pop(name, None)
            except Exception as e:
                _status[name] = "error"
                report_internal_error(e, "patching integration %s on import of %s" % (name, module.__name__))

    hook.__name__ = hook.__qualname__ = "ddtrace_patch_" + name
    return hook


def _loaded():
    """The Integration objects whose code is loaded (importing nothing else)."""
    mod = sys.modules.get("ddtrace.contrib._integration")
    return getattr(mod, "_integrations", {}) if mod is not None else {}


def _on_patch_module_import(name):
    """The post-import hook of integration ``name``'s own patch module: finishes a
    patching that had to wait for it (see ``_deferred``)."""

    def hook(patch_mod):
        with _lock:
            module = _deferred.pop(name, None)
            library_hook = _hooks.get(name)
        if module is not None and library_hook is not None:
            # Runs as the patch module's import ends: importlib still flags it as
            # initializing, but its code has all run.
            library_hook(module, patch_module_complete=True)

    hook.__name__ = hook.__qualname__ = "ddtrace_resume_patch_" + name
    return hook


def _request(name, explicit):
    from ddtrace.internal.module_hooks import register_post_import_hook

    row = _registry.get(name)
    if row is None:
        _report(name, explicit, "ddtrace.patch: unknown integration %r; see ddtrace-run --info for the list", name)
        return
    if row.kind == _registry.UNSUPPORTED:
        _report(name, explicit, "integration %s is not supported: %s", name, row.notes)
        return
    if row.kind == _registry.MIDDLEWARE:
        _report(name, explicit, "integration %s is not enabled by patching: %s", name, row.notes)
        return
    if not row.implemented:
        _report(name, explicit, "integration %s is not available in this release of ddtrace", name)
        return
    with _lock:
        if explicit:
            _explicit[name] = True
        if name in _hooks:
            return
        if not any(_library_present(m) for m in row.module_names):
            _report(name, explicit, "integration %s: %s is not installed; it will be patched if it is imported", name, row.library)
        hook = _hooks[name] = _on_import(name)
        _status.setdefault(name, "pending")
        resume = _resume_hooks[name] = _on_patch_module_import(name)
    register_post_import_hook(_patch_module_name(name), resume)
    for module in row.module_names:
        register_post_import_hook(module, hook)


def patch(raise_errors=True, **modules):
    """Enable integrations by name: ``ddtrace.patch(flask=True, redis=True)``.

    Each integration is patched when its library is imported (now, if it already
    is); a name set to False is left alone. Problems (unknown name, library not
    installed, unsupported version) are logged as warnings, never raised.
    ``raise_errors`` is accepted for compatibility and ignored.
    """
    try:
        for name, enabled in modules.items():
            if enabled:
                _request(name, explicit=True)
    except Exception as e:
        report_internal_error(e, "enabling integrations %r" % (sorted(modules),))


def _enabled_set(overrides, environ=None):
    """``{name: enabled}`` as ``patch_all`` resolves it: the registry's defaults, then
    ``DD_TRACE_<NAME>_ENABLED``, then ``DD_PATCH_MODULES``, then ``overrides``; and the
    origin of each decision: ``"default"``, the variable's name, ``"DD_PATCH_MODULES"``
    or ``"code"``."""
    environ = os.environ if environ is None else environ
    enabled = _registry.defaults()
    origins = dict.fromkeys(enabled, "default")
    for name in list(enabled):
        var = "DD_TRACE_%s_ENABLED" % _env_name(name)
        if var in environ:
            value = _parse_bool(environ[var], var)
            if value is not None:
                enabled[name] = value
                origins[name] = var
    if environ.get("DD_PATCH_MODULES"):
        for name, value in _parse_patch_modules(environ["DD_PATCH_MODULES"]).items():
            enabled[name] = value
            origins[name] = "DD_PATCH_MODULES"
    for name, value in overrides.items():
        enabled[name] = bool(value)
        origins[name] = "code"
    return enabled, origins


def patch_all(**overrides):
    """Enable every integration that is on by default (the ones ``ddtrace-run``
    enables), as adjusted by ``DD_TRACE_<NAME>_ENABLED``, ``DD_PATCH_MODULES`` and the
    keyword arguments (``patch_all(redis=False, urllib3=True)``), in that order of
    precedence. Libraries that are not installed are skipped with a debug line.
    """
    try:
        enabled, origins = _enabled_set(overrides)
        for name, on in enabled.items():
            if on:
                # Named in code or configuration: problems are worth a warning.
                _request(name, explicit=origins[name] != "default")
    except Exception as e:
        report_internal_error(e, "enabling the default integrations")


def unpatch(*names):
    """Undo ``patch`` for these integrations (all those enabled so far if none are
    named): restore the original functions and forget hooks that have not fired yet."""
    from ddtrace.internal.module_hooks import unregister_post_import_hook

    with _lock:
        targets = list(names) if names else list(_hooks)
        for name in targets:
            hook = _hooks.pop(name, None)
            _explicit.pop(name, None)
            _status.pop(name, None)
            _deferred.pop(name, None)
            resume = _resume_hooks.pop(name, None)
            if resume is not None:
                unregister_post_import_hook(_patch_module_name(name), resume)
            row = _registry.get(name)
            if hook is not None and row is not None:
                for module in row.module_names:
                    unregister_post_import_hook(module, hook)
            # Only an integration whose code is loaded can have patched anything.
            integration = _loaded().get(name)
            if integration is not None:
                try:
                    integration.unpatch()
                except Exception as e:
                    report_internal_error(e, "unpatching integration %s" % (name,))


def get_patched_modules():
    """Names of the integrations patched so far."""
    return sorted(name for name, status in _integration_status().items() if status == "patched")


def _integration_status():
    """``{name: status}`` of the integrations requested or patched so far: "patched",
    "pending" (waiting for the import), "unsupported" (installed version out of
    range) or "error" (its set-up failed: nothing or only part of it is traced)."""
    with _lock:
        result = {name: _status.get(name, "pending") for name in _hooks}
        for name, integration in list(_loaded().items()):
            status = integration.status
            if status != "unpatched":
                result[name] = status
            elif name in _hooks and name not in _status:
                result[name] = "pending"
        return result
