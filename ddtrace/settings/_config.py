"""The lazily loaded ``ddtrace.config`` object.

Creating it reads nothing: the environment is read (with envier, which costs several
milliseconds to import) the first time a setting is looked up. Python calls
``__getattr__`` only for attributes an instance does not have, so once loaded every
setting is a plain instance attribute and reading it costs what any attribute does.
"""
from __future__ import annotations

import _thread

from ddtrace.internal import lazy
from ddtrace.settings.integration import IntegrationConfig

_MiB = 1 << 20

#: Every tracer-wide setting with its default. Used only if reading the environment
#: fails outright (for instance, envier is not installed); the test suite checks it
#: against the envier declarations.
SAFE_DEFAULTS = {
    "service": None,
    "env": None,
    "version": None,
    "tags": {},
    "service_mapping": {},
    "_tracing_enabled": True,
    "_debug_mode": False,
    "_startup_logs_enabled": False,
    "_logs_injection": False,
    "_trace_agent_url": "http://localhost:8126",
    "_agent_timeout_seconds": 2.0,
    "_trace_api": "v0.5",
    "_trace_writer_buffer_size": 20 * _MiB,
    "_trace_writer_payload_size": 20 * _MiB,
    "_trace_writer_interval_seconds": 1.0,
    "_report_hostname": False,
    "_trace_sample_rate": None,
    "_trace_sampling_rules": "",
    "_trace_rate_limit": 100,
    "_128_bit_trace_id_enabled": True,
    "_128_bit_trace_id_logging_enabled": True,
    "_partial_flush_enabled": True,
    "_partial_flush_min_spans": 300,
    "_propagation_style_extract": ["datadog", "tracecontext", "baggage"],
    "_propagation_style_inject": ["datadog", "tracecontext", "baggage"],
    "_propagation_extract_first": False,
    "_x_datadog_tags_max_length": 512,
    "_baggage_max_items": 64,
    "_baggage_max_bytes": 8192,
    "http_header_tags": {},
    "_http_server_tag_query_string": True,
    "_http_client_tag_query_string": True,
    # Filled in from _parse when used: that module is not imported with ddtrace.
    "_obfuscation_query_string_regexp": "",
    "_http_server_error_statuses": frozenset(range(500, 600)),
    "_http_client_error_statuses": frozenset(range(500, 600)),
}

SETTING_NAMES = frozenset(SAFE_DEFAULTS)

#: Valid ranges of the writer's numeric settings, ``(lowest, highest, lowest allowed)``:
#: outside them a value cannot work (it would overflow a timeout or a C counter, or make
#: payloads the agent refuses), so it is reported and the default used. Shared by the
#: ``DD_*`` declarations and the ``AgentWriter`` arguments.
WRITER_LIMITS = {
    # seconds; > 0
    "_agent_timeout_seconds": (0.0, 3600.0, False),
    "_trace_writer_interval_seconds": (0.0, 3600.0, False),
    # bytes; the agent refuses payloads over 50 MiB
    "_trace_writer_buffer_size": (1, 1 << 30, True),
    "_trace_writer_payload_size": (1, 50 * _MiB, True),
    # spans
    "_partial_flush_min_spans": (1, 1_000_000, True),
}

_UNSET = object()

#: ``(variable, value)`` pairs already reported as invalid in this process.
_reported_values = set()


def first_report(variable, raw):
    """True the first time an invalid ``raw`` value of ``variable`` is reported: several
    readers look at some variables (``patch_all()`` and the integration's own settings
    both read ``DD_TRACE_<NAME>_ENABLED``), and the user should read about it once."""
    key = (variable, raw)
    if key in _reported_values:
        return False
    _reported_values.add(key)
    return True


class Config:
    """The tracer's configuration: ``from ddtrace import config``.

    Tracer-wide settings are attributes read from ``DD_*`` environment variables (see
    :doc:`configuration`) the first time any of them is used::

        from ddtrace import config

        config.service          # DD_SERVICE
        config.env              # DD_ENV
        config.tags             # DD_TAGS, as a dict

    Assign an attribute before the first use to override the environment
    (``config.service = "billing"``); assigning later works too but only affects what
    reads the setting afterwards.

    Integrations keep their settings in :class:`~ddtrace.settings.IntegrationConfig`
    objects reachable as ``config.<name>`` or ``config["<name>"]``. Naming an
    integration that has not registered yet creates (and keeps) an empty one, so
    ``config.flask["service"] = "web"`` can be written before Flask is patched: the
    integration's defaults are merged under it when it registers.

    ``Config(environ=...)`` builds an independent configuration from a dict instead
    of ``os.environ`` (tests).
    """

    def __init__(self, environ=None):
        # Bumped by every assignment: the compiled core caches the settings it reads per
        # trace and re-reads them only when this changes.
        self.__dict__["_generation"] = 0
        self._environ = environ
        self._loaded = False
        # The id of the thread reading this configuration, while it does: see _load.
        self._loader = None
        self._lock = _thread.RLock()
        self._on_load_callbacks = []
        self._integrations = {}
        self._origins = {}
        self._loaded_values = {}
        self._load_warnings = []

    def __setattr__(self, name, value):
        d = self.__dict__
        d[name] = value
        d["_generation"] = d.get("_generation", 0) + 1

    def __delattr__(self, name):
        d = self.__dict__
        if name not in d:
            raise AttributeError(name)
        del d[name]
        d["_generation"] = d.get("_generation", 0) + 1

    def __getattr__(self, name):
        # Only called for attributes the instance does not have.
        if name.startswith("__"):
            raise AttributeError(name)
        d = self.__dict__
        if "_loaded" not in d:  # a half-built or unpickled instance
            raise AttributeError(name)
        if not d["_loaded"]:
            self._load()
            if not d["_loaded"] and name in SETTING_NAMES and name not in d:
                # Re-entered from inside the load (see _load): a stand-in value, not stored.
                return _provisional(name)
        if name in d:
            # Loaded by another thread (or by a signal handler on this one) since the
            # lookup that brought us here missed it.
            return d[name]
        if name.startswith("_") or name in SETTING_NAMES:
            raise AttributeError("'Config' object has no attribute %r" % (name,))
        return self._integration(name)

    def __getitem__(self, name):
        """The :class:`IntegrationConfig` of integration ``name`` (created if needed)."""
        return self._integration(name)

    # -- loading

    def _load(self):
        # Other threads wait on the lock for the load to finish. The thread doing it may
        # come back here from inside it: a finaliser run by a garbage collection, or a
        # signal handler, that traces. Loading again from there would find half-imported
        # modules (envier, _env) and could only fall back to defaults, for good. So the
        # nested call returns without loading; its caller gets stand-in values that
        # nothing keeps (see __getattr__), and the tracer holds back the traces that
        # finish meanwhile until the outer load is done (ddtrace.internal.lazy.after_loads).
        d = self.__dict__
        me = _thread.get_ident()
        if d.get("_loader") == me:
            return
        with self._lock:
            if self._loaded:
                return
            # A guarded lazy load: a fork waits for it, so a child never inherits a
            # half-imported envier or a half-read configuration. The reader is marked
            # inside it, so that whatever is handed stand-ins also sees itself inside a
            # load (and defers its traces); interrupted before the mark, a nested call
            # simply does the whole load, and this one finds it done.
            with lazy.loading():
                d["_loader"] = me
                try:
                    if not self._loaded:
                        self._read()
                finally:
                    d["_loader"] = None

    def _read(self):
        from ddtrace.internal.logger import report_internal_error

        try:
            values, origins, warnings = lazy.load("ddtrace.settings._env").read_tracer_settings(self._environ)
        except Exception as e:
            report_internal_error(e, "reading the DD_* configuration; using defaults")
            values = _safe_defaults()
            origins = dict.fromkeys(values, "default")
            warnings = []
        d = self.__dict__
        for name, value in values.items():
            if name in d:  # assigned in code before the first use
                origins[name] = "code"
            else:
                d[name] = value
        self._loaded_values = {name: d[name] for name in values}
        self._origins = origins
        self._load_warnings = warnings
        self._loaded = True

        if d.get("_debug_mode"):
            try:
                from ddtrace.internal.logger import enable_debug

                enable_debug()
            except Exception as e:
                report_internal_error(e, "turning on debug logging")

        callbacks, self._on_load_callbacks = self._on_load_callbacks, []
        for fn in callbacks:
            _call(fn)

    def _on_load(self, fn):
        """Call ``fn()`` once the configuration is loaded: now if it already is, else
        right after loading (callbacks run in the order they were registered)."""
        with self._lock:
            if not self._loaded:
                self._on_load_callbacks.append(fn)
                return
        _call(fn)

    def _reset(self, environ=_UNSET):
        """Forget the loaded settings (and those assigned in code) so the next use
        reads the environment again; ``environ`` replaces the source dict (tests).
        Registered integrations and pending ``_on_load`` callbacks are kept."""
        with self._lock:
            d = self.__dict__
            for name in SETTING_NAMES:
                d.pop(name, None)
            if environ is not _UNSET:
                self._environ = environ
            self._origins = {}
            self._loaded_values = {}
            self._load_warnings = []
            self._loaded = False

    def _after_fork_in_child(self):
        # A thread of the parent may have held the lock at fork time; in the child that
        # thread is gone and the lock would never be released, nor the load finished.
        self._lock = _thread.RLock()
        self.__dict__["_loader"] = None

    def _ensure_loaded(self):
        if not self._loaded:
            self._load()

    def _sources(self):
        """``{setting: (value, origin)}`` with origin ``"env"``, ``"default"`` or ``"code"``
        (assigned in code, before or after loading)."""
        self._ensure_loaded()
        d = self.__dict__
        result = {}
        for name, origin in self._origins.items():
            value = d.get(name)
            loaded = self._loaded_values.get(name, _UNSET)
            if value is not loaded and value != loaded:
                origin = "code"
            result[name] = (value, origin)
        return result

    # -- integrations

    def _add(self, name, defaults=None, merge=True, declared=(), aliases=()):
        """Register integration ``name`` with its default settings and its own
        ``Setting`` declarations, and return its :class:`IntegrationConfig`. Registering
        again merges the new defaults under what the environment and code set
        (``merge=False``: under the environment only). ``aliases``: other names
        ``config.<alias>`` answers to with the same object; what code set through one of
        them before the registration is kept."""
        with self._lock:
            ic = self._integrations.get(name)
            if ic is None:
                ic = self._new_integration(name, defaults, declared)
                defaults = declared = None
            for alias in aliases:
                self._alias(alias, ic)
        if defaults:
            ic._set_defaults(defaults, merge)
        if declared:
            ic._declare(declared)
        return ic

    def _alias(self, alias, ic):
        early = self._integrations.get(alias)
        if early is ic:
            return
        if early is not None:
            for key, value in early.items():
                if early._origin(key) == "code" and ic._origin(key) != "code":
                    ic[key] = value
        self._integrations[alias] = ic
        if alias.isidentifier() and alias not in SETTING_NAMES and not hasattr(type(self), alias):
            self.__dict__[alias] = ic

    def _integration(self, name):
        ic = self._integrations.get(name)
        if ic is None:
            with self._lock:
                ic = self._integrations.get(name)
                if ic is None:
                    ic = self._new_integration(name, None)
        return ic

    def _new_integration(self, name, defaults, declared=()):
        ic = IntegrationConfig(self, name, defaults, self._environ, declared)
        self._integrations[name] = ic
        # Reachable as a plain attribute from now on, unless the name is taken.
        if name.isidentifier() and name not in SETTING_NAMES and not hasattr(type(self), name):
            self.__dict__.setdefault(name, ic)
        return ic

    def __repr__(self):
        state = "loaded" if self._loaded else "not loaded"
        return "<ddtrace Config (%s), integrations: %s>" % (state, ", ".join(sorted(self._integrations)) or "none")


def _provisional(name):
    """The stand-in for setting ``name`` while the configuration is being read."""
    value = SAFE_DEFAULTS[name]
    return type(value)(value) if isinstance(value, (dict, list)) else value


def _safe_defaults():
    values = {k: (type(v)(v) if isinstance(v, (dict, list)) else v) for k, v in SAFE_DEFAULTS.items()}
    try:
        values["_obfuscation_query_string_regexp"] = lazy.load("ddtrace.settings._parse").DEFAULT_QUERY_STRING_REGEXP
    except Exception:  # without it no query string is redacted; the reason was already reported
        pass
    return values


def _call(fn):
    try:
        fn()
    except Exception as e:
        from ddtrace.internal.logger import report_internal_error

        report_internal_error(e, "running a configuration on-load callback")
