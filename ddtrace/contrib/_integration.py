"""The machinery every integration is built on.

An integration is one registry row (:mod:`ddtrace.contrib._registry`: its modules and
their supported versions, its default service, its settings) and one small folder,
``ddtrace/contrib/<name>/``: ``__init__.py`` holds the user documentation, ``patch.py``
the code that is specific to the library::

    # ddtrace/contrib/mylib/patch.py
    from ddtrace.contrib._integration import Integration
    from ddtrace.ext import SpanKind

    integration = Integration("mylib")            # everything else is in its registry row
    patch, unpatch, get_version = integration.patch, integration.unpatch, integration.version


    @integration.on_import("mylib")               # runs when mylib is imported and patched
    def _patch(mylib):
        integration.wrap(mylib.Client, "call", _traced_call)   # undone by unpatch()


    def _traced_call(wrapped, instance, args, kwargs):      # wrapt's wrapper signature
        pin = integration.pin_of(instance)
        if not integration.should_trace(pin):
            return wrapped(*args, **kwargs)               # disabled: no span work at all
        span = integration.start_span("mylib.call", pin, kind=SpanKind.CLIENT, span_type="http")
        if span is None:                                  # starting it failed: just call
            return wrapped(*args, **kwargs)
        with span:                                        # records the user's exception,
            result = wrapped(*args, **kwargs)             # which propagates unchanged
            with guard("tagging a mylib span"):
                span.set_metric("mylib.rows", len(result))
        return result

The rules that template follows (see ARCHITECTURE.md):

- the user's call happens exactly once, never inside a ``try`` that could swallow or
  replace its exception (``with span:`` records the error and re-raises it as is);
- everything the tracer does around it runs under :func:`guard` (or returns None, like
  :meth:`Integration.start_span`), which reports an internal error through
  ``report_internal_error`` and never lets it reach the user;
- when the integration is disabled (``DD_TRACE_<NAME>_ENABLED=false``,
  ``config.<name>.enabled = False``), the tracer is disabled, or the code runs on
  behalf of the tracer itself (:mod:`ddtrace.internal.suppress`), the wrapper calls
  straight through: :meth:`Integration.should_trace`;
- ``patch()`` twice patches once, ``unpatch()`` restores the original objects, and a
  set-up function that fails halfway undoes what it did (the others stay).

What the framework derives from the row: ``config.<name>`` with the row's settings
(``DD_<NAME>_<KEY>``), the version check of every trigger module before its set-up
runs, post-import hooks for every module named with :meth:`Integration.on_import` (a
library with several modules — ``psycopg2`` and ``psycopg``, ``redis`` and
``redis.asyncio`` — is one integration with several set-up functions), the service
of its spans, and the status ``ddtrace-run --info`` and ``get_patched_modules()`` show.
``patch.py`` is imported only once one of the row's modules is, so it may import
``wrapt`` and the library at module level.
"""
from __future__ import annotations

import sys
import threading

from ddtrace.constants import SPAN_MEASURED_KEY
from ddtrace.contrib._versions import distribution_version  # noqa: F401 (integrations import it here)
from ddtrace.contrib._versions import version_satisfies  # noqa: F401
from ddtrace.ext import COMPONENT
from ddtrace.ext import SPAN_KIND
from ddtrace.ext.net import SERVER_ADDRESS
from ddtrace.ext.net import TARGET_HOST
from ddtrace.ext.net import TARGET_PORT
from ddtrace.internal.logger import get_logger
from ddtrace.internal.logger import report_internal_error
from ddtrace.internal.suppress import _suppressed
from ddtrace.settings import config as _global_config
from ddtrace.trace import Pin
from ddtrace.trace import tracer as _global_tracer

log = get_logger(__name__)

#: Attribute set on a patched module, as the PyPI tracer does (some users check it).
PATCHED_ATTR = "_datadog_patch"

_MISSING = object()


class guard:
    """Context manager for tracer work: an exception inside is reported, not raised.

    ``with guard("tagging the response"): span.set_tag(...)``. Never put the user's
    own call inside a guard: its exception must reach the user.
    """

    __slots__ = ("what",)

    def __init__(self, what):
        self.what = what

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        if exc_type is not None and issubclass(exc_type, Exception):
            report_internal_error(exc_val, self.what)
            return True
        return False


class _Wrapped:
    """One attribute replaced by a wrapper, and how to put the original back."""

    __slots__ = ("owner", "attr", "previous", "replacement")

    def __init__(self, owner, attr, previous, replacement):
        self.owner = owner
        self.attr = attr
        self.previous = previous  # the owner's own value, or _MISSING if it was inherited
        self.replacement = replacement

    def restore(self):
        current = vars(self.owner).get(self.attr, _MISSING) if hasattr(self.owner, "__dict__") else _MISSING
        if current is not self.replacement:
            # Someone wrapped on top of us; removing our layer would drop theirs.
            log.debug("%r.%s was re-wrapped by other code; leaving it in place", self.owner, self.attr)
            return
        if self.previous is _MISSING:
            delattr(self.owner, self.attr)
        else:
            setattr(self.owner, self.attr, self.previous)


def _raw_attribute(owner, attr):
    """``(own value or _MISSING, value to wrap)``: class attributes are taken from the
    class dicts along the MRO so staticmethod/classmethod descriptors stay intact."""
    own = _MISSING
    d = getattr(owner, "__dict__", None)
    if d is not None and attr in d:
        own = d[attr]
        return own, own
    if isinstance(owner, type):
        for klass in owner.__mro__:
            if attr in vars(klass):
                return own, vars(klass)[attr]
    return own, getattr(owner, attr)


def wrap(owner, attr, wrapper):
    """Replace ``owner.attr`` with a ``wrapt.FunctionWrapper`` calling
    ``wrapper(wrapped, instance, args, kwargs)``; returns a record for :func:`unwrap`.

    Prefer :meth:`Integration.wrap`, which keeps the record for ``unpatch()``.
    """
    import wrapt

    own, original = _raw_attribute(owner, attr)
    replacement = wrapt.FunctionWrapper(original, wrapper)
    setattr(owner, attr, replacement)
    return _Wrapped(owner, attr, own, replacement)


def unwrap(record):
    """Undo one :func:`wrap`."""
    record.restore()


def is_wrapped(obj):
    """True if ``obj`` is a wrapt wrapper (ours or anyone's)."""
    return hasattr(obj, "__wrapped__") and type(obj).__name__ in ("FunctionWrapper", "BoundFunctionWrapper")


# -- the integration object

#: name -> the Integration object of every integration whose code is loaded
_integrations = {}


def loaded(name):
    """The :class:`Integration` named ``name`` if its code is loaded, else None."""
    return _integrations.get(name)


#: What :attr:`Integration.status` can be.
PATCHED, PENDING, UNSUPPORTED, ERROR, UNPATCHED = "patched", "pending", "unsupported", "error", "unpatched"


class _SetUp:
    """A function to run when ``module`` is imported while the integration is patched."""

    __slots__ = ("module", "fn", "hook", "done")

    def __init__(self, module, fn):
        self.module = module
        self.fn = fn
        self.hook = None  # the post-import hook waiting for the module, if any
        self.done = False


class Integration:
    """One integration: its patch state, settings, and the helpers its wrappers use.

    :param name: the integration's name; its row in :mod:`ddtrace.contrib._registry`
        supplies the rest.
    :param component: the ``component`` tag of its spans (default: ``name``).
    :param row: the :class:`~ddtrace.contrib._registry.Row` to use instead of the
        registry's (tests of the framework itself).
    """

    def __init__(self, name, component=None, row=None):
        from ddtrace.contrib import _registry

        if row is None:
            row = _registry.get(name)
        if row is None:
            raise ValueError("integration %r has no row in ddtrace.contrib._registry" % (name,))
        self.name = name
        self.row = row
        self.component = component or name
        self._setups = []
        self._records = []
        self._undo = []
        self._enabled = False
        # trigger module name -> PATCHED / UNSUPPORTED / ERROR
        self._states = {}
        self._lock = threading.RLock()
        self._config = None
        self._service_cache = (-1, None, None)
        # ddtrace.patch_all() clears it for integrations enabled by default: their
        # problems are debug lines, not warnings.
        self._explicit = True
        _integrations[name] = self

    # -- settings

    @property
    def config(self):
        """``ddtrace.config.<config name>`` (usually the name), with the row's settings declared."""
        cfg = self._config
        if cfg is None:
            row = self.row
            cfg = self._config = _global_config._add(row.config_name, declared=row.settings, aliases=row.aliases)
        return cfg

    def version(self, module=None):
        """The installed version of the library (of ``module``'s library, for an
        integration of several): ``""`` for the standard library, None if missing."""
        from ddtrace.contrib._versions import module_version

        if module is not None:
            trigger = self.row.module(module)
            if trigger is None:
                raise ValueError("%r is not a module of integration %s" % (module, self.name))
            candidates = [trigger]
        else:
            # The libraries already imported first, then those installed.
            candidates = sorted(self.row.modules, key=lambda m: m.name not in sys.modules)
        for trigger in candidates:
            version = module_version(sys.modules.get(trigger.name), trigger.distributions)
            if version is not None:
                return version
        return None

    def _supported(self, trigger):
        """``(ok, version)`` of a trigger module against its row's range."""
        from ddtrace.contrib._versions import version_satisfies

        version = self.version(trigger.name)
        if not trigger.versions or not version:
            return True, version
        try:
            return version_satisfies(version, trigger.versions), version
        except ValueError as e:
            report_internal_error(e, "checking the version of %s" % (trigger.name,))
            return True, version

    # -- patching

    def on_import(self, module):
        """Decorator: call the function with ``module`` once it is imported while the
        integration is patched (at once if both already hold). ``unpatch()`` undoes
        what it wrapped through :meth:`wrap`. A module under one of the row's trigger
        modules runs only if that library's installed version is supported."""

        def register(fn):
            setup = _SetUp(module, fn)
            with self._lock:
                self._setups.append(setup)
                if self._enabled:
                    self._arm(setup)
            return fn

        return register

    def wrap_on_import(self, module, table):
        """Declare what to wrap in ``module`` when it is imported, as a table:
        ``{"ClassName": {"method": wrapper, ...}, ...}`` (``""`` for the module's own
        functions). Methods are wrapped only where the class defines them itself (see
        :meth:`wrap_own`); a class the module does not have is skipped (optional in
        some versions)."""

        def setup(mod):
            for owner_name, methods in table.items():
                owner = getattr(mod, owner_name, None) if owner_name else mod
                if owner is not None:
                    self.wrap_own(owner, methods)

        setup.__name__ = "wrap_" + module.replace(".", "_")
        self.on_import(module)(setup)

    def patch(self):
        """Instrument the library: its modules already imported now, the others when
        they are. Imports the row's libraries that are installed when none is imported
        yet (ImportError if none is installed). Patching twice patches once.

        Returns True if this call turned it on and something was instrumented, or waits
        for its module (an integration whose set-ups are all on submodules not imported
        yet is patched as far as it can be); False if it was on already or every set-up
        failed or found an unsupported version.
        """
        if not any(m.name in sys.modules for m in self.row.modules):
            import importlib

            imported = False
            for trigger in self.row.modules:
                try:
                    importlib.import_module(trigger.name)
                    imported = True
                except ImportError:
                    continue
            if not imported and self.row.modules:
                raise ImportError("%s: none of %s can be imported" % (self.name, ", ".join(self.row.module_names)))
        return self._enable()

    def _enable(self):
        """Turn the integration on without importing anything (``ddtrace.patch`` calls
        this when one of the row's modules is imported). True if it instrumented
        something now or a set-up waits for its module's import."""
        with self._lock:
            if self._enabled:
                return False
            self._enabled = True
            self.config  # the settings exist before the first span
            before = sum(1 for s in self._setups if s.done)
            for setup in list(self._setups):
                self._arm(setup)
            if sum(1 for s in self._setups if s.done) > before:
                return True
            return any(s.hook is not None for s in self._setups)

    def _arm(self, setup):
        from ddtrace.internal.module_hooks import register_post_import_hook

        def hook(module):
            self._apply(setup, module)

        hook.__name__ = hook.__qualname__ = "ddtrace_%s_%s" % (self.name, setup.fn.__name__)
        setup.hook = hook
        register_post_import_hook(setup.module, hook)  # runs now if it is imported

    def _apply(self, setup, module):
        with self._lock:
            if not self._enabled or setup.done or setup.hook is None:
                return
            if "wrapt" not in sys.modules:
                from ddtrace.internal import module_hooks

                busy = module_hooks.stdlib_imports_in_progress(exclude=module)
                if busy:
                    # This runs inside the import of a standard module (concurrent.futures
                    # importing logging) that wrapt may need half-way through its own
                    # imports (wrapt 2.x imports asyncio, which uses concurrent.futures):
                    # set up once those imports are over, as the user's code is not
                    # running meanwhile.
                    module_hooks.after_imports(busy, lambda: self._apply(setup, module))
                    return
            setup.hook = None
            trigger = self.row.module(setup.module)
            if trigger is not None:
                state = self._states.get(trigger.name)
                if state is None:
                    ok, version = self._supported(trigger)
                    if not ok:
                        self._states[trigger.name] = UNSUPPORTED
                        (log.warning if self._explicit else log.debug)(
                            "integration %s not enabled for %s: version %s is installed, supported versions are %s",
                            self.name,
                            trigger.name,
                            version,
                            trigger.versions,
                        )
                        return
                elif state == UNSUPPORTED:
                    return
            mark = len(self._records)
            undo_mark = len(self._undo)
            try:
                setup.fn(module)
            except Exception as e:
                # Undo only this set-up's work: the others stand.
                self._undo_from(mark, undo_mark)
                if trigger is not None:
                    self._states[trigger.name] = ERROR
                report_internal_error(e, "patching %s (%s)" % (self.name, setup.module))
                return
            setup.done = True
            if trigger is not None:
                # A failure of another set-up of this library stays visible.
                self._states.setdefault(trigger.name, PATCHED)
                top = sys.modules.get(trigger.name)
                if top is not None:
                    try:
                        setattr(top, PATCHED_ATTR, True)
                    except Exception:
                        pass
            log.debug("patched %s (%s)", self.name, setup.module)

    def unpatch(self):
        """Restore what was instrumented and stop waiting for modules not imported yet.
        Returns False if it was not patched."""
        from ddtrace.internal.module_hooks import unregister_post_import_hook

        with self._lock:
            if not self._enabled:
                return False
            self._enabled = False
            for setup in self._setups:
                if setup.hook is not None:
                    unregister_post_import_hook(setup.module, setup.hook)
                    setup.hook = None
                setup.done = False
            self._undo_from(0, 0)
            for trigger in self.row.modules:
                top = sys.modules.get(trigger.name)
                if top is not None and getattr(top, PATCHED_ATTR, False):
                    try:
                        setattr(top, PATCHED_ATTR, False)
                    except Exception:
                        pass
            self._states.clear()
            return True

    def is_patched(self):
        """Whether the integration is on and has instrumented at least one module."""
        return self._enabled and any(s.done for s in self._setups)

    @property
    def status(self):
        """:data:`PATCHED`, :data:`PENDING` (on, waiting for an import),
        :data:`UNSUPPORTED` (installed version out of range), :data:`ERROR` (a set-up
        failed) or :data:`UNPATCHED`."""
        if not self._enabled:
            return UNPATCHED
        states = set(self._states.values())
        if ERROR in states:
            return ERROR
        if PATCHED in states or any(s.done for s in self._setups):
            return PATCHED
        if UNSUPPORTED in states:
            return UNSUPPORTED
        return PENDING

    def wrap(self, owner, attr, wrapper):
        """Wrap ``owner.attr`` (see :func:`wrap`) and remember it for ``unpatch()``."""
        record = wrap(owner, attr, wrapper)
        self._records.append(record)
        return record

    def wrap_own(self, owner, table):
        """Wrap the attributes of ``owner`` named in ``table`` (``{attr: wrapper}``)
        that ``owner`` defines itself: an inherited method wrapped on a subclass would
        be traced twice when the parent's is wrapped too."""
        for attr, wrapper in table.items():
            if attr in vars(owner):
                self.wrap(owner, attr, wrapper)

    def on_unpatch(self, fn):
        """Call ``fn()`` on ``unpatch()`` (after the wrappers are removed)."""
        self._undo.append(fn)
        return fn

    def _undo_from(self, mark, undo_mark):
        records, self._records = self._records[mark:], self._records[:mark]
        undo, self._undo = self._undo[undo_mark:], self._undo[:undo_mark]
        for record in reversed(records):
            try:
                record.restore()
            except Exception as e:
                report_internal_error(e, "restoring %s.%s" % (getattr(record.owner, "__name__", record.owner), record.attr))
        for fn in reversed(undo):
            try:
                fn()
            except Exception as e:
                report_internal_error(e, "unpatching %s" % (self.name,))

    # -- tracing decisions

    @staticmethod
    def pin_of(obj):
        """The :class:`~ddtrace.trace.Pin` attached to ``obj`` (or its class), or None."""
        if obj is None:
            return None
        try:
            return Pin.get_from(obj)
        except Exception as e:
            report_internal_error(e, "reading the pin of %s" % (type(obj).__name__,))
            return None

    def should_trace(self, pin=None):
        """False when the wrapper must call straight through: the tracer's own I/O,
        this integration disabled, or the tracer (the pin's, else the global) disabled."""
        if _suppressed.get():
            return False
        try:
            cfg = self._config
            if cfg is None:
                cfg = self.config
            if not cfg.get("enabled", True):
                return False
            t = pin._tracer if pin is not None and pin._tracer is not None else _global_tracer
            return t.enabled
        except Exception as e:
            report_internal_error(e, "deciding whether %s traces" % (self.name,))
            return False

    @staticmethod
    def tracer(pin=None):
        """The tracer to start spans with: the pin's, else the global one."""
        if pin is not None and pin._tracer is not None:
            return pin._tracer
        return _global_tracer

    def service(self, pin=None, inherit=False):
        """The service of a span: the pin's; else ``DD_<NAME>_SERVICE`` /
        ``config.<name>.service`` (or its legacy name ``service_name``); else the row's
        default service (client libraries: ``"redis"``...); else ``DD_SERVICE``.

        ``inherit``: None instead of those two defaults, so the span takes its parent's
        service (``DD_SERVICE`` for a root span).
        """
        if pin is not None and pin.service:
            return pin.service
        # Settings change rarely and every change bumps config._generation: resolve
        # once per change, not once per span.
        gen, service, own = self._service_cache
        if gen != _global_config._generation:
            cfg = self.config
            own = cfg.get("service") or cfg.get("service_name")
            service = own or self.row.service or _global_config.service
            self._service_cache = (_global_config._generation, service, own)
        return own if inherit else service

    def start_span(
        self,
        name,
        pin=None,
        resource=None,
        span_type=None,
        kind=None,
        service=None,
        child_of=None,
        activate=True,
        measured=False,
        host=None,
        port=None,
        component=None,
        inherit_service=False,
    ):
        """Start an integration span the one way every integration does; None if that
        failed (reported), so the wrapper just calls through.

        :param name: the span name (``"redis.command"``).
        :param pin: the pin of the traced object: its tracer, service and tags.
        :param kind: ``span.kind`` (:class:`ddtrace.ext.SpanKind`), if the span has one.
        :param service: overrides :meth:`service`.
        :param child_of: the parent span or Context (default: the active span or context).
        :param activate: make it the active span until it finishes.
        :param measured: compute trace metrics for it (``_dd.measured``).
        :param host: the peer's host (``out.host`` and ``server.address``).
        :param port: the peer's port (``network.destination.port``).
        :param component: overrides the integration's ``component`` tag.
        :param inherit_service: unless the pin or the settings name a service, the
            span takes its parent's (see :meth:`service`).
        """
        try:
            tracer = pin._tracer if pin is not None and pin._tracer is not None else _global_tracer
            if service is None:
                service = self.service(pin, inherit_service)
            if activate and child_of is None:
                span = tracer.trace(name, service=service, resource=resource, span_type=span_type)
            else:
                if child_of is None:
                    child_of = tracer.current_span() or tracer.current_trace_context()
                span = tracer.start_span(
                    name, child_of=child_of, service=service, resource=resource, span_type=span_type, activate=activate
                )
        except Exception as e:
            report_internal_error(e, "starting a %s span" % (name,))
            return None
        # The span exists (and may be active): from here on a failure must not lose it.
        try:
            span.set_tag_str(COMPONENT, component or self.component)
            if kind is not None:
                span.set_tag_str(SPAN_KIND, kind)
            if measured:
                span.set_metric(SPAN_MEASURED_KEY, 1)
            if host:
                host = host if type(host) is str else str(host)
                span.set_tag_str(TARGET_HOST, host)
                span.set_tag_str(SERVER_ADDRESS, host)
            if port:
                span.set_metric(TARGET_PORT, port)
            if pin is not None and pin.tags:
                span.set_tags(pin.tags)
        except Exception as e:
            report_internal_error(e, "tagging a %s span" % (name,))
        return span

    def __repr__(self):
        return "<Integration %s %s>" % (self.name, self.status)
