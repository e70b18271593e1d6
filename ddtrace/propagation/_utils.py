"""Strict parsing helpers shared by the header formats.

Python's ``int()`` is far too forgiving for wire ids (it takes ``"+5"``, ``" 5 "``,
``"1_0"``, ``"0x1f"`` with base 16 and non-ASCII digits), so every id goes through the
character-set checks below before it is converted.
"""
from ddtrace.internal.logger import get_logger

log = get_logger("ddtrace.propagation")

MAX64 = (1 << 64) - 1
MAX128 = (1 << 128) - 1
_INT32_MIN = -(1 << 31)
_INT32_MAX = (1 << 31) - 1

LOWER_HEX = "0123456789abcdef"
ANY_HEX = "0123456789abcdefABCDEF"
OWS = " \t"

SAMPLING_PRIORITY_KEY = "_sampling_priority_v1"
ORIGIN_KEY = "_dd.origin"
DECISION_MAKER_KEY = "_dd.p.dm"
TRACE_ID_HIGH_KEY = "_dd.p.tid"
TAG_PREFIX = "_dd.p."
PROPAGATION_ERROR_KEY = "_dd.propagation_error"
LAST_PARENT_ID_KEY = "_dd.parent_id"
TRACESTATE_KEY = "tracestate"

# Every header name any style reads, normalised (lowercase, dashes).
HEADER_NAMES = frozenset(
    (
        "x-datadog-trace-id",
        "x-datadog-parent-id",
        "x-datadog-sampling-priority",
        "x-datadog-origin",
        "x-datadog-tags",
        "traceparent",
        "tracestate",
        "x-b3-traceid",
        "x-b3-spanid",
        "x-b3-sampled",
        "x-b3-flags",
        "b3",
        "baggage",
    )
)


def collect_headers(headers):
    """The propagation headers of ``headers`` as ``{normalised name: str value}``.

    Names match case-insensitively, and WSGI environ keys (``HTTP_X_DATADOG_TRACE_ID``)
    match too. Names and values may be ``bytes`` (message headers: Kafka and the like
    carry them so), decoded as UTF-8; other types are skipped. When two spellings of
    one header are present, the first one seen wins. Raises whatever iterating
    ``headers`` raises.
    """
    found = {}
    for key, value in headers.items():
        if not isinstance(key, str):
            if not isinstance(key, (bytes, bytearray)):
                continue
            key = bytes(key).decode("latin-1")
        name = key.lower()
        if name not in HEADER_NAMES:
            if name.startswith("http_"):
                name = name[5:]
            name = name.replace("_", "-")
            if name not in HEADER_NAMES:
                continue
        if name in found:
            continue
        if isinstance(value, (bytes, bytearray, memoryview)):
            try:
                value = bytes(value).decode("utf-8")
            except UnicodeDecodeError:
                log.debug("propagation header %r ignored: its value is not UTF-8", key)
                continue
        elif not isinstance(value, str):
            log.debug("propagation header %r ignored: its value is a %s, not a str", key, type(value).__name__)
            continue
        found[name] = value
    return found


def parse_u64_decimal(value):
    """A decimal uint64 in 1..2**64-1, or None."""
    value = value.strip(OWS)
    if not 0 < len(value) <= 20 or not value.isascii() or not value.isdigit():
        return None
    n = int(value)
    return n if 0 < n <= MAX64 else None


def parse_hex(value, lengths, digits=LOWER_HEX):
    """An int from exactly ``len(value) in lengths`` hex digits, or None (zero included)."""
    if len(value) not in lengths or value.strip(digits):
        return None
    return int(value, 16)


def parse_small_int(value):
    """A (possibly negative) decimal int32, or None: used for sampling priorities."""
    value = value.strip(OWS)
    digits = value[1:] if value[:1] == "-" else value
    if not 0 < len(digits) <= 10 or not digits.isascii() or not digits.isdigit():
        return None
    n = int(value)
    return n if _INT32_MIN <= n <= _INT32_MAX else None


def is_printable_ascii(value):
    """True for a non-empty str of characters 0x20-0x7E (safe in an HTTP header)."""
    return isinstance(value, str) and value != "" and value.isascii() and value.isprintable()


def valid_trace_id(trace_id):
    """1..2**128-1 with non-zero low 64 bits (the agent keys traces on the low half)."""
    return type(trace_id) is int and 0 < trace_id <= MAX128 and (trace_id & MAX64) != 0


def valid_span_id(span_id):
    return type(span_id) is int and 0 < span_id <= MAX64


def same_trace(a, b):
    """Whether two trace ids name one trace: equal, or equal in the low 64 bits when one
    side only knows those (a 64-bit sender, or x-datadog-tags dropped for size)."""
    if a == b:
        return True
    if a <= MAX64:
        return a == (b & MAX64)
    if b <= MAX64:
        return b == (a & MAX64)
    return False


def context_priority(ctx):
    """The context's sampling priority as an int, or None when undecided or unusable."""
    value = ctx._metrics.get(SAMPLING_PRIORITY_KEY)
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def record_propagation_error(span, error):
    """Tag the local root of ``span`` with ``_dd.propagation_error``.

    Not on the Context's meta: that would travel to every later chunk and every trace
    started from that context. Without a span there is nowhere safe to put it.
    """
    if span is not None:
        span._local_root._meta[PROPAGATION_ERROR_KEY] = error
    else:
        log.debug("trace context propagation error %r not recorded: inject() was given a Context, not a Span", error)
