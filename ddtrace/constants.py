"""Public constants: sampling priorities and well-known tag names."""

# Sampling priorities
USER_REJECT = -1
AUTO_REJECT = 0
AUTO_KEEP = 1
USER_KEEP = 2

SAMPLING_PRIORITY_KEY = "_sampling_priority_v1"
MANUAL_KEEP_KEY = "manual.keep"
MANUAL_DROP_KEY = "manual.drop"
ORIGIN_KEY = "_dd.origin"
ENV_KEY = "env"
VERSION_KEY = "version"
SERVICE_KEY = "service.name"
SPAN_KIND = "span.kind"
SPAN_MEASURED_KEY = "_dd.measured"
PID = "process_id"
ERROR_MSG = "error.message"
ERROR_TYPE = "error.type"
ERROR_STACK = "error.stack"

SAMPLING_DECISION_MAKER_KEY = "_dd.p.dm"
SAMPLING_RULE_RATE_KEY = "_dd.rule_psr"
SAMPLING_LIMIT_RATE_KEY = "_dd.limit_psr"
SAMPLING_AGENT_RATE_KEY = "_dd.agent_psr"
TRACE_ID_HIGH_KEY = "_dd.p.tid"
TOP_LEVEL_KEY = "_dd.top_level"
