"""The ``datadog`` style: ``x-datadog-*`` headers.

``x-datadog-tags`` carries the trace-level ``_dd.p.*`` tags as ``key=value,key=value``
(keys: printable ASCII without space, ``,`` or ``=``; values: printable ASCII without
``,``), including ``_dd.p.tid``, the high 64 bits of a 128-bit trace id.
"""
from ddtrace.propagation._utils import MAX64
from ddtrace.propagation._utils import ORIGIN_KEY
from ddtrace.propagation._utils import OWS
from ddtrace.propagation._utils import PROPAGATION_ERROR_KEY
from ddtrace.propagation._utils import TAG_PREFIX
from ddtrace.propagation._utils import TRACE_ID_HIGH_KEY
from ddtrace.propagation._utils import is_printable_ascii
from ddtrace.propagation._utils import log
from ddtrace.propagation._utils import parse_hex
from ddtrace.propagation._utils import parse_small_int
from ddtrace.propagation._utils import parse_u64_decimal
from ddtrace.propagation._utils import record_propagation_error
from ddtrace.settings import config
from ddtrace.trace._span import Context

TRACE_ID = "x-datadog-trace-id"
PARENT_ID = "x-datadog-parent-id"
SAMPLING_PRIORITY = "x-datadog-sampling-priority"
ORIGIN = "x-datadog-origin"
TAGS = "x-datadog-tags"


def _max_tags_length():
    try:
        return int(config._x_datadog_tags_max_length)
    except (AttributeError, TypeError, ValueError):
        return 512


def _valid_tag_key(key):
    return is_printable_ascii(key) and " " not in key and "," not in key and "=" not in key


def _valid_tag_value(value):
    return is_printable_ascii(value) and "," not in value


def decode_tags(value, meta):
    """Put the ``_dd.p.*`` tags of an ``x-datadog-tags`` value into ``meta``.

    All or nothing: one malformed pair drops them all (``_dd.propagation_error``
    records why), since a half-read set could misstate the sampling decision.
    """
    limit = _max_tags_length()
    if len(value) > limit:
        log.debug("x-datadog-tags ignored: %d characters, more than the %d allowed", len(value), limit)
        meta[PROPAGATION_ERROR_KEY] = "extract_max_size"
        return
    tags = {}
    for pair in value.split(","):
        key, sep, val = pair.strip(OWS).partition("=")
        if not sep or not _valid_tag_key(key) or not _valid_tag_value(val):
            log.debug("x-datadog-tags ignored: malformed pair %r", pair)
            meta[PROPAGATION_ERROR_KEY] = "decoding_error"
            return
        if key.startswith(TAG_PREFIX):
            tags[key] = val
    meta.update(tags)


def extract(headers):
    """A Context from the ``x-datadog-*`` headers, or None."""
    raw = headers.get(TRACE_ID)
    if raw is None:
        return None
    trace_id = parse_u64_decimal(raw)
    if trace_id is None:
        log.debug("x-datadog-trace-id %r is not an id in 1..2**64-1; datadog headers ignored", raw[:64])
        return None
    span_id = None
    raw = headers.get(PARENT_ID)
    if raw is not None and raw.strip(OWS) != "0":
        # A missing (or zero) parent is legitimate, e.g. synthetics requests; garbage is not.
        span_id = parse_u64_decimal(raw)
        if span_id is None:
            log.debug("x-datadog-parent-id %r is not an id in 1..2**64-1; datadog headers ignored", raw[:64])
            return None
    meta = {}
    raw = headers.get(TAGS)
    if raw:
        decode_tags(raw, meta)
    high = meta.pop(TRACE_ID_HIGH_KEY, None)
    if high is not None:
        high_bits = parse_hex(high, (16,))
        if high_bits is None:
            log.debug("_dd.p.tid %r is not 16 lowercase hex digits; the trace id stays 64-bit", high)
            meta[PROPAGATION_ERROR_KEY] = "malformed_tid " + high
        else:
            trace_id |= high_bits << 64
    origin = headers.get(ORIGIN)
    if origin is not None:
        origin = origin.strip(OWS)
        if not is_printable_ascii(origin):
            log.debug("x-datadog-origin %r ignored: not printable ASCII", origin[:64])
            origin = None
    priority = None
    raw = headers.get(SAMPLING_PRIORITY)
    if raw is not None:
        priority = parse_small_int(raw)
        if priority is None:
            log.debug("x-datadog-sampling-priority %r ignored: not an integer", raw[:64])
    return Context(trace_id=trace_id, span_id=span_id, dd_origin=origin, sampling_priority=priority, meta=meta)


def _encode_tags(meta, trace_id):
    """The ``x-datadog-tags`` value, or None with the error to record."""
    parts = []
    for key, value in meta.items():
        if type(key) is str and key.startswith(TAG_PREFIX) and key != TRACE_ID_HIGH_KEY:
            if not _valid_tag_key(key) or not _valid_tag_value(value):
                log.debug("x-datadog-tags not sent: tag %r=%r cannot be encoded", key, value)
                return None, "encoding_error"
            parts.append("%s=%s" % (key, value))
    if trace_id > MAX64:
        parts.append("%s=%016x" % (TRACE_ID_HIGH_KEY, trace_id >> 64))
    return ",".join(parts), None


def inject(ctx, trace_id, span_id, priority, headers, span):
    headers[TRACE_ID] = str(trace_id & MAX64)
    if span_id is not None:
        headers[PARENT_ID] = str(span_id)
    if priority is not None:
        headers[SAMPLING_PRIORITY] = str(priority)
    meta = ctx._meta
    origin = meta.get(ORIGIN_KEY)
    if origin is not None:
        if is_printable_ascii(origin):
            headers[ORIGIN] = origin
        else:
            log.debug("x-datadog-origin not sent: origin %r is not printable ASCII", origin)
    limit = _max_tags_length()
    if limit <= 0:
        record_propagation_error(span, "disabled")
        return
    value, error = _encode_tags(meta, trace_id)
    if error is not None:
        record_propagation_error(span, error)
    elif len(value) > limit:
        log.debug("x-datadog-tags not sent: %d characters, more than the %d allowed", len(value), limit)
        record_propagation_error(span, "inject_max_size")
    elif value:
        headers[TAGS] = value
