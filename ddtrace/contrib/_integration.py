"""The machinery every integration's ``patch.py`` is built on.

An integration is one small folder, ``ddtrace/contrib/<name>/``: ``__init__.py`` holds
the user documentation, ``patch.py`` the code. ``patch.py`` declares one
:class:`Integration` and exposes four names that ``ddtrace.patch()`` /
``patch_all()`` / ``ddtrace-run --info`` rely on::

    # ddtrace/contrib/mylib/patch.py
    import sys

    from ddtrace.contrib._integration import Integration
    from ddtrace.contrib._integration import guard

    integration = Integration("mylib", "mylib", defaults={"service": None})

    #: Versions the integration is tested with (``ddtrace.patch`` checks it first).
    SUPPORTED = {"mylib": ">=1.2,<3"}


    def get_version():
        return integration.version()


    def patch():
        '''Instrument mylib (imports it). Patching twice patches once.'''
        return integration.patch(_patch)


    def unpatch():
        '''Restore mylib's original functions.'''
        return integration.unpatch()


    def _patch(mylib):
        # Every wrap goes through the integration so unpatch() can undo it.
        integration.wrap(mylib.Client, "call", _traced_call)


    def _traced_call(wrapped, instance, args, kwargs):   # wrapt's wrapper signature
        pin = integration.pin_of(instance)
        if not integration.should_trace(pin):
            return wrapped(*args, **kwargs)              # disabled: no span work at all
        span = None
        with guard("starting a mylib span"):
            span = integration.tracer(pin).trace(
                "mylib.call", service=integration.service(pin, "mylib"), span_type="http"
            )
            span.set_tag("component", "mylib")
        if span is None:                                 # tracer work failed: just call
            return wrapped(*args, **kwargs)
        with span:                                       # records the user's exception,
            result = wrapped(*args, **kwargs)            # which propagates unchanged
            with guard("tagging a mylib span"):
                span.set_tag("mylib.rows", len(result))
        return result

The rules that template follows (see ARCHITECTURE.md):

- the user's call happens exactly once, never inside a ``try`` that could swallow or
  replace its exception (``with span:`` records the error and re-raises it as is);
- everything the tracer does around it runs under :func:`guard`, which reports an
  internal error through ``report_internal_error`` and never lets it reach the user;
- when the integration is disabled (``DD_TRACE_<NAME>_ENABLED=false``,
  ``config.<name>.enabled = False``), the tracer is disabled, or the code runs on
  behalf of the tracer itself (:mod:`ddtrace.internal.suppress`), the wrapper calls
  straight through: :meth:`Integration.should_trace`;
- ``patch()`` twice patches once, ``unpatch()`` restores the original objects, and a
  ``patch()`` that fails halfway undoes what it did.

Integration modules are imported only when their library is (``ddtrace.patch`` uses a
post-import hook), so they may import ``wrapt`` and the library at module level.
"""
from __future__ import annotations

import sys
import threading

from ddtrace.internal.logger import get_logger
from ddtrace.internal.logger import report_internal_error
from ddtrace.internal.suppress import _suppressed
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


# -- versions


def _version_tuple(text):
    """``"2.31.0rc1"`` -> ``(2, 31, 0)``: the leading numeric release segment."""
    parts = []
    for piece in str(text).strip().lstrip("vV").split("."):
        digits = ""
        for ch in piece:
            if ch.isdigit():
                digits += ch
            else:
                break
        if not digits:
            break
        parts.append(int(digits))
        if len(digits) != len(piece):
            break
    return tuple(parts)


def _cmp(a, b):
    n = max(len(a), len(b))
    a = a + (0,) * (n - len(a))
    b = b + (0,) * (n - len(b))
    return (a > b) - (a < b)


_OPS = (">=", "<=", "==", "!=", "~=", ">", "<")


def version_satisfies(version, spec):
    """Whether ``version`` (a string) satisfies ``spec`` like ``">=1.2,<3"``.

    Supports ``>= <= > < == != ~=`` and ``==1.2.*``; pre-release and local suffixes
    are ignored (``2.0rc1`` counts as ``2.0``). An empty spec accepts everything; a
    version with no number (unknown) is accepted too, since refusing to trace an
    unusual build is worse than tracing it.
    """
    v = _version_tuple(version)
    if not v:
        return True
    for clause in (spec or "").split(","):
        clause = clause.strip()
        if not clause:
            continue
        op = next((o for o in _OPS if clause.startswith(o)), "==")
        target = clause[len(op):].strip() if clause.startswith(op) else clause
        if target.endswith(".*"):
            prefix = _version_tuple(target[:-2])
            ok = v[: len(prefix)] == prefix
            if op == "!=":
                ok = not ok
            elif op != "==":
                raise ValueError("wildcard only allowed with == or != in %r" % (spec,))
            if not ok:
                return False
            continue
        t = _version_tuple(target)
        if not t:
            raise ValueError("no version number in clause %r of %r" % (clause, spec))
        c = _cmp(v, t)
        if op == ">=":
            ok = c >= 0
        elif op == "<=":
            ok = c <= 0
        elif op == ">":
            ok = c > 0
        elif op == "<":
            ok = c < 0
        elif op == "==":
            ok = c == 0
        elif op == "!=":
            ok = c != 0
        else:  # ~=1.4.2 means >=1.4.2,==1.4.*
            ok = c >= 0 and v[: max(1, len(t) - 1)] == t[: max(1, len(t) - 1)]
        if not ok:
            return False
    return True


def distribution_version(*names):
    """The installed version of the first of these PyPI distributions found, or None.

    Reads the package metadata; never imports the library.
    """
    try:
        from importlib import metadata
    except ImportError:  # pragma: no cover
        return None
    for name in names:
        try:
            return metadata.version(name)
        except Exception:
            continue
    return None


# -- the integration object


class Integration:
    """One integration's patch state, settings and helpers.

    :param name: the integration's name, as in ``ddtrace.patch(<name>=True)`` and
        ``config.<name>``.
    :param module: the module ``patch()`` imports and instruments.
    :param defaults: the integration's own settings, registered with
        ``config._add(name, defaults)`` under what the environment and code set.
    :param distributions: PyPI distribution names to read the version from (default:
        the top-level package name); empty for the standard library.
    """

    def __init__(self, name, module, defaults=None, distributions=None):
        self.name = name
        self.module = module
        self.defaults = dict(defaults or {})
        if distributions is None:
            distributions = (module.split(".")[0],)
        self.distributions = tuple(distributions)
        self._records = []
        self._undo = []
        self._lock = threading.RLock()
        self._config = None

    # -- settings

    @property
    def config(self):
        """``ddtrace.config.<name>`` (registered with this integration's defaults)."""
        cfg = self._config
        if cfg is None:
            from ddtrace.settings import config

            cfg = self._config = config._add(self.name, self.defaults)
        return cfg

    def version(self):
        """The installed library version ("" for the standard library, None if missing)."""
        if not self.distributions:
            return ""
        mod = sys.modules.get(self.module.split(".")[0])
        v = getattr(mod, "__version__", None) if mod is not None else None
        if isinstance(v, str) and v:
            return v
        return distribution_version(*self.distributions)

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

    def service(self, pin=None, default=None):
        """Service name for a span: the pin's, else ``DD_<NAME>_SERVICE`` /
        ``config.<name>.service``, else ``default``."""
        if pin is not None and pin.service:
            return pin.service
        return self.config.get("service") or default

    # -- patching

    def is_patched(self):
        """Whether the target module is imported and instrumented."""
        mod = sys.modules.get(self.module)
        return mod is not None and bool(getattr(mod, PATCHED_ATTR, False))

    def wrap(self, owner, attr, wrapper):
        """Wrap ``owner.attr`` (see :func:`wrap`) and remember it for ``unpatch()``."""
        record = wrap(owner, attr, wrapper)
        self._records.append(record)
        return record

    def on_unpatch(self, fn):
        """Call ``fn()`` on ``unpatch()`` (after the wrappers are removed)."""
        self._undo.append(fn)
        return fn

    def patch(self, setup):
        """Import the target module and call ``setup(module)`` unless already patched.

        ``setup`` does its wrapping through :meth:`wrap`. Returns True when it patched
        now, False when it was already patched or ``setup`` failed (then whatever it
        did is undone and the error is reported). An ``ImportError`` of the target
        module propagates: the caller asked for something that is not installed.
        """
        import importlib

        module = importlib.import_module(self.module)
        with self._lock:
            if getattr(module, PATCHED_ATTR, False):
                return False
            self.config  # register the settings before the first span
            try:
                setup(module)
            except Exception as e:
                self._undo_all()
                report_internal_error(e, "patching %s" % (self.name,))
                return False
            try:
                setattr(module, PATCHED_ATTR, True)
            except Exception:
                pass
            log.debug("patched %s (%s %s)", self.name, self.module, self.version() or "")
            return True

    def unpatch(self):
        """Restore what ``patch()`` replaced. Returns False if it was not patched."""
        module = sys.modules.get(self.module)
        with self._lock:
            if module is None or not getattr(module, PATCHED_ATTR, False):
                return False
            self._undo_all()
            try:
                setattr(module, PATCHED_ATTR, False)
            except Exception:
                pass
            return True

    def _undo_all(self):
        records, self._records = self._records, []
        undo, self._undo = self._undo, []
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

    def __repr__(self):
        return "<Integration %s (%s)%s>" % (self.name, self.module, " patched" if self.is_patched() else "")
