"""Configuration — PLACEHOLDER read straight from os.environ.

The envier-based loader replaces this module, keeping every attribute name below
(they are the contract the rest of the tracer codes against).
"""
import os


def _bool(name, default):
    v = os.environ.get(name)
    if v is None:
        return default
    return v.strip().lower() in ("1", "true", "yes", "on")


def _styles(name, default):
    v = os.environ.get(name) or os.environ.get("DD_TRACE_PROPAGATION_STYLE") or default
    return [s.strip().lower() for s in v.replace(" ", ",").split(",") if s.strip()]


class Config:
    def __init__(self):
        e = os.environ.get
        self.service = e("DD_SERVICE")
        self.env = e("DD_ENV")
        self.version = e("DD_VERSION")
        self.tags = {}
        self.service_mapping = {}
        self._tracing_enabled = _bool("DD_TRACE_ENABLED", True)
        self._debug_mode = _bool("DD_TRACE_DEBUG", False)
        self._trace_agent_url = e("DD_TRACE_AGENT_URL") or "http://%s:%s" % (
            e("DD_AGENT_HOST", "localhost"),
            e("DD_TRACE_AGENT_PORT", "8126"),
        )
        self._agent_timeout_seconds = 2.0
        self._trace_api = e("DD_TRACE_API_VERSION", "v0.5")
        self._trace_writer_buffer_size = 20 << 20
        self._trace_writer_payload_size = 20 << 20
        self._trace_writer_interval_seconds = 1.0
        self._trace_sample_rate = float(e("DD_TRACE_SAMPLE_RATE")) if e("DD_TRACE_SAMPLE_RATE") else None
        self._trace_sampling_rules = e("DD_TRACE_SAMPLING_RULES", "")
        self._trace_rate_limit = 100
        self._128_bit_trace_id_enabled = _bool("DD_TRACE_128_BIT_TRACEID_GENERATION_ENABLED", True)
        self._128_bit_trace_id_logging_enabled = _bool("DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED", True)
        self._partial_flush_enabled = _bool("DD_TRACE_PARTIAL_FLUSH_ENABLED", True)
        self._partial_flush_min_spans = 300
        self._propagation_style_extract = _styles("DD_TRACE_PROPAGATION_STYLE_EXTRACT", "datadog,tracecontext,baggage")
        self._propagation_style_inject = _styles("DD_TRACE_PROPAGATION_STYLE_INJECT", "datadog,tracecontext,baggage")
        self._propagation_extract_first = _bool("DD_TRACE_PROPAGATION_EXTRACT_FIRST", False)
        self._x_datadog_tags_max_length = 512
        self._baggage_max_items = 64
        self._baggage_max_bytes = 8192
        self._startup_logs_enabled = _bool("DD_TRACE_STARTUP_LOGS", False)
        self._logs_injection = _bool("DD_LOGS_INJECTION", False)
        self.http_header_tags = {}

    def _on_load(self, fn):
        fn()


config = Config()
