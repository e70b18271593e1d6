"""The envier declarations: every documented variable is declared, and the docs table shows them."""
import importlib.util
import os

import pytest

from ddtrace.settings import _env

DOCS_EXT = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "_ext", "ddtrace_env_table.py")

# The variables the tracer promises to read (docs/configuration.rst lists them all).
EXPECTED = {
    "DD_SERVICE",
    "DD_ENV",
    "DD_VERSION",
    "DD_TAGS",
    "DD_TRACE_GLOBAL_TAGS",
    "DD_SERVICE_MAPPING",
    "DD_TRACE_ENABLED",
    "DD_TRACE_DEBUG",
    "DD_TRACE_AGENT_URL",
    "DD_AGENT_HOST",
    "DD_TRACE_AGENT_HOSTNAME",
    "DD_TRACE_AGENT_PORT",
    "DD_TRACE_AGENT_TIMEOUT_SECONDS",
    "DD_TRACE_API_VERSION",
    "DD_TRACE_WRITER_BUFFER_SIZE_BYTES",
    "DD_TRACE_WRITER_MAX_PAYLOAD_SIZE_BYTES",
    "DD_TRACE_WRITER_INTERVAL_SECONDS",
    "DD_TRACE_SAMPLE_RATE",
    "DD_TRACE_SAMPLING_RULES",
    "DD_TRACE_RATE_LIMIT",
    "DD_TRACE_128_BIT_TRACEID_GENERATION_ENABLED",
    "DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED",
    "DD_TRACE_PARTIAL_FLUSH_ENABLED",
    "DD_TRACE_PARTIAL_FLUSH_MIN_SPANS",
    "DD_TRACE_PROPAGATION_STYLE",
    "DD_TRACE_PROPAGATION_STYLE_EXTRACT",
    "DD_TRACE_PROPAGATION_STYLE_INJECT",
    "DD_TRACE_PROPAGATION_EXTRACT_FIRST",
    "DD_TRACE_X_DATADOG_TAGS_MAX_LENGTH",
    "DD_TRACE_BAGGAGE_MAX_ITEMS",
    "DD_TRACE_BAGGAGE_MAX_BYTES",
    "DD_TRACE_STARTUP_LOGS",
    "DD_LOGS_INJECTION",
    "DD_TRACE_HEADER_TAGS",
    "DD_TRACE_OBFUSCATION_QUERY_STRING_REGEXP",
    "DD_TRACE_HTTP_SERVER_ERROR_STATUSES",
    "DD_TRACE_HTTP_CLIENT_ERROR_STATUSES",
    "DD_HTTP_SERVER_TAG_QUERY_STRING",
    "DD_TRACE_HTTP_CLIENT_TAG_QUERY_STRING",
    "DD_HTTP_CLIENT_TAG_QUERY_STRING",
    "DD_TRACE_REPORT_HOSTNAME",
}

EXPECTED_INTEGRATION = {
    "DD_{INTEGRATION}_SERVICE",
    "DD_{INTEGRATION}_DISTRIBUTED_TRACING",
    "DD_TRACE_{INTEGRATION}_ENABLED",
    "DD_{INTEGRATION}_TRACE_QUERY_STRING",
}


def test_declared_variables():
    assert {_env.env_name(v) for _, v in _env.declared(_env.TracerEnv)} == EXPECTED
    assert {_env.env_name(v) for _, v in _env.declared(_env.IntegrationEnv)} == EXPECTED_INTEGRATION


@pytest.mark.parametrize("cls", [_env.TracerEnv, _env.IntegrationEnv])
def test_every_variable_is_documented(cls):
    for attr, var in _env.declared(cls):
        assert var.help and len(var.help) > 20, attr
        assert var.help_type, attr
        if attr.startswith("raw_"):
            assert attr in _env.RAW_TARGETS


def test_envier_reads_the_declared_names():
    # envier (any supported version) looks each variable up under the name we document.
    reader = _env.TracerEnv({"DD_TRACE_PARTIAL_FLUSH_MIN_SPANS": "7", "DD_TRACE_AGENT_HOSTNAME": "h"})
    assert reader.settings["_partial_flush_min_spans"] == 7
    assert reader.settings["raw_agent_hostname"] == "h"
    values, origins = _env.read_integration_settings("my-lib.v2", {"DD_MY_LIB_V2_SERVICE": "s"})
    assert (values["service"], origins["service"]) == ("s", "env")


def test_docs_table_lists_every_variable():
    pytest.importorskip("docutils")
    spec = importlib.util.spec_from_file_location("ddtrace_env_table", DOCS_EXT)
    ext = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ext)
    rows = ext._rows("tracer")
    assert {r[0] for r in rows} == EXPECTED
    for name, typ, default, help_text, setting in rows:
        assert typ and default and help_text.endswith(".") and setting.startswith("config."), name
    integration_rows = ext._rows("integration")
    expected = {n.replace("{INTEGRATION}", "<INTEGRATION>") for n in EXPECTED_INTEGRATION}
    assert {r[0] for r in integration_rows} == expected
