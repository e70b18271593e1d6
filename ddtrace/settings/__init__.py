"""Configuration (placeholder until the envier-based loader lands)."""
import os


def _bool(name, default):
    v = os.environ.get(name)
    if v is None:
        return default
    return v.strip().lower() in ("1", "true", "yes", "on")


class Config:
    def __init__(self):
        self.service = os.environ.get("DD_SERVICE")
        self.env = os.environ.get("DD_ENV")
        self.version = os.environ.get("DD_VERSION")
        self.tags = {}
        self.service_mapping = {}
        self._128_bit_trace_id_enabled = _bool("DD_TRACE_128_BIT_TRACEID_GENERATION_ENABLED", True)
        self._partial_flush_enabled = _bool("DD_TRACE_PARTIAL_FLUSH_ENABLED", True)
        self._partial_flush_min_spans = 300
        self._tracing_enabled = _bool("DD_TRACE_ENABLED", True)
        self._128_bit_trace_id_logging_enabled = True

    def _on_load(self, fn):
        fn()


config = Config()
