"""The ``tracecontext`` style: W3C ``traceparent`` and ``tracestate``.

``traceparent: <version>-<32 hex trace id>-<16 hex parent id>-<2 hex flags>``, all
lowercase. Our ``tracestate`` list member is ``dd=s:<priority>;o:<origin>;p:<parent>;
t.<tag>:<value>``; ``=`` is not allowed in a tracestate value, so it travels as ``~``.
Other vendors' members are kept, after ours.
"""
from ddtrace.internal import lazy
from ddtrace.propagation._utils import DECISION_MAKER_KEY
from ddtrace.propagation._utils import LAST_PARENT_ID_KEY
from ddtrace.propagation._utils import ORIGIN_KEY
from ddtrace.propagation._utils import OWS
from ddtrace.propagation._utils import TAG_PREFIX
from ddtrace.propagation._utils import TRACE_ID_HIGH_KEY
from ddtrace.propagation._utils import TRACESTATE_KEY
from ddtrace.propagation._utils import log
from ddtrace.propagation._utils import parse_hex
from ddtrace.propagation._utils import parse_small_int
from ddtrace.propagation._utils import valid_trace_id
from ddtrace.trace._span import Context

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"

MAX_MEMBERS = 32
MAX_DD_VALUE = 256
_ZERO_PARENT = "0000000000000000"

# Compiled on first use: ``re`` stays out of start-up.
_member_re = None


def _member_pattern():
    global _member_re
    if _member_re is None:
        re = lazy.load("re")
        key = r"(?:[a-z][_0-9a-z\-*/]{0,255}|[a-z0-9][_0-9a-z\-*/]{0,240}@[a-z][_0-9a-z\-*/]{0,13})"
        value = r"[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]"
        _member_re = re.compile("(%s)=%s" % (key, value))
    return _member_re


def _table(keep, extra):
    """A ``str.translate`` table: ASCII outside ``keep`` becomes ``_``, plus ``extra``."""
    table = {c: "_" for c in range(128) if not keep(c)}
    table.update(extra)
    return table


# Datadog rules for values inside our member: no ``,`` ``;`` ``~`` or control chars;
# ``=`` is written as ``~`` (and read back as ``=``).
_VALUE_TABLE = _table(lambda c: 0x20 <= c <= 0x7E and chr(c) not in ",;~", {ord("="): "~"})
_ORIGIN_TABLE = _table(lambda c: 0x21 <= c <= 0x7E and chr(c) not in ",;~", {ord("="): "~"})
_KEY_TABLE = _table(lambda c: 0x21 <= c <= 0x7E and chr(c) not in ",;~=:", {})


def _sanitize(value, table):
    if not value.isascii():
        value = "".join(c if c < "\x80" else "_" for c in value)
    value = value.translate(table)
    if value.endswith(" "):
        # A tracestate value may not end with a space.
        stripped = value.rstrip(" ")
        value = stripped + "_" * (len(value) - len(stripped))
    return value


def _parse_traceparent(value):
    """(trace_id, parent_id, sampled) or None."""
    value = value.strip(OWS)
    if len(value) < 55:
        return None
    version = value[:2]
    if parse_hex(version, (2,)) is None or version == "ff":
        return None
    if version == "00":
        if len(value) != 55:
            return None
    elif len(value) > 55 and value[55] != "-":
        # Later versions may append fields, but only after a dash.
        return None
    if value[2] != "-" or value[35] != "-" or value[52] != "-":
        return None
    trace_id = parse_hex(value[3:35], (32,))
    parent_id = parse_hex(value[36:52], (16,))
    flags = parse_hex(value[53:55], (2,))
    if trace_id is None or parent_id is None or flags is None:
        return None
    if not valid_trace_id(trace_id) or parent_id == 0:
        return None
    return trace_id, parent_id, flags & 1


def _parse_tracestate(value):
    """(list of members, dd member value or None), or None when the header is invalid.

    Members past the 32nd are dropped unread, which also bounds the work a huge
    header can cause.
    """
    members = []
    keys = set()
    dd_value = None
    match = _member_pattern().fullmatch
    for raw in value.split(",", 4 * MAX_MEMBERS):
        member = raw.strip(OWS)
        if not member:
            continue
        if len(members) == MAX_MEMBERS:
            log.debug("tracestate has more than %d list members; the rest were dropped", MAX_MEMBERS)
            break
        m = match(member)
        if m is None:
            log.debug("tracestate ignored: malformed list member %r", member[:300])
            return None
        key = m.group(1)
        if key in keys:
            log.debug("tracestate ignored: key %r appears twice", key)
            return None
        keys.add(key)
        members.append(member)
        if key == "dd":
            dd_value = member[3:]
    return members, dd_value


def _read_dd_member(dd_value, meta):
    """Origin, sampling priority and ``_dd.p.*`` tags from our member into ``meta``;
    returns the ``s:`` priority (or None)."""
    priority = None
    for field in dd_value.split(";"):
        key, sep, val = field.partition(":")
        if not sep or not val:
            continue
        if key == "s":
            priority = parse_small_int(val)
        elif key == "o":
            meta[ORIGIN_KEY] = val.replace("~", "=")
        elif key == "p":
            if val != _ZERO_PARENT and parse_hex(val, (16,)) is not None:
                meta[LAST_PARENT_ID_KEY] = val
        elif key.startswith("t.") and len(key) > 2 and " " not in key:
            tag = TAG_PREFIX + key[2:]
            # The traceparent carries the full trace id; a stray tid could only contradict it.
            if tag != TRACE_ID_HIGH_KEY:
                meta[tag] = val.replace("~", "=")
    return priority


def extract(headers):
    """A Context from ``traceparent`` (and ``tracestate``), or None."""
    raw = headers.get(TRACEPARENT)
    if raw is None:
        return None
    parsed = _parse_traceparent(raw)
    if parsed is None:
        log.debug("traceparent %r is malformed; tracecontext headers ignored", raw[:128])
        return None
    trace_id, parent_id, sampled = parsed
    meta = {}
    state_priority = None
    raw = headers.get(TRACESTATE)
    if raw:
        state = _parse_tracestate(raw)
        if state is not None:
            members, dd_value = state
            if members:
                meta[TRACESTATE_KEY] = ",".join(members)
            if dd_value is not None:
                state_priority = _read_dd_member(dd_value, meta)
    # The traceparent flag is authoritative; tracestate refines it when they agree.
    if state_priority is None:
        priority = sampled
    elif sampled and state_priority <= 0:
        priority = 1
        meta[DECISION_MAKER_KEY] = "-0"
    elif not sampled and state_priority > 0:
        priority = 0
        meta.pop(DECISION_MAKER_KEY, None)
    else:
        priority = state_priority
    return Context(trace_id=trace_id, span_id=parent_id, sampling_priority=priority, meta=meta)


def _dd_member(ctx, span_id, priority):
    meta = ctx._meta
    fields = []
    if priority is not None:
        fields.append("s:%d" % priority)
    origin = meta.get(ORIGIN_KEY)
    if isinstance(origin, str) and origin:
        fields.append("o:" + _sanitize(origin, _ORIGIN_TABLE))
    fields.append("p:%016x" % span_id)
    size = sum(len(f) for f in fields) + len(fields) - 1
    if size > MAX_DD_VALUE:
        # Only an enormous origin can do this; the ids matter more.
        fields = [f for f in fields if not f.startswith("o:")]
        size = sum(len(f) for f in fields) + len(fields) - 1
    for key, value in meta.items():
        if type(key) is str and key.startswith(TAG_PREFIX) and key != TRACE_ID_HIGH_KEY and isinstance(value, str):
            field = "t.%s:%s" % (_sanitize(key[6:], _KEY_TABLE), _sanitize(value, _VALUE_TABLE))
            if size + 1 + len(field) > MAX_DD_VALUE:
                log.debug("tracestate: tag %r left out, the dd member would pass %d characters", key, MAX_DD_VALUE)
                continue
            fields.append(field)
            size += 1 + len(field)
    return "dd=" + ";".join(fields)


def _other_members(ctx):
    """Other vendors' members of the tracestate we received, at most 31 of them."""
    state = ctx._meta.get(TRACESTATE_KEY)
    if not state or not isinstance(state, str):
        return ()
    others = []
    for member in state.split(","):
        member = member.strip(OWS)
        if member and not member.startswith("dd=") and member.isascii() and member.isprintable():
            others.append(member)
            if len(others) == MAX_MEMBERS - 1:
                break
    return others


def inject(ctx, trace_id, span_id, priority, headers, span):
    if span_id is None:
        log.debug("traceparent not sent: the context has no span id")
        return
    sampled = 1 if priority is not None and priority > 0 else 0
    headers[TRACEPARENT] = "00-%032x-%016x-%02x" % (trace_id, span_id, sampled)
    others = _other_members(ctx)
    dd = _dd_member(ctx, span_id, priority)
    headers[TRACESTATE] = ",".join([dd, *others]) if others else dd
