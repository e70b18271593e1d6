"""Per-integration settings: ``ddtrace.config.<integration>``."""
from __future__ import annotations

_MISSING = object()


class Setting:
    """One setting of an integration, declared in its registry row and read by the
    settings system like every ``DD_*`` variable: ``config.<integration>.<key>``, from
    ``DD_<INTEGRATION>_<KEY>`` (or ``env``), parsed as ``type``; a bad value is one
    warning and the default.

    :param key: the name under ``config.<integration>``.
    :param type: ``bool``, ``int``, ``float`` or ``str``.
    :param default: the value when the variable is unset or invalid.
    :param help: one sentence for the docs and ``ddtrace-run --info``.
    :param env: the variable's full name, when it is not ``DD_<INTEGRATION>_<KEY>``.
    :param low: ``int`` / ``float`` only: the smallest valid value.
    :param high: ``int`` / ``float`` only: the largest valid value.
    """

    __slots__ = ("key", "type", "default", "help", "env", "low", "high")

    def __init__(self, key, type, default, help, env=None, low=None, high=None):
        if type not in (bool, int, float, str):
            raise TypeError("Setting %r: type must be bool, int, float or str, not %r" % (key, type))
        self.key = key
        self.type = type
        self.default = default
        self.help = help
        self.env = env
        self.low = low
        self.high = high

    def env_name(self, integration):
        """The variable that sets it for ``integration``."""
        if self.env:
            return self.env
        return "DD_%s_%s" % (_env_key(integration), self.key.upper())

    def __repr__(self):
        return "Setting(%r, %s, %r)" % (self.key, self.type.__name__, self.default)


def _env_key(integration):
    return "".join(c if c.isalnum() else "_" for c in integration).upper()


class IntegrationConfig:
    """The settings of one integration, e.g. ``ddtrace.config.flask``.

    Read and write them as attributes or items; both reach the same values::

        from ddtrace import config

        config.flask.service = "web-frontend"
        config.requests["split_by_domain"] = True
        config.redis.get("service", "redis")

    Every integration has these settings:

    ``service``
        Service name of the integration's spans; ``DD_<INTEGRATION>_SERVICE``. None
        lets the integration pick (client libraries use their own name, web
        frameworks ``DD_SERVICE``).
    ``distributed_tracing``
        Extract incoming / inject outgoing trace context (default True);
        ``DD_<INTEGRATION>_DISTRIBUTED_TRACING``.
    ``enabled``
        Whether the integration is patched and traces (default True, or what the
        integration registers); ``DD_TRACE_<INTEGRATION>_ENABLED``.
    ``trace_query_string``
        Keep query strings in ``http.url`` (default None: follow
        ``DD_HTTP_SERVER_TAG_QUERY_STRING`` / ``DD_TRACE_HTTP_CLIENT_TAG_QUERY_STRING``);
        ``DD_<INTEGRATION>_TRACE_QUERY_STRING``.
    ``http_header_tags``
        Extra ``{header: tag name}`` for this integration only, added to the global
        ``DD_TRACE_HEADER_TAGS`` (see :meth:`header_tags`).

    Integrations add their own settings (``split_by_domain`` of the HTTP clients,
    ``cmd_max_length`` of redis...), declared in their registry rows. Values from the
    environment win over those defaults, and values set in code win over both. Reading a setting that was never
    set gives None (``config.flask["nope"]`` does not raise).
    """

    __slots__ = ("__dict__", "_name", "_global", "_set_by", "_declared", "_environ")

    def __init__(self, global_config, name, defaults=None, environ=None, declared=()):
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_global", global_config)
        # key -> (origin, the value that origin set); a different value now means code set it
        object.__setattr__(self, "_set_by", {})
        object.__setattr__(self, "_declared", ())
        object.__setattr__(self, "_environ", environ)
        base = {
            "service": None,
            "distributed_tracing": True,
            "enabled": True,
            "trace_query_string": None,
            "http_header_tags": {},
        }
        if defaults:
            base.update(defaults)
        self._set_defaults(base)
        self._read_env()
        if declared:
            self._declare(declared)

    def _declare(self, settings):
        """Add the integration's own :class:`Setting` declarations: their defaults under
        what code set, their variables read from the environment."""
        new = tuple(s for s in settings if s.key not in {d.key for d in self._declared})
        if not new:
            return
        object.__setattr__(self, "_declared", self._declared + new)
        d = self.__dict__
        for setting in new:
            if setting.key not in d or self._origin(setting.key) == "default":
                value = setting.default
                d[setting.key] = value
                self._set_by[setting.key] = ("default", value)
        self._read_env(new)

    def _read_env(self, declared=None):
        # declared=None: the variables every integration has; else only these declarations.
        from ddtrace.internal.logger import report_internal_error

        try:
            from ddtrace.internal.lazy import load

            values, origins = load("ddtrace.settings._env").read_integration_settings(self._name, self._environ, declared)
        except Exception as e:  # envier missing or broken: defaults only
            report_internal_error(e, "reading the settings of integration %r" % (self._name,))
            return
        d = self.__dict__
        for key, value in values.items():
            if origins[key] == "env" and self._origin(key) != "code":
                d[key] = value
                self._set_by[key] = ("env", value)
        self._changed()

    def _set_defaults(self, defaults, merge=True):
        """Apply an integration's defaults under what the environment (and, with
        ``merge``, code) already set."""
        d = self.__dict__
        for key, value in defaults.items():
            if key in d:
                origin = self._origin(key)
                if origin == "env" or (merge and origin == "code"):
                    continue
            if isinstance(value, (dict, list, set)):
                value = type(value)(value)
            d[key] = value
            self._set_by[key] = ("default", value)
        self._changed()

    # -- mapping interface

    def __getattr__(self, name):
        # Only reached for names that are not set.
        if name.startswith("_"):
            raise AttributeError("%s has no attribute %r" % (type(self).__name__, name))
        return None

    def __getitem__(self, key):
        return self.__dict__.get(key)

    # Every change bumps the global config's generation: integrations cache what they
    # derive from their settings (a database span's service, say) against it.

    def _changed(self):
        d = self._global.__dict__
        d["_generation"] = d.get("_generation", 0) + 1

    def __setattr__(self, name, value):
        if name in IntegrationConfig.__slots__:
            object.__setattr__(self, name, value)
            return
        self.__dict__[name] = value
        self._changed()

    def __delattr__(self, name):
        if name in IntegrationConfig.__slots__:
            object.__delattr__(self, name)
            return
        try:
            del self.__dict__[name]
        except KeyError:
            raise AttributeError(name) from None
        self._changed()

    def __setitem__(self, key, value):
        self.__dict__[key] = value
        self._changed()

    def __delitem__(self, key):
        del self.__dict__[key]
        self._changed()

    def __contains__(self, key):
        return key in self.__dict__

    def __iter__(self):
        return iter(self.__dict__)

    def __len__(self):
        return len(self.__dict__)

    def get(self, key, default=None):
        """The setting ``key``, or ``default`` when it is not set."""
        return self.__dict__.get(key, default)

    def keys(self):
        return self.__dict__.keys()

    def items(self):
        return self.__dict__.items()

    def values(self):
        return self.__dict__.values()

    def update(self, *args, **kwargs):
        """Set several settings at once, like ``dict.update``."""
        self.__dict__.update(*args, **kwargs)
        self._changed()

    def __repr__(self):
        return "IntegrationConfig(%r, %r)" % (self._name, dict(self.__dict__))

    # -- helpers for integrations

    @property
    def integration_name(self):
        """The integration's name, e.g. ``"flask"``."""
        return self._name

    def header_tags(self):
        """``{lowercase header: tag name}`` to record on this integration's spans.

        The global ``DD_TRACE_HEADER_TAGS`` with this integration's
        ``http_header_tags`` on top. An empty tag name means "derive it":
        ``http.request.headers.<header>`` or ``http.response.headers.<header>``.
        """
        own = self.__dict__.get("http_header_tags")
        shared = self._global.http_header_tags
        if not own:
            return shared
        merged = dict(shared)
        for header, tag in own.items():
            merged[str(header).strip().lower()] = tag
        return merged

    def tag_query_string(self, server=True):
        """Whether to keep the query string in ``http.url`` for a server (or client) span."""
        value = self.__dict__.get("trace_query_string")
        if value is not None:
            return bool(value)
        if server:
            return self._global._http_server_tag_query_string
        return self._global._http_client_tag_query_string

    def _sources(self):
        """``[(variable, value, origin)]`` of the settings read from the environment:
        the common ones and the integration's own declared ones."""
        from ddtrace.internal.lazy import load

        integration_variables = load("ddtrace.settings._env").integration_variables
        d = self.__dict__
        rows = []
        for key, variable in integration_variables(self._name, self._declared):
            if key in d:
                rows.append((variable, d[key], self._origin(key)))
        return rows

    def _origin(self, key):
        """Where ``key``'s value came from: ``"env"``, ``"default"``, ``"code"``, or None if unset."""
        d = self.__dict__
        if key not in d:
            return None
        origin, seen = self._set_by.get(key, ("code", _MISSING))
        return origin if d[key] is seen else "code"
