"""Run code right after a module is imported, without importing it.

:func:`register_post_import_hook` ``(name, hook)`` calls ``hook(module)`` once the
module ``name`` has finished executing: at once if it is already imported, else from
inside the ``import`` statement that first loads it. This is what lets
``patch_all()`` enable fifty integrations while importing none of their libraries.

How: a finder placed first on ``sys.meta_path`` answers only for names that have
pending hooks. It asks the other finders for the real module spec and wraps the spec's
loader, so the module is created and executed by its own loader; once that succeeded
the module's ``__loader__`` / ``__spec__.loader`` are set back to the original loader
and the hooks run. Every other import costs one dict lookup.

wrapt has its own post-import hooks, but importing wrapt 2.x costs ~100 ms (it pulls
in asyncio and inspect), which ``ddtrace-run`` would pay at start even for a program
that never imports an instrumented library.

A hook that raises is reported through ``report_internal_error`` and never reaches the
importing code: the user's ``import`` always behaves as if ddtrace were not there.
"""
from __future__ import annotations

import sys
import threading

from ddtrace.internal.logger import get_logger
from ddtrace.internal.logger import report_internal_error

log = get_logger(__name__)

_lock = threading.RLock()
#: module name -> hooks waiting for that module's import
_pending = {}
#: modules whose code has run and whose hooks ran or are running: a hook registered
#: for one of them (by one of its hooks, say) runs at once, though importlib still
#: flags the module as initializing until its import statement returns
_executed = set()
_finder = None
_local = threading.local()


def _module_ready(module):
    """False while the module is still executing (imported partway, e.g. circularly)."""
    spec = getattr(module, "__spec__", None)
    return not getattr(spec, "_initializing", False)


def register_post_import_hook(name, hook):
    """Call ``hook(module)`` once module ``name`` is imported (now, if it already is).

    Registering the same hook twice for the same name calls it once. A hook that
    raises is reported and ignored.
    """
    with _lock:
        module = sys.modules.get(name)
        if module is None or not (name in _executed or _module_ready(module)):
            hooks = _pending.setdefault(name, [])
            if hook not in hooks:
                hooks.append(hook)
            _install()
            return
    _run_hooks(module, [hook])


def unregister_post_import_hook(name, hook):
    """Forget ``hook`` for ``name`` if it has not run yet. True if it was pending."""
    with _lock:
        hooks = _pending.get(name)
        if not hooks or hook not in hooks:
            return False
        hooks.remove(hook)
        if not hooks:
            del _pending[name]
        return True


def pending_hooks(name):
    """The hooks still waiting for module ``name`` (a copy)."""
    with _lock:
        return list(_pending.get(name, ()))


def _run_hooks(module, hooks):
    for hook in hooks:
        try:
            hook(module)
        except Exception as e:
            report_internal_error(e, "running the post-import hook %r for module %r" % (hook, module.__name__))


def _module_executed(name, module):
    with _lock:
        _executed.add(name)
    while True:
        with _lock:
            hooks = _pending.pop(name, None)
        if not hooks:
            return
        _run_hooks(module, hooks)


class _HookedLoader:
    """Delegates to the real loader; runs the hooks after ``exec_module`` succeeds."""

    def __init__(self, loader, name):
        self._dd_loader = loader
        self._dd_name = name

    def __getattr__(self, attr):
        # get_resource_reader, is_package, get_source...: whatever the real one has
        return getattr(self._dd_loader, attr)

    def create_module(self, spec):
        create = getattr(self._dd_loader, "create_module", None)
        return None if create is None else create(spec)

    def exec_module(self, module):
        loader = self._dd_loader
        loader.exec_module(module)
        # Code that inspects ``module.__loader__`` must see the real loader.
        try:
            spec = module.__spec__
            if spec is not None and spec.loader is self:
                spec.loader = loader
            if getattr(module, "__loader__", None) is self:
                module.__loader__ = loader
        except Exception:
            pass
        # The module object the import statement returns is the one in sys.modules,
        # which a module may replace while it executes.
        _module_executed(self._dd_name, sys.modules.get(self._dd_name, module))


class _PostImportFinder:
    """A meta path finder that only answers for modules with pending hooks."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in _pending:
            return None
        busy = getattr(_local, "busy", None)
        if busy is None:
            busy = _local.busy = set()
        if fullname in busy:
            return None
        busy.add(fullname)
        try:
            spec = None
            for finder in list(sys.meta_path):
                if finder is self:
                    continue
                find = getattr(finder, "find_spec", None)
                if find is None:
                    continue
                spec = find(fullname, path, target)
                if spec is not None:
                    break
        finally:
            busy.discard(fullname)
        if spec is None:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module") or isinstance(loader, _HookedLoader):
            return spec
        spec.loader = _HookedLoader(loader, fullname)
        return spec

    def invalidate_caches(self):
        pass


def _install():
    global _finder
    if _finder is None:
        _finder = _PostImportFinder()
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)


# -- waiting for the imports in progress


def _stdlib_names():
    names = getattr(sys, "stdlib_module_names", None)
    if names is None:  # Python 3.9
        import sysconfig

        names = set(sys.builtin_module_names)
        stdlib = sysconfig.get_paths()["stdlib"]
        for name, module in list(sys.modules.items()):
            path = getattr(module, "__file__", None) or ""
            if path.startswith(stdlib) and "site-packages" not in path:
                names.add(name.split(".")[0])
    return names


def stdlib_imports_in_progress(exclude=None):
    """The specs of the standard library modules being imported right now (their code
    has not finished running), other than ``exclude``'s."""
    names = _stdlib_names()
    specs = []
    for name, module in list(sys.modules.items()):
        spec = getattr(module, "__spec__", None)
        if spec is None or not getattr(spec, "_initializing", False) or module is exclude:
            continue
        if name == "site":
            # It imports sitecustomize, which runs users' code: waiting for it would
            # leave that code untraced, and nothing needs site half-way.
            continue
        if name.split(".")[0] in names:
            specs.append(spec)
    return specs


class _Watch:
    """Modules being imported, and what to call once they all have been."""

    __slots__ = ("fn", "waiting")

    def __init__(self, fn):
        self.fn = fn
        self.waiting = set()

    def finished(self, spec):
        with _lock:
            if id(spec) not in self.waiting:
                return
            self.waiting.discard(id(spec))
            if self.waiting:
                return
        try:
            self.fn()
        except Exception as e:
            report_internal_error(e, "running code deferred until an import was over")


_watched_classes = {}


def _watching_class(cls):
    """A subclass of a spec class that notices importlib's ``spec._initializing = False``:
    the moment a module's import is over (its code ran, it is in ``sys.modules``)."""
    watched = _watched_classes.get(cls)
    if watched is None:

        def __setattr__(self, name, value):
            cls.__setattr__(self, name, value)
            if name == "_initializing" and not value:
                _import_finished(self, cls)

        watched = _watched_classes[cls] = type("Watched" + cls.__name__, (cls,), {"__setattr__": __setattr__})
    return watched


def _import_finished(spec, original_class):
    with _lock:
        watches = spec.__dict__.pop("_dd_watches", ())
        try:
            spec.__class__ = original_class
        except TypeError:
            pass
    # importlib binds the module to its parent package right after this; deferred code
    # may already need ``parent.child``.
    parent, _, child = spec.name.rpartition(".")
    module = sys.modules.get(spec.name)
    if parent and module is not None and parent in sys.modules:
        try:
            setattr(sys.modules[parent], child, module)
        except Exception:
            pass
    for watch in watches:
        watch.finished(spec)


def after_imports(specs, fn):
    """Call ``fn()`` once the imports of the modules of ``specs`` (being imported now)
    are all over: for work that cannot run in the middle of them. A post-import hook
    runs inside the import of the module that imported its target, and importing more
    from there may need that half-initialised module (wrapt 2.x imports asyncio, which
    needs ``concurrent.futures``, which imports ``logging``)."""
    watch = _Watch(fn)
    with _lock:
        for spec in specs:
            if not getattr(spec, "_initializing", False):
                continue
            try:
                cls = type(spec)
                if cls not in _watched_classes.values():
                    spec.__class__ = _watching_class(cls)
                spec.__dict__.setdefault("_dd_watches", []).append(watch)
            except Exception as e:
                report_internal_error(e, "waiting for the import of %s" % (spec.name,))
                continue
            watch.waiting.add(id(spec))
        if watch.waiting:
            return
    fn()
