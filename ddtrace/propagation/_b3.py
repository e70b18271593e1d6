"""The B3 styles: ``b3multi`` (``x-b3-*`` headers) and ``b3`` (one ``b3`` header).

Ids are 16 or 32 hex digits (either case is accepted on the way in, lowercase is sent).
Sampling: ``1`` keep, ``0`` drop, and the debug flag (``x-b3-flags: 1`` or ``d``)
which we map to user keep (priority 2) both ways.
"""
from ddtrace.propagation._utils import ANY_HEX
from ddtrace.propagation._utils import MAX64
from ddtrace.propagation._utils import OWS
from ddtrace.propagation._utils import log
from ddtrace.propagation._utils import parse_hex
from ddtrace.propagation._utils import valid_trace_id
from ddtrace.trace._span import Context

TRACE_ID = "x-b3-traceid"
SPAN_ID = "x-b3-spanid"
SAMPLED = "x-b3-sampled"
FLAGS = "x-b3-flags"
SINGLE = "b3"

_USER_KEEP = 2
_SAMPLED_VALUES = {"1": 1, "0": 0, "true": 1, "false": 0, "d": _USER_KEEP}


def _ids(raw_trace, raw_span):
    trace_id = parse_hex(raw_trace.strip(OWS), (16, 32), ANY_HEX)
    span_id = parse_hex(raw_span.strip(OWS), (16,), ANY_HEX)
    if trace_id is None or span_id is None or not valid_trace_id(trace_id) or span_id == 0:
        return None
    return trace_id, span_id


def _trace_hex(trace_id):
    return "%032x" % trace_id if trace_id > MAX64 else "%016x" % trace_id


def extract_multi(headers):
    """A Context from the ``x-b3-*`` headers, or None."""
    raw_trace = headers.get(TRACE_ID)
    raw_span = headers.get(SPAN_ID)
    if raw_trace is None or raw_span is None:
        return None
    ids = _ids(raw_trace, raw_span)
    if ids is None:
        log.debug("x-b3-traceid %r / x-b3-spanid %r malformed; b3multi headers ignored", raw_trace[:64], raw_span[:64])
        return None
    priority = None
    raw = headers.get(FLAGS)
    if raw is not None and raw.strip(OWS) == "1":
        priority = _USER_KEEP
    else:
        raw = headers.get(SAMPLED)
        if raw is not None:
            priority = _SAMPLED_VALUES.get(raw.strip(OWS).lower())
            if priority is None:
                log.debug("x-b3-sampled %r ignored: not 0 or 1", raw[:64])
    return Context(trace_id=ids[0], span_id=ids[1], sampling_priority=priority)


def inject_multi(ctx, trace_id, span_id, priority, headers, span):
    if span_id is None:
        log.debug("b3multi headers not sent: the context has no span id")
        return
    headers[TRACE_ID] = _trace_hex(trace_id)
    headers[SPAN_ID] = "%016x" % span_id
    if priority is not None:
        headers[SAMPLED] = "1" if priority > 0 else "0"
        if priority == _USER_KEEP:
            headers[FLAGS] = "1"


def extract_single(headers):
    """A Context from ``b3: <trace>-<span>[-<sampled>[-<parent>]]``, or None.

    A bare sampling decision (``b3: 0``) carries no ids and yields nothing.
    """
    raw = headers.get(SINGLE)
    if raw is None:
        return None
    parts = raw.strip(OWS).split("-")
    if not 2 <= len(parts) <= 4:
        if len(parts) != 1 or parts[0] not in _SAMPLED_VALUES:
            log.debug("b3 header %r malformed; ignored", raw[:128])
        return None
    ids = _ids(parts[0], parts[1])
    priority = None
    if ids is not None and len(parts) >= 3:
        priority = _SAMPLED_VALUES.get(parts[2].lower())
        if priority is None or (len(parts) == 4 and parse_hex(parts[3], (16,), ANY_HEX) is None):
            ids = None
    if ids is None:
        log.debug("b3 header %r malformed; ignored", raw[:128])
        return None
    return Context(trace_id=ids[0], span_id=ids[1], sampling_priority=priority)


def inject_single(ctx, trace_id, span_id, priority, headers, span):
    if span_id is None:
        log.debug("b3 header not sent: the context has no span id")
        return
    value = "%s-%016x" % (_trace_hex(trace_id), span_id)
    if priority is not None:
        value += "-d" if priority == _USER_KEEP else ("-1" if priority > 0 else "-0")
    headers[SINGLE] = value
