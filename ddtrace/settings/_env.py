"""The ``DD_*`` environment variables, declared with envier, and the code that reads them.

Every variable is declared once here with its type, default and help text; the docs
table (``docs/configuration.rst``) is generated from these declarations. Reading is
done one variable at a time so that one bad value costs only that value: it is
reported in one warning naming the variable, the value and the default used, and the
default stands in. Nothing here raises on user input.

This module imports envier (and through it ``typing``), so it is only imported when
the configuration is first used, never by ``import ddtrace``.
"""
from __future__ import annotations

import typing as t

from envier import Env
from envier.env import EnvVariable

from ddtrace.internal.agent import redact_url
from ddtrace.settings import _agent
from ddtrace.settings import _parse
from ddtrace.settings._config import WRITER_LIMITS
from ddtrace.settings._config import first_report

#: The propagation styles used when no DD_TRACE_PROPAGATION_STYLE* variable is set.
DEFAULT_PROPAGATION_STYLES = ("datadog", "tracecontext", "baggage")

#: Datadog's documented default for DD_TRACE_OBFUSCATION_QUERY_STRING_REGEXP.
DEFAULT_QUERY_STRING_REGEXP = _parse.DEFAULT_QUERY_STRING_REGEXP

# Variables whose empty value means something (here: "disable obfuscation"); for every
# other variable an empty or blank value counts as unset.
_EMPTY_IS_A_VALUE = frozenset(("DD_TRACE_OBFUSCATION_QUERY_STRING_REGEXP",))

# Variables whose value may hold credentials (http://user:pass@host): never logged as is.
_URL_VARIABLES = frozenset(("DD_TRACE_AGENT_URL", "DD_DOGSTATSD_URL"))

# Partial-value warnings (a bad item in an otherwise good list) raised while parsing.
_notes = []


def warn(msg, *args):
    """Log a configuration warning, never rate-limited: each one names another problem."""
    from ddtrace.internal.logger import WARNING
    from ddtrace.internal.logger import get_logger

    try:
        _notes.append(msg % args if args else msg)
    except Exception:
        _notes.append(msg)
    log = get_logger("ddtrace.settings")
    emit = getattr(log, "_emit", None)
    if emit is not None:
        emit(WARNING, msg, args, {}, False)
    else:
        log.warning(msg, *args)


def _bool(raw):
    return _parse.parse_bool(raw)


def _rate(raw):
    return _parse.parse_float(raw, 0.0, 1.0)


def _int_at_least(low, high=None):
    def parse(raw):
        return _parse.parse_int(raw, low, high)

    return parse


def _in_range(setting):
    """The parser of a number with a range in ``WRITER_LIMITS``."""
    low, high, inclusive = WRITER_LIMITS[setting]
    if isinstance(low, float):
        return lambda raw: _parse.parse_float(raw, low, high, low_inclusive=inclusive)
    return _int_at_least(low, high)


def _key_values(name, **kwargs):
    def parse(raw):
        return _parse.parse_key_values(raw, name, warn, **kwargs)

    return parse


def _statuses(name):
    def parse(raw):
        return _parse.parse_status_codes(raw, name, warn)

    return parse


def _styles(name):
    def parse(raw):
        return _parse.parse_propagation_styles(raw, name, warn)

    return parse


def _str(raw):
    return raw.strip()


def _raw_str(raw):
    return raw


_MiB = 1 << 20


class _Reader(Env):
    """An envier ``Env`` read variable by variable, keeping what went wrong.

    After construction: ``settings`` (attribute name -> value) and ``origins``
    (attribute name -> ``"env"`` or ``"default"``). Subclasses set ``__prefix__ = "dd"``
    themselves: envier applies a prefix only to the class that declares it.
    """

    # Replaces envier's constructor, which reads all variables and stops at the first error.
    def __init__(self, source=None, dynamic=None):
        import os

        # The attributes envier's variables read from the instance they are given.
        self.source = _Source(os.environ if source is None else source)
        self.parent = None
        self.dynamic = {k.upper(): v.upper() for k, v in (dynamic or {}).items()}
        self._full_prefix = "DD_"
        self.spec = type(self)
        self.settings = {}
        self.origins = {}
        for attr, var in declared(type(self)):
            self.settings[attr], self.origins[attr] = self._read(var)

    def _read(self, var):
        name = env_name(var).format(**self.dynamic)
        raw = self.source.get(name)
        try:
            value = var(self, self._full_prefix)
        except Exception as e:
            reason = e.args[0] if isinstance(e, ValueError) and e.args else str(e)
            if self.source.is_process_environment() and not first_report(name, raw):
                return fresh(var.default), "default"
            if raw is not None and name in _URL_VARIABLES:
                raw = redact_url(raw)
            warn(
                "Invalid value for %s: %r (%s); using the default %s",
                name,
                raw if raw is None or len(raw) <= 200 else raw[:200] + "...",
                reason,
                default_text(var),
            )
            return fresh(var.default), "default"
        if raw is None:
            return fresh(value), "default"
        return value, "env"


class _Source:
    """The environment as envier sees it: blank values count as unset."""

    __slots__ = ("_environ",)

    def __init__(self, environ):
        self._environ = environ

    def is_process_environment(self):
        import os

        return self._environ is os.environ

    def get(self, key, default=None):
        value = self._environ.get(key)
        if value is None or (not value.strip() and key not in _EMPTY_IS_A_VALUE):
            return default
        return value


def declared(cls):
    """``(attribute, EnvVariable)`` for the variables a reader class declares, in order."""
    seen = set()
    for klass in reversed(cls.__mro__):
        for attr, var in vars(klass).items():
            if isinstance(var, EnvVariable) and attr not in seen:
                seen.add(attr)
                yield attr, var


def env_name(var):
    """The variable's environment name (``{INTEGRATION}`` left in for integration variables)."""
    return "DD_" + var.name.upper().replace(".", "_").rstrip("_")


def default_text(var):
    return var.help_default if var.help_default is not None else repr(var.default)


def fresh(value):
    """A copy of a mutable default, so that changing one config never changes the declaration."""
    if isinstance(value, (dict, list, set)):
        return type(value)(value)
    return value


class TracerEnv(_Reader):
    """The tracer-wide variables. Attribute names are the ``ddtrace.config`` attributes
    they set; ``raw_*`` ones feed a derived setting (see ``RAW_TARGETS``)."""

    __prefix__ = "dd"

    # -- unified service tagging
    service = Env.var(
        t.Optional[str],
        "service",
        parser=_str,
        default=None,
        help_type="String",
        help_default="None",
        help="The service name of this application, used on spans that do not set their own. "
        "Falls back to the ``service`` item of ``DD_TAGS``",
    )
    env = Env.var(
        t.Optional[str],
        "env",
        parser=_str,
        default=None,
        help_type="String",
        help_default="None",
        help="The environment, e.g. ``prod`` or ``staging``; sent as the ``env`` tag. "
        "Falls back to the ``env`` item of ``DD_TAGS``",
    )
    version = Env.var(
        t.Optional[str],
        "version",
        parser=_str,
        default=None,
        help_type="String",
        help_default="None",
        help="The application version; sent as the ``version`` tag on the service's own spans. "
        "Falls back to the ``version`` item of ``DD_TAGS``",
    )
    tags = Env.var(
        dict,
        "tags",
        parser=_key_values("DD_TAGS"),
        default={},
        help_type="Mapping",
        help_default="(none)",
        help="Tags added to every span: ``key:value`` items separated by commas "
        "(``team:a,tier:web``) or spaces (``team:a tier:web``). A value may contain ``:``; "
        "items without ``:`` are ignored with a warning",
    )
    raw_global_tags = Env.var(
        dict,
        "trace.global_tags",
        parser=_key_values("DD_TRACE_GLOBAL_TAGS"),
        default={},
        help_type="Mapping",
        help_default="(none)",
        help="Legacy name for ``DD_TAGS``, same format; where both name a tag, ``DD_TAGS`` wins",
    )
    service_mapping = Env.var(
        dict,
        "service_mapping",
        parser=_key_values("DD_SERVICE_MAPPING"),
        default={},
        help_type="Mapping",
        help_default="(none)",
        help="Renames services on spans as they are created: ``postgres:db,redis:cache``",
    )

    # -- switches
    _tracing_enabled = Env.var(
        bool,
        "trace.enabled",
        parser=_bool,
        default=True,
        help_type="Boolean",
        help="Send traces to the agent. ``false`` keeps the instrumentation but drops every trace",
    )
    _debug_mode = Env.var(
        bool,
        "trace.debug",
        parser=_bool,
        default=False,
        help_type="Boolean",
        help="Log the tracer's debug output to stderr",
    )
    _startup_logs_enabled = Env.var(
        bool,
        "trace.startup_logs",
        parser=_bool,
        default=False,
        help_type="Boolean",
        help="Log the tracer's configuration once, when the first trace is sent",
    )
    _logs_injection = Env.var(
        bool,
        "logs_injection",
        parser=_bool,
        default=False,
        help_type="Boolean",
        help="Add ``dd.trace_id``, ``dd.span_id``, ``dd.service``, ``dd.env`` and ``dd.version`` "
        "to the records of the standard ``logging`` module",
    )

    # -- agent
    raw_agent_url = Env.var(
        t.Optional[str],
        "trace.agent_url",
        parser=_parse.parse_agent_url,
        default=None,
        help_type="URL",
        help_default="http://localhost:8126",
        help="Where to send traces: ``http://host:port``, ``https://host:port`` or "
        "``unix:///path/to/apm.socket``. Takes precedence over ``DD_AGENT_HOST`` and "
        "``DD_TRACE_AGENT_PORT``. With none of the three set, ``/var/run/datadog/apm.socket`` "
        "is used if it exists",
    )
    raw_agent_host = Env.var(
        t.Optional[str],
        "agent_host",
        parser=_agent.parse_host,
        default=None,
        help_type="String",
        help_default="localhost",
        help="Host name or IP address of the agent (IPv6 addresses are accepted, with or without brackets)",
    )
    raw_agent_hostname = Env.var(
        t.Optional[str],
        "trace.agent_hostname",
        parser=_agent.parse_host,
        default=None,
        help_type="String",
        help_default="localhost",
        help="Legacy name for ``DD_AGENT_HOST``, used only when that is not set",
    )
    raw_agent_port = Env.var(
        t.Optional[int],
        "trace.agent_port",
        parser=_int_at_least(1, 65535),
        default=None,
        help_type="Integer",
        help_default="8126",
        help="Port of the agent's trace intake",
    )
    _agent_timeout_seconds = Env.var(
        float,
        "trace.agent_timeout_seconds",
        parser=_in_range("_agent_timeout_seconds"),
        default=2.0,
        help_type="Float",
        help="Most seconds a request to the agent may take, from connecting to the last byte of "
        "the answer (more than 0, at most 3600)",
    )
    _trace_api = Env.var(
        str,
        "trace.api_version",
        parser=_parse.parse_trace_api,
        default="v0.5",
        help_type="String",
        help="Trace intake format: ``v0.5`` or ``v0.4``. When the agent does not support "
        "``v0.5``, the tracer switches to ``v0.4`` by itself",
    )
    _trace_writer_buffer_size = Env.var(
        int,
        "trace.writer_buffer_size_bytes",
        parser=_in_range("_trace_writer_buffer_size"),
        default=20 * _MiB,
        help_type="Integer",
        help_default="20971520 (20 MiB)",
        help="Most bytes of encoded traces held between flushes; traces beyond it are dropped and "
        "counted (1 to 1073741824, 1 GiB)",
    )
    _trace_writer_payload_size = Env.var(
        int,
        "trace.writer_max_payload_size_bytes",
        parser=_in_range("_trace_writer_payload_size"),
        default=20 * _MiB,
        help_type="Integer",
        help_default="20971520 (20 MiB)",
        help="Largest payload sent to the agent in one request (1 to 52428800: the agent refuses "
        "payloads over 50 MiB)",
    )
    _trace_writer_interval_seconds = Env.var(
        float,
        "trace.writer_interval_seconds",
        parser=_in_range("_trace_writer_interval_seconds"),
        default=1.0,
        help_type="Float",
        help="Seconds between flushes of finished traces to the agent (more than 0, at most 3600)",
    )
    _report_hostname = Env.var(
        bool,
        "trace.report_hostname",
        parser=_bool,
        default=False,
        help_type="Boolean",
        help="Add the machine's host name to traces (``_dd.hostname``)",
    )

    # -- sampling
    _trace_sample_rate = Env.var(
        t.Optional[float],
        "trace.sample_rate",
        parser=_rate,
        default=None,
        help_type="Float",
        help_default="None",
        help="Share of traces to keep, between 0 and 1, applied after ``DD_TRACE_SAMPLING_RULES``. "
        "Unset: the agent's rates decide",
    )
    _trace_sampling_rules = Env.var(
        str,
        "trace.sampling_rules",
        parser=_str,
        default="",
        help_type="JSON",
        help_default='""',
        help='Sampling rules as a JSON list, e.g. ``[{"service": "web", "name": "flask.*", '
        '"sample_rate": 0.5}]``; each rule may match ``service``, ``name``, ``resource`` and '
        "``tags`` with ``*``/``?`` patterns. The first matching rule decides",
    )
    _trace_rate_limit = Env.var(
        int,
        "trace.rate_limit",
        parser=_int_at_least(None),
        default=100,
        help_type="Integer",
        help="Most traces per second that sampling rules may keep; 0 keeps none, a negative value sets no limit",
    )

    # -- trace ids and flushing
    _128_bit_trace_id_enabled = Env.var(
        bool,
        "trace.128_bit_traceid_generation_enabled",
        parser=_bool,
        default=True,
        help_type="Boolean",
        help="Create 128-bit trace ids (64-bit when ``false``)",
    )
    _128_bit_trace_id_logging_enabled = Env.var(
        bool,
        "trace.128_bit_traceid_logging_enabled",
        parser=_bool,
        default=True,
        help_type="Boolean",
        help="With log injection, write 128-bit trace ids as 32 hex digits (else the low 64 bits in decimal)",
    )
    _partial_flush_enabled = Env.var(
        bool,
        "trace.partial_flush_enabled",
        parser=_bool,
        default=True,
        help_type="Boolean",
        help="Send the finished spans of a long trace before the whole trace is done",
    )
    _partial_flush_min_spans = Env.var(
        int,
        "trace.partial_flush_min_spans",
        parser=_in_range("_partial_flush_min_spans"),
        default=300,
        help_type="Integer",
        help="Finished spans that trigger a partial flush (1 to 1000000)",
    )

    # -- propagation
    raw_propagation_style = Env.var(
        t.Optional[list],
        "trace.propagation_style",
        parser=_styles("DD_TRACE_PROPAGATION_STYLE"),
        default=None,
        help_type="List",
        help_default="datadog,tracecontext,baggage",
        help="Propagation styles for both extraction and injection, separated by commas or spaces: "
        "``datadog``, ``tracecontext``, ``b3multi``, ``b3`` (``b3 single header`` is accepted), "
        "``baggage``, or ``none``",
    )
    raw_propagation_style_extract = Env.var(
        t.Optional[list],
        "trace.propagation_style_extract",
        parser=_styles("DD_TRACE_PROPAGATION_STYLE_EXTRACT"),
        default=None,
        help_type="List",
        help_default="datadog,tracecontext,baggage",
        help="Styles tried, in order, when reading incoming headers; overrides ``DD_TRACE_PROPAGATION_STYLE``",
    )
    raw_propagation_style_inject = Env.var(
        t.Optional[list],
        "trace.propagation_style_inject",
        parser=_styles("DD_TRACE_PROPAGATION_STYLE_INJECT"),
        default=None,
        help_type="List",
        help_default="datadog,tracecontext,baggage",
        help="Styles written on outgoing requests; overrides ``DD_TRACE_PROPAGATION_STYLE``",
    )
    _propagation_extract_first = Env.var(
        bool,
        "trace.propagation_extract_first",
        parser=_bool,
        default=False,
        help_type="Boolean",
        help="Stop at the first style that yields a context instead of also reading the "
        "others (whose differing trace ids become span links)",
    )
    _x_datadog_tags_max_length = Env.var(
        int,
        "trace.x_datadog_tags_max_length",
        parser=_int_at_least(0),
        default=512,
        help_type="Integer",
        help="Longest ``x-datadog-tags`` header read or written; 0 turns the header off",
    )
    _baggage_max_items = Env.var(
        int,
        "trace.baggage_max_items",
        parser=_int_at_least(0),
        default=64,
        help_type="Integer",
        help="Most members written in the W3C ``baggage`` header",
    )
    _baggage_max_bytes = Env.var(
        int,
        "trace.baggage_max_bytes",
        parser=_int_at_least(0),
        default=8192,
        help_type="Integer",
        help="Longest W3C ``baggage`` header written, in bytes",
    )

    # -- HTTP integrations
    http_header_tags = Env.var(
        dict,
        "trace.header_tags",
        parser=_key_values("DD_TRACE_HEADER_TAGS", lower_keys=True, allow_bare=True, words=True),
        default={},
        help_type="Mapping",
        help_default="(none)",
        help="Request and response headers recorded as span tags: ``header:tag_name`` items "
        "(``User-Agent:http.useragent,x-request-id``). Header names are case-insensitive; a "
        "header without a tag name is recorded as ``http.request.headers.<header>`` "
        "(``http.response.headers.<header>`` on responses)",
    )
    _http_server_tag_query_string = Env.var(
        bool,
        "http_server_tag_query_string",
        parser=_bool,
        default=True,
        help_type="Boolean",
        help="Keep the query string in ``http.url`` on server spans",
    )
    _http_client_tag_query_string = Env.var(
        bool,
        "trace.http_client_tag_query_string",
        parser=_bool,
        default=True,
        help_type="Boolean",
        help="Keep the query string in ``http.url`` on client spans",
    )
    raw_http_client_tag_query_string_legacy = Env.var(
        t.Optional[bool],
        "http_client_tag_query_string",
        parser=_bool,
        default=None,
        help_type="Boolean",
        help_default="True",
        help="Legacy name for ``DD_TRACE_HTTP_CLIENT_TAG_QUERY_STRING``, used only when that is not set",
    )
    _obfuscation_query_string_regexp = Env.var(
        str,
        "trace.obfuscation_query_string_regexp",
        parser=_raw_str,
        default=DEFAULT_QUERY_STRING_REGEXP,
        help_type="Regexp",
        help_default="Datadog's default (passwords, tokens, keys, signatures...)",
        help="Parts of query strings matching this regular expression are replaced by "
        "``<redacted>`` in ``http.url``. An empty value turns redaction off",
    )
    _http_server_error_statuses = Env.var(
        frozenset,
        "trace.http_server_error_statuses",
        parser=_statuses("DD_TRACE_HTTP_SERVER_ERROR_STATUSES"),
        default=_parse.StatusCodes(range(500, 600)),
        help_type="Status codes",
        help_default="500-599",
        help="Response codes that mark a server span as an error: codes and ranges separated "
        "by commas, e.g. ``500-599,429``",
    )
    _http_client_error_statuses = Env.var(
        frozenset,
        "trace.http_client_error_statuses",
        parser=_statuses("DD_TRACE_HTTP_CLIENT_ERROR_STATUSES"),
        default=_parse.StatusCodes(range(500, 600)),
        help_type="Status codes",
        help_default="500-599",
        help="Response codes that mark a client span as an error, in the same format (a 4xx "
        "answer is the client's own mistake, not a failure of the call, as in Datadog's tracer)",
    )


#: Which ``ddtrace.config`` attribute each ``raw_*`` variable feeds.
RAW_TARGETS = {
    "raw_global_tags": "tags",
    "raw_agent_url": "_trace_agent_url",
    "raw_agent_host": "_trace_agent_url",
    "raw_agent_hostname": "_trace_agent_url",
    "raw_agent_port": "_trace_agent_url",
    "raw_propagation_style": "_propagation_style_extract",
    "raw_propagation_style_extract": "_propagation_style_extract",
    "raw_propagation_style_inject": "_propagation_style_inject",
    "raw_http_client_tag_query_string_legacy": "_http_client_tag_query_string",
}


def read_tracer_settings(environ=None):
    """Read every tracer-wide variable.

    Returns ``(values, origins, warnings)``: ``ddtrace.config`` attribute -> value,
    attribute -> ``"env"``/``"default"``, and the texts of the warnings logged.
    """
    del _notes[:]
    reader = TracerEnv(environ)
    raw, raw_origin = reader.settings, reader.origins
    values = {}
    origins = {}
    for attr, value in raw.items():
        if not attr.startswith("raw_"):
            values[attr] = value
            origins[attr] = raw_origin[attr]

    def from_env(*attrs):
        return "env" if any(raw_origin[a] == "env" for a in attrs) else "default"

    tags = dict(raw["raw_global_tags"])
    tags.update(values["tags"])
    values["tags"] = tags
    origins["tags"] = from_env("tags", "raw_global_tags")
    for key in ("service", "env", "version"):
        if values[key] is None and tags.get(key):
            values[key] = tags[key]
            origins[key] = "env"

    agent_host = raw["raw_agent_host"] or raw["raw_agent_hostname"]
    url, env_set = _agent.trace_agent_url(raw["raw_agent_url"], agent_host, raw["raw_agent_port"])
    values["_trace_agent_url"] = url
    origins["_trace_agent_url"] = "env" if env_set else "default"

    general = raw["raw_propagation_style"]
    for direction in ("extract", "inject"):
        specific = raw["raw_propagation_style_" + direction]
        attr = "_propagation_style_" + direction
        if specific is not None:
            values[attr], origins[attr] = specific, "env"
        elif general is not None:
            values[attr], origins[attr] = list(general), "env"
        else:
            values[attr], origins[attr] = list(DEFAULT_PROPAGATION_STYLES), "default"

    legacy = raw["raw_http_client_tag_query_string_legacy"]
    if origins["_http_client_tag_query_string"] == "default" and legacy is not None:
        values["_http_client_tag_query_string"] = legacy
        origins["_http_client_tag_query_string"] = "env"

    warnings = list(_notes)
    del _notes[:]
    return values, origins, warnings


class IntegrationEnv(_Reader):
    """The variables every integration reads; ``{INTEGRATION}`` is its upper-cased name."""

    __prefix__ = "dd"

    service = Env.var(
        t.Optional[str],
        "{integration}.service",
        parser=_str,
        default=None,
        help_type="String",
        help_default="the integration's own",
        help="Service name of the integration's spans (client libraries default to their own name, "
        "e.g. ``redis``; web frameworks use ``DD_SERVICE``)",
    )
    distributed_tracing = Env.var(
        bool,
        "{integration}.distributed_tracing",
        parser=_bool,
        default=True,
        help_type="Boolean",
        help="Read trace context from incoming requests (servers) and add it to outgoing ones (clients)",
    )
    enabled = Env.var(
        bool,
        "trace.{integration}.enabled",
        parser=_bool,
        default=True,
        help_type="Boolean",
        help_default="True (False for integrations off by default)",
        help="Whether ``ddtrace-run`` and ``patch_all()`` instrument the library; "
        "``false`` also turns an already patched integration into a pass-through",
    )
    trace_query_string = Env.var(
        t.Optional[bool],
        "{integration}.trace_query_string",
        parser=_bool,
        default=None,
        help_type="Boolean",
        help_default="None",
        help="Keep the query string in ``http.url`` for this integration; unset follows "
        "``DD_HTTP_SERVER_TAG_QUERY_STRING`` / ``DD_TRACE_HTTP_CLIENT_TAG_QUERY_STRING``",
    )


def env_key(integration):
    """``"aws-lambda"`` -> ``"AWS_LAMBDA"``: the ``{INTEGRATION}`` part of variable names."""
    return "".join(c if c.isalnum() else "_" for c in integration).upper()


#: Parsers of the types an integration's own settings (``Setting``) may have.
_DECLARED_PARSERS = {bool: _bool, str: _str}
_declared_readers = {}


def _declared_reader(settings):
    """An envier reader for an integration's own :class:`~ddtrace.settings.integration.Setting`
    declarations (made once per tuple of declarations)."""
    reader = _declared_readers.get(settings)
    if reader is not None:
        return reader
    attrs = {"__prefix__": "dd"}
    for setting in settings:
        parser = _DECLARED_PARSERS.get(setting.type)
        if setting.type is int:
            parser = _int_at_least(setting.low, setting.high)
        elif setting.type is float:

            def parser(raw, low=setting.low, high=setting.high):
                return _parse.parse_float(raw, low, high)

        name = setting.env[3:].lower() if setting.env else "{integration}." + setting.key
        declared_type = setting.type if setting.default is not None else t.Optional[setting.type]
        attrs[setting.key] = Env.var(
            declared_type,
            name,
            parser=parser,
            default=setting.default,
            help_type=setting.type.__name__,
            help=setting.help,
        )
    reader = _declared_readers[settings] = type("DeclaredIntegrationEnv", (_Reader,), attrs)
    return reader


def read_integration_settings(integration, environ=None, declared=None):
    """``(values, origins)`` of ``integration``'s variables: those every integration has
    (``declared`` None), or those of its own ``Setting`` declarations."""
    cls = IntegrationEnv if declared is None else _declared_reader(tuple(declared))
    reader = cls(environ, dynamic={"integration": env_key(integration)})
    del _notes[:]  # already logged; only the tracer-wide load keeps them
    return reader.settings, reader.origins


def integration_variables(integration, settings=()):
    """``[(config key, DD_* variable)]`` of ``integration``: the common ones, then its own."""
    key = env_key(integration)
    result = [(attr, env_name(var).replace("{INTEGRATION}", key)) for attr, var in declared(IntegrationEnv)]
    result += [(setting.key, setting.env_name(integration)) for setting in settings]
    return result
