"""Every DD_* variable read through envier into ddtrace.config: defaults, values, bad values."""
import pytest

from ddtrace.settings import _config
from ddtrace.settings import _env

MiB = 1 << 20


def test_defaults(load):
    c = load({})
    assert load.warnings == []
    assert c.service is None and c.env is None and c.version is None
    assert c.tags == {} and c.service_mapping == {} and c.http_header_tags == {}
    assert c._tracing_enabled is True
    assert c._debug_mode is False
    assert c._trace_agent_url == "http://localhost:8126"
    assert c._agent_timeout_seconds == 2.0
    assert c._trace_api == "v0.5"
    assert c._trace_writer_buffer_size == 20 * MiB
    assert c._trace_writer_payload_size == 20 * MiB
    assert c._trace_writer_interval_seconds == 1.0
    assert c._trace_sample_rate is None
    assert c._trace_sampling_rules == ""
    assert c._trace_rate_limit == 100
    assert c._128_bit_trace_id_enabled is True
    assert c._128_bit_trace_id_logging_enabled is True
    assert c._partial_flush_enabled is True
    assert c._partial_flush_min_spans == 300
    assert c._propagation_style_extract == ["datadog", "tracecontext", "baggage"]
    assert c._propagation_style_inject == ["datadog", "tracecontext", "baggage"]
    assert c._propagation_extract_first is False
    assert c._x_datadog_tags_max_length == 512
    assert c._baggage_max_items == 64
    assert c._baggage_max_bytes == 8192
    assert c._startup_logs_enabled is False
    assert c._logs_injection is False
    assert c._obfuscation_query_string_regexp == _env.DEFAULT_QUERY_STRING_REGEXP
    assert set(c._http_server_error_statuses) == set(range(500, 600))
    assert set(c._http_client_error_statuses) == set(range(500, 600))
    assert c._http_server_tag_query_string is True
    assert c._http_client_tag_query_string is True
    assert c._report_hostname is False
    assert all(origin == "default" for _, origin in c._sources().values())


def test_safe_defaults_match_the_declarations(load):
    # SAFE_DEFAULTS stands in when envier cannot be used; it must describe the same
    # settings with the same defaults (but for the regexp it leaves empty on purpose).
    c = load({})
    loaded = {name: value for name, (value, _) in c._sources().items()}
    assert set(loaded) == set(_config.SAFE_DEFAULTS)
    expected = dict(_config.SAFE_DEFAULTS, _obfuscation_query_string_regexp=_env.DEFAULT_QUERY_STRING_REGEXP)
    assert loaded == expected


@pytest.mark.parametrize(
    "name, raw, attr, expected",
    [
        ("DD_SERVICE", "billing", "service", "billing"),
        ("DD_SERVICE", "  billing  ", "service", "billing"),
        ("DD_ENV", "prod", "env", "prod"),
        ("DD_VERSION", "1.2.3", "version", "1.2.3"),
        ("DD_SERVICE_MAPPING", "postgres:db,redis:cache", "service_mapping", {"postgres": "db", "redis": "cache"}),
        ("DD_SERVICE_MAPPING", "postgres:db redis:cache", "service_mapping", {"postgres": "db", "redis": "cache"}),
        ("DD_TRACE_ENABLED", "false", "_tracing_enabled", False),
        ("DD_TRACE_ENABLED", "0", "_tracing_enabled", False),
        ("DD_TRACE_ENABLED", "No", "_tracing_enabled", False),
        ("DD_TRACE_ENABLED", "OFF", "_tracing_enabled", False),
        ("DD_TRACE_ENABLED", "TRUE", "_tracing_enabled", True),
        ("DD_TRACE_STARTUP_LOGS", "yes", "_startup_logs_enabled", True),
        ("DD_LOGS_INJECTION", "1", "_logs_injection", True),
        ("DD_TRACE_AGENT_TIMEOUT_SECONDS", "0.5", "_agent_timeout_seconds", 0.5),
        ("DD_TRACE_API_VERSION", "v0.4", "_trace_api", "v0.4"),
        ("DD_TRACE_API_VERSION", "V0.5", "_trace_api", "v0.5"),
        ("DD_TRACE_API_VERSION", "0.4", "_trace_api", "v0.4"),
        ("DD_TRACE_WRITER_BUFFER_SIZE_BYTES", "1000", "_trace_writer_buffer_size", 1000),
        ("DD_TRACE_WRITER_MAX_PAYLOAD_SIZE_BYTES", "2000", "_trace_writer_payload_size", 2000),
        ("DD_TRACE_WRITER_INTERVAL_SECONDS", "0.25", "_trace_writer_interval_seconds", 0.25),
        ("DD_TRACE_SAMPLE_RATE", "0.3", "_trace_sample_rate", 0.3),
        ("DD_TRACE_SAMPLE_RATE", "0", "_trace_sample_rate", 0.0),
        ("DD_TRACE_SAMPLE_RATE", "1", "_trace_sample_rate", 1.0),
        (
            "DD_TRACE_SAMPLING_RULES",
            '[{"service": "web", "sample_rate": 0.5}]',
            "_trace_sampling_rules",
            '[{"service": "web", "sample_rate": 0.5}]',
        ),
        ("DD_TRACE_RATE_LIMIT", "10", "_trace_rate_limit", 10),
        ("DD_TRACE_RATE_LIMIT", "0", "_trace_rate_limit", 0),
        ("DD_TRACE_RATE_LIMIT", "-1", "_trace_rate_limit", -1),
        ("DD_TRACE_128_BIT_TRACEID_GENERATION_ENABLED", "false", "_128_bit_trace_id_enabled", False),
        ("DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED", "false", "_128_bit_trace_id_logging_enabled", False),
        ("DD_TRACE_PARTIAL_FLUSH_ENABLED", "false", "_partial_flush_enabled", False),
        ("DD_TRACE_PARTIAL_FLUSH_MIN_SPANS", "1", "_partial_flush_min_spans", 1),
        ("DD_TRACE_PARTIAL_FLUSH_MIN_SPANS", " 1000 ", "_partial_flush_min_spans", 1000),
        ("DD_TRACE_PROPAGATION_EXTRACT_FIRST", "true", "_propagation_extract_first", True),
        ("DD_TRACE_X_DATADOG_TAGS_MAX_LENGTH", "0", "_x_datadog_tags_max_length", 0),
        ("DD_TRACE_BAGGAGE_MAX_ITEMS", "3", "_baggage_max_items", 3),
        ("DD_TRACE_BAGGAGE_MAX_BYTES", "100", "_baggage_max_bytes", 100),
        ("DD_TRACE_OBFUSCATION_QUERY_STRING_REGEXP", r"ssn=\d+", "_obfuscation_query_string_regexp", r"ssn=\d+"),
        # Empty means "no redaction" here, unlike every other variable.
        ("DD_TRACE_OBFUSCATION_QUERY_STRING_REGEXP", "", "_obfuscation_query_string_regexp", ""),
        ("DD_HTTP_SERVER_TAG_QUERY_STRING", "false", "_http_server_tag_query_string", False),
        ("DD_TRACE_HTTP_CLIENT_TAG_QUERY_STRING", "false", "_http_client_tag_query_string", False),
        ("DD_HTTP_CLIENT_TAG_QUERY_STRING", "false", "_http_client_tag_query_string", False),
        ("DD_TRACE_REPORT_HOSTNAME", "true", "_report_hostname", True),
        ("DD_TRACE_DEBUG", "false", "_debug_mode", False),
    ],
)
def test_variable(load, name, raw, attr, expected):
    c = load({name: raw})
    assert getattr(c, attr) == expected
    assert type(getattr(c, attr)) is type(expected)
    assert load.warnings == []
    assert c._sources()[attr] == (expected, "env")


@pytest.mark.parametrize(
    "name, raw, attr, default",
    [
        ("DD_TRACE_SAMPLE_RATE", "abc", "_trace_sample_rate", None),
        ("DD_TRACE_SAMPLE_RATE", "1.5", "_trace_sample_rate", None),
        ("DD_TRACE_SAMPLE_RATE", "-0.1", "_trace_sample_rate", None),
        ("DD_TRACE_SAMPLE_RATE", "nan", "_trace_sample_rate", None),
        ("DD_TRACE_RATE_LIMIT", "-x", "_trace_rate_limit", 100),
        ("DD_TRACE_RATE_LIMIT", "2.5", "_trace_rate_limit", 100),
        ("DD_TRACE_PARTIAL_FLUSH_MIN_SPANS", "0", "_partial_flush_min_spans", 300),
        ("DD_TRACE_PARTIAL_FLUSH_MIN_SPANS", "many", "_partial_flush_min_spans", 300),
        ("DD_TRACE_ENABLED", "maybe", "_tracing_enabled", True),
        ("DD_TRACE_PARTIAL_FLUSH_ENABLED", "2", "_partial_flush_enabled", True),
        ("DD_LOGS_INJECTION", "enabled", "_logs_injection", False),
        ("DD_TRACE_AGENT_TIMEOUT_SECONDS", "0", "_agent_timeout_seconds", 2.0),
        ("DD_TRACE_AGENT_TIMEOUT_SECONDS", "inf", "_agent_timeout_seconds", 2.0),
        ("DD_TRACE_API_VERSION", "v0.7", "_trace_api", "v0.5"),
        ("DD_TRACE_WRITER_BUFFER_SIZE_BYTES", "0", "_trace_writer_buffer_size", 20 * MiB),
        ("DD_TRACE_WRITER_MAX_PAYLOAD_SIZE_BYTES", "1e6", "_trace_writer_payload_size", 20 * MiB),
        ("DD_TRACE_WRITER_INTERVAL_SECONDS", "-1", "_trace_writer_interval_seconds", 1.0),
        ("DD_TRACE_X_DATADOG_TAGS_MAX_LENGTH", "-1", "_x_datadog_tags_max_length", 512),
        ("DD_TRACE_BAGGAGE_MAX_ITEMS", "lots", "_baggage_max_items", 64),
        ("DD_TRACE_BAGGAGE_MAX_BYTES", "8k", "_baggage_max_bytes", 8192),
        ("DD_TRACE_AGENT_URL", "localhost:8126", "_trace_agent_url", "http://localhost:8126"),
        ("DD_TRACE_AGENT_URL", "ftp://agent:21", "_trace_agent_url", "http://localhost:8126"),
        ("DD_TRACE_AGENT_URL", "http://agent:99999", "_trace_agent_url", "http://localhost:8126"),
        ("DD_TRACE_AGENT_URL", "unix://relative.sock", "_trace_agent_url", "http://localhost:8126"),
        ("DD_TRACE_AGENT_PORT", "http", "_trace_agent_url", "http://localhost:8126"),
        ("DD_TRACE_AGENT_PORT", "0", "_trace_agent_url", "http://localhost:8126"),
        ("DD_AGENT_HOST", "http://agent:8126", "_trace_agent_url", "http://localhost:8126"),
        ("DD_TRACE_PROPAGATION_STYLE", "jaeger", "_propagation_style_inject", ["datadog", "tracecontext", "baggage"]),
        ("DD_TRACE_HTTP_SERVER_ERROR_STATUSES", "oops", "_http_server_error_statuses", frozenset(range(500, 600))),
    ],
)
def test_bad_value_warns_once_and_uses_the_default(load, name, raw, attr, default):
    c = load({name: raw})
    assert getattr(c, attr) == default
    assert len(load.warnings) == 1, load.warnings
    (warning,) = load.warnings
    assert name in warning
    assert repr(raw) in warning
    assert "default" in warning
    assert c._sources()[attr][1] == "default"


def test_each_bad_variable_gets_its_own_warning(load):
    c = load({"DD_TRACE_SAMPLE_RATE": "abc", "DD_TRACE_RATE_LIMIT": "-x", "DD_TRACE_PARTIAL_FLUSH_MIN_SPANS": "0"})
    assert (c._trace_sample_rate, c._trace_rate_limit, c._partial_flush_min_spans) == (None, 100, 300)
    assert len(load.warnings) == 3
    for name in ("DD_TRACE_SAMPLE_RATE", "DD_TRACE_RATE_LIMIT", "DD_TRACE_PARTIAL_FLUSH_MIN_SPANS"):
        assert sum(name in w for w in load.warnings) == 1
    assert c._load_warnings == load.warnings


def test_the_warning_says_what_was_expected_and_the_default(load):
    load({"DD_TRACE_SAMPLE_RATE": "abc"})
    assert load.warnings == [
        "Invalid value for DD_TRACE_SAMPLE_RATE: 'abc' (expected a number between 0 and 1); using the default None"
    ]


def test_a_bad_value_leaves_the_other_variables_alone(load):
    c = load({"DD_TRACE_SAMPLE_RATE": "abc", "DD_SERVICE": "web", "DD_TRACE_RATE_LIMIT": "7"})
    assert (c.service, c._trace_rate_limit) == ("web", 7)


@pytest.mark.parametrize("raw", ["", "   ", "\t"])
def test_blank_values_count_as_unset(load, raw):
    c = load({"DD_SERVICE": raw, "DD_TRACE_RATE_LIMIT": raw, "DD_TRACE_ENABLED": raw, "DD_TAGS": raw})
    assert (c.service, c._trace_rate_limit, c._tracing_enabled, c.tags) == (None, 100, True, {})
    assert load.warnings == []
    assert c._sources()["service"][1] == "default"


def test_mutating_a_default_does_not_leak_into_the_next_config(load):
    c = load({})
    c.tags["team"] = "a"
    c._propagation_style_inject.append("b3")
    c2 = load({})
    assert c2.tags == {}
    assert c2._propagation_style_inject == ["datadog", "tracecontext", "baggage"]


# -- DD_TAGS


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("team:a,tier:web", {"team": "a", "tier": "web"}),
        ("team:a tier:web", {"team": "a", "tier": "web"}),
        (" team:a ,  tier:web ", {"team": "a", "tier": "web"}),
        ("url:http://host:80,x:y", {"url": "http://host:80", "x": "y"}),
        ("note:two words,x:y", {"note": "two words", "x": "y"}),
        ("empty:", {"empty": ""}),
        ("k:1,k:2", {"k": "2"}),
    ],
)
def test_tags_forms(load, raw, expected):
    c = load({"DD_TAGS": raw})
    assert c.tags == expected
    assert load.warnings == []


def test_tags_items_without_colon_are_ignored_with_one_warning(load):
    c = load({"DD_TAGS": "team:a,lonely,also-lonely,:nokey,tier:web"})
    assert c.tags == {"team": "a", "tier": "web"}
    assert len(load.warnings) == 1
    assert "DD_TAGS" in load.warnings[0]
    assert "'lonely'" in load.warnings[0] and "'also-lonely'" in load.warnings[0] and "':nokey'" in load.warnings[0]


def test_global_tags_is_a_legacy_alias_merged_under_dd_tags(load):
    c = load({"DD_TRACE_GLOBAL_TAGS": "team:old,region:eu", "DD_TAGS": "team:new"})
    assert c.tags == {"team": "new", "region": "eu"}
    assert c._sources()["tags"][1] == "env"
    assert load({"DD_TRACE_GLOBAL_TAGS": "a:b"}).tags == {"a": "b"}


def test_service_env_version_fall_back_to_dd_tags(load):
    c = load({"DD_TAGS": "service:web,env:prod,version:2"})
    assert (c.service, c.env, c.version) == ("web", "prod", "2")
    c = load({"DD_TAGS": "service:web,env:prod", "DD_SERVICE": "api", "DD_ENV": "dev"})
    assert (c.service, c.env) == ("api", "dev")


def test_service_mapping_item_without_colon_warns(load):
    c = load({"DD_SERVICE_MAPPING": "postgres:db,redis"})
    assert c.service_mapping == {"postgres": "db"}
    assert len(load.warnings) == 1 and "DD_SERVICE_MAPPING" in load.warnings[0]


# -- DD_TRACE_HEADER_TAGS


def test_header_tags(load):
    c = load({"DD_TRACE_HEADER_TAGS": "User-Agent:http.useragent, X-Request-ID ,content-type:ct"})
    assert c.http_header_tags == {"user-agent": "http.useragent", "x-request-id": "", "content-type": "ct"}
    assert load.warnings == []


def test_header_tags_space_separated(load):
    c = load({"DD_TRACE_HEADER_TAGS": "User-Agent:ua X-Id"})
    assert c.http_header_tags == {"user-agent": "ua", "x-id": ""}


# -- error statuses


@pytest.mark.parametrize(
    "raw, codes",
    [
        ("500-599", set(range(500, 600))),
        ("400-403,405", {400, 401, 402, 403, 405}),
        ("200 , 400-401", {200, 400, 401}),
        ("404-400", {400, 401, 402, 403, 404}),
        ("429", {429}),
    ],
)
def test_error_statuses(load, raw, codes):
    c = load({"DD_TRACE_HTTP_SERVER_ERROR_STATUSES": raw, "DD_TRACE_HTTP_CLIENT_ERROR_STATUSES": raw})
    assert set(c._http_server_error_statuses) == codes
    assert set(c._http_client_error_statuses) == codes
    assert isinstance(c._http_server_error_statuses, frozenset)
    assert load.warnings == []


def test_error_statuses_bad_items_are_dropped_with_a_warning(load):
    c = load({"DD_TRACE_HTTP_CLIENT_ERROR_STATUSES": "400-403,x,5000,405"})
    assert set(c._http_client_error_statuses) == {400, 401, 402, 403, 405}
    assert len(load.warnings) == 1
    assert "'x'" in load.warnings[0] and "'5000'" in load.warnings[0]


def test_error_statuses_show_as_ranges(load):
    c = load({"DD_TRACE_HTTP_SERVER_ERROR_STATUSES": "500-599,429,431,430"})
    assert repr(c._http_server_error_statuses) == "429-431,500-599"


# -- propagation styles


@pytest.mark.parametrize(
    "env, extract, inject",
    [
        ({"DD_TRACE_PROPAGATION_STYLE": "b3multi"}, ["b3multi"], ["b3multi"]),
        (
            {"DD_TRACE_PROPAGATION_STYLE": "Datadog, TraceContext"},
            ["datadog", "tracecontext"],
            ["datadog", "tracecontext"],
        ),
        ({"DD_TRACE_PROPAGATION_STYLE": "datadog b3"}, ["datadog", "b3"], ["datadog", "b3"]),
        (
            {"DD_TRACE_PROPAGATION_STYLE": "datadog", "DD_TRACE_PROPAGATION_STYLE_EXTRACT": "b3multi"},
            ["b3multi"],
            ["datadog"],
        ),
        (
            {"DD_TRACE_PROPAGATION_STYLE": "datadog", "DD_TRACE_PROPAGATION_STYLE_INJECT": "tracecontext,baggage"},
            ["datadog"],
            ["tracecontext", "baggage"],
        ),
        ({"DD_TRACE_PROPAGATION_STYLE_INJECT": "b3"}, ["datadog", "tracecontext", "baggage"], ["b3"]),
        ({"DD_TRACE_PROPAGATION_STYLE": "B3 single header,datadog"}, ["b3", "datadog"], ["b3", "datadog"]),
        ({"DD_TRACE_PROPAGATION_STYLE": "b3 single header"}, ["b3"], ["b3"]),
        ({"DD_TRACE_PROPAGATION_STYLE": "datadog,datadog,b3"}, ["datadog", "b3"], ["datadog", "b3"]),
        ({"DD_TRACE_PROPAGATION_STYLE": "none"}, [], []),
        ({"DD_TRACE_PROPAGATION_STYLE_EXTRACT": "none"}, [], ["datadog", "tracecontext", "baggage"]),
    ],
)
def test_propagation_styles(load, env, extract, inject):
    c = load(env)
    assert c._propagation_style_extract == extract
    assert c._propagation_style_inject == inject
    assert load.warnings == []


def test_unknown_propagation_style_is_dropped_with_a_warning(load):
    c = load({"DD_TRACE_PROPAGATION_STYLE_EXTRACT": "datadog,jaeger"})
    assert c._propagation_style_extract == ["datadog"]
    assert len(load.warnings) == 1
    assert "DD_TRACE_PROPAGATION_STYLE_EXTRACT" in load.warnings[0] and "'jaeger'" in load.warnings[0]


# -- agent address


def test_agent_url_wins_over_host_and_port(load):
    c = load({"DD_TRACE_AGENT_URL": "http://agent:9000", "DD_AGENT_HOST": "other", "DD_TRACE_AGENT_PORT": "1"})
    assert c._trace_agent_url == "http://agent:9000"
    assert c._sources()["_trace_agent_url"][1] == "env"


@pytest.mark.parametrize(
    "env, url",
    [
        ({"DD_AGENT_HOST": "agent"}, "http://agent:8126"),
        ({"DD_TRACE_AGENT_PORT": "9126"}, "http://localhost:9126"),
        ({"DD_AGENT_HOST": "agent", "DD_TRACE_AGENT_PORT": "9126"}, "http://agent:9126"),
        ({"DD_AGENT_HOST": "::1"}, "http://[::1]:8126"),
        ({"DD_AGENT_HOST": "[::1]"}, "http://[::1]:8126"),
        ({"DD_AGENT_HOST": "fe80::1", "DD_TRACE_AGENT_PORT": "1"}, "http://[fe80::1]:1"),
        ({"DD_TRACE_AGENT_HOSTNAME": "legacy"}, "http://legacy:8126"),
        ({"DD_TRACE_AGENT_HOSTNAME": "legacy", "DD_AGENT_HOST": "new"}, "http://new:8126"),
        ({"DD_TRACE_AGENT_URL": "unix:///tmp/apm.sock"}, "unix:///tmp/apm.sock"),
        ({"DD_TRACE_AGENT_URL": "https://agent.example:443/"}, "https://agent.example:443"),
        ({"DD_TRACE_AGENT_URL": "http://[::1]:8126"}, "http://[::1]:8126"),
    ],
)
def test_agent_url_rules(load, env, url):
    c = load(env)
    assert c._trace_agent_url == url
    assert load.warnings == []


def test_unix_socket_is_used_when_it_exists_and_nothing_is_configured(load, sockets):
    sockets.add("/var/run/datadog/apm.socket")
    c = load({})
    assert c._trace_agent_url == "unix:///var/run/datadog/apm.socket"
    assert c._sources()["_trace_agent_url"][1] == "default"


@pytest.mark.parametrize(
    "env",
    [{"DD_AGENT_HOST": "agent"}, {"DD_TRACE_AGENT_PORT": "8126"}, {"DD_TRACE_AGENT_URL": "http://x:1"}],
)
def test_unix_socket_is_not_used_when_the_agent_is_configured(load, sockets, env):
    sockets.add("/var/run/datadog/apm.socket")
    assert not load(env)._trace_agent_url.startswith("unix:")


def test_a_failing_socket_check_falls_back_to_http(load, monkeypatch):
    from ddtrace.settings import _agent

    def boom(path):
        raise PermissionError(path)

    monkeypatch.setattr(_agent, "path_exists", boom)
    assert load({})._trace_agent_url == "http://localhost:8126"


def test_legacy_client_query_string_name_loses_to_the_new_one(load):
    c = load({"DD_HTTP_CLIENT_TAG_QUERY_STRING": "false", "DD_TRACE_HTTP_CLIENT_TAG_QUERY_STRING": "true"})
    assert c._http_client_tag_query_string is True


def test_default_query_string_regexp_redacts_secrets():
    import re

    pattern = re.compile(_env.DEFAULT_QUERY_STRING_REGEXP)
    query = "page=2&password=hunter2&api_key=abc123&q=shoes&token=xyz"
    assert pattern.sub("<redacted>", query) == "page=2&<redacted>&<redacted>&q=shoes&<redacted>"
