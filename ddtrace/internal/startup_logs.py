"""The start-up configuration line (``DD_TRACE_STARTUP_LOGS=true``).

One line, ``DATADOG TRACER CONFIGURATION - {json}``, with the effective settings and
whether the agent accepted the first payload. The writer emits it once per process,
after its first send attempt: at that point the line can tell whether the agent was
reachable (``agent_error`` is null, or the error), and nothing is added to the
application's start-up time. It goes to the ``ddtrace`` logger at INFO when logging
is configured to show it, else straight to stderr, so turning the option on always
shows the line.
"""
import os
import sys
import time

from ddtrace.internal import lazy
from ddtrace.internal.logger import get_logger

log = get_logger(__name__)

PREFIX = "DATADOG TRACER CONFIGURATION - "
_INFO = 20


def configuration(writer=None, agent_error=None):
    """The settings in force, as a JSON-ready dict.

    :param writer: the writer whose agent URL and API version are reported (default:
        what the configuration says).
    :param agent_error: None when the agent accepted the traces, else the error text.
    """
    from ddtrace.settings import config
    from ddtrace.version import __version__

    agent = lazy.load("ddtrace.internal.agent")
    headers = agent.base_headers()
    uname = os.uname() if hasattr(os, "uname") else None
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "os_name": uname.sysname if uname else sys.platform,
        "os_version": uname.release if uname else "",
        "architecture": uname.machine if uname else "",
        "is_64_bit": sys.maxsize > 2**32,
        "pid": os.getpid(),
        "tracer_version": __version__,
        "lang": "python",
        "lang_version": headers["Datadog-Meta-Lang-Version"],
        "lang_interpreter": headers["Datadog-Meta-Lang-Interpreter"],
        "enabled": bool(config._tracing_enabled),
        "agent_url": agent.redact_url(getattr(writer, "_agent_url", None) or config._trace_agent_url),
        "api_version": getattr(writer, "_api_version", None) or config._trace_api,
        "agent_error": agent_error,
        "service": config.service,
        "env": config.env,
        "dd_version": config.version,
        "tags": dict(config.tags or {}),
        "service_mapping": dict(config.service_mapping or {}),
        "sample_rate": config._trace_sample_rate,
        "sampling_rules": config._trace_sampling_rules,
        "rate_limit": config._trace_rate_limit,
        "propagation_style_extract": list(config._propagation_style_extract or []),
        "propagation_style_inject": list(config._propagation_style_inject or []),
        "partial_flush_enabled": bool(config._partial_flush_enabled),
        "partial_flush_min_spans": config._partial_flush_min_spans,
        "128_bit_trace_id_enabled": bool(config._128_bit_trace_id_enabled),
        "128_bit_trace_id_logging_enabled": bool(config._128_bit_trace_id_logging_enabled),
        "logs_injection": bool(config._logs_injection),
        "debug": bool(config._debug_mode),
    }


def format_line(info):
    """The log line for ``info`` (values that JSON cannot hold are written as text)."""
    return PREFIX + lazy.load("json").dumps(info, default=str)


def log_configuration(writer=None, agent_error=None):
    """Emit the configuration line once (see the module documentation)."""
    line = format_line(configuration(writer, agent_error))
    logging = sys.modules.get("logging")
    if logging is not None:
        target = logging.getLogger(__name__)
        if target.isEnabledFor(_INFO) and target.hasHandlers():
            log.info("%s", line)
            return
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except Exception:  # a closed or missing stderr must not matter
        pass
