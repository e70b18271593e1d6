"""Pure-Python trace encoders (fallback when the compiled ``_encoding`` cannot be loaded).

They produce exactly the same bytes as the compiled encoders, so everything said in
:mod:`ddtrace.internal.encoding` about value coercion holds here too. The module also
holds the few helpers both implementations share (span links, value rules), which is
why it imports ``msgpack`` only when an encoder is created.
"""
import threading

from ddtrace.internal import lazy
from ddtrace.internal.logger import get_logger

log = get_logger(__name__)

#: Strings longer than this many characters (code points) are cut to
#: ``MAX_STRING_LENGTH - 3`` characters followed by ``"..."``.
MAX_STRING_LENGTH = 25000
TRUNCATION_SUFFIX = "..."
SPAN_LINKS_KEY = "_dd.span_links"
CONTENT_TYPE = "application/msgpack"

_MASK64 = (1 << 64) - 1
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
_INF = float("inf")
_LINK_FLAGS_SET = 1 << 31


class BufferFull(Exception):
    """The trace does not fit in what is left of the encoder's ``max_size``."""


class BufferItemTooLarge(Exception):
    """One trace alone is bigger than the encoder's ``max_item_size`` (or ``max_size``)."""


class EncoderReentered(BufferItemTooLarge):
    """``put`` was called again by the thread already inside ``put``.

    That happens only when converting a tag value to a string runs code that finishes
    a trace (a ``__str__`` that traces). The inner trace is refused instead of deadlocking.
    """


# ---------------------------------------------------------------- value rules (shared)


def exact_text(v):
    """``v`` as an exact ``str``: str subclasses keep their characters, others go through ``str()``.

    Raises whatever ``str(v)`` raises.
    """
    if type(v) is str:
        return v
    if not isinstance(v, str):
        v = str(v)
        if type(v) is str:
            return v
    return str.__str__(v)


def safe_text(s):
    """The text actually sent for the exact ``str`` ``s``: truncated, valid UTF-8."""
    if len(s) > MAX_STRING_LENGTH:
        s = s[: MAX_STRING_LENGTH - len(TRUNCATION_SUFFIX)] + TRUNCATION_SUFFIX
    if not s.isascii():
        try:
            s.encode("utf-8")
        except UnicodeEncodeError:
            # Lone surrogates: each becomes "?" so the payload stays valid UTF-8.
            s = s.encode("utf-8", "replace").decode("utf-8")
    return s


_DROP = object()


def metric_value(v):
    """``v`` as a number the agent accepts, or ``_DROP``."""
    t = type(v)
    if t is float:
        if v != v or v == _INF or v == -_INF:
            return _DROP
        return v
    if t is int:
        return v if _INT64_MIN <= v <= _MASK64 else _DROP
    try:
        if t is bool or isinstance(v, int):
            v = int.__int__(v)
            return v if _INT64_MIN <= v <= _MASK64 else _DROP
        v = float(v)
    except Exception:
        return _DROP
    if v != v or v == _INF or v == -_INF:
        return _DROP
    return v


def trace_id_low(tid):
    """The low 64 bits of a trace id (0 when it is not an integer)."""
    if type(tid) is int:
        return tid & _MASK64
    if tid is None:
        return 0
    try:
        return int(tid) & _MASK64
    except Exception:
        return 0


def duration_value(d):
    """A span's duration in ns as an int64 (0 when unfinished or not a valid number)."""
    if type(d) is not int:
        if d is None:
            return 0
        try:
            d = int(d)
        except Exception:
            return 0
    return d if _INT64_MIN <= d <= _INT64_MAX else 0


def links_json(links):
    """Span links as the JSON text the v0.5 API carries in meta ``_dd.span_links`` (or None)."""
    json = lazy.load("json")
    out = []
    for link in links:
        try:
            out.append(link.to_dict())
        except Exception:
            log.debug("span link %r cannot be encoded; dropped", link)
    if not out:
        return None
    try:
        return json.dumps(out, separators=(",", ":"))
    except Exception:
        log.debug("span links %r cannot be encoded; dropped", links)
        return None


def link_maps(links):
    """Span links as the v0.4 ``span_links`` value: a list of dicts (str -> int/str/dict)."""
    out = []
    for link in links:
        try:
            tid = link.trace_id
            sid = link.span_id
            if type(tid) is not int or type(sid) is not int:
                tid, sid = int(tid), int(sid)
            d = {"trace_id": tid & _MASK64, "trace_id_high": (tid >> 64) & _MASK64, "span_id": sid & _MASK64}
            attrs = link.attributes
            if attrs:
                d["attributes"] = {exact_text(k): exact_text(v) for k, v in attrs.items()}
            if link.tracestate:
                d["tracestate"] = exact_text(link.tracestate)
            if link.flags is not None:
                d["flags"] = (int(link.flags) | _LINK_FLAGS_SET) & 0xFFFFFFFF
        except Exception:
            log.debug("span link %r cannot be encoded; dropped", link)
            continue
        out.append(d)
    return out


def pack_plain(packer, v):
    """msgpack bytes of a ``link_maps`` value (dicts, lists, ints, exact strs), strings made safe."""
    # Packed by hand rather than through a dict of safe keys: two keys whose safe forms
    # collide must stay two entries, as the compiled encoder writes them.
    t = type(v)
    if t is str:
        return packer.pack(safe_text(v))
    if t is dict:
        return packer.pack_map_header(len(v)) + b"".join(
            [packer.pack(safe_text(k)) + pack_plain(packer, x) for k, x in v.items()]
        )
    if t is list:
        return packer.pack_array_header(len(v)) + b"".join([pack_plain(packer, x) for x in v])
    return packer.pack(v)


def _array_header_size(n):
    return 1 if n < 16 else (3 if n < 0x10000 else 5)


# ---------------------------------------------------------------- encoders


class _BufferedEncoder:
    api_version = ""
    content_type = CONTENT_TYPE

    def __init__(self, max_size, max_item_size):
        msgpack = lazy.load("msgpack")
        self.max_size = max_size
        self.max_item_size = max_item_size
        self._packer = msgpack.Packer(use_bin_type=True, autoreset=True)
        self._lock = threading.Lock()
        self._owner = 0
        self._reset()

    def __len__(self):
        return len(self._traces)

    def _after_fork(self):
        """Forget what the parent buffered and replace a lock it may have held."""
        self._lock = threading.Lock()
        self._owner = 0
        self._reset()

    def put(self, spans):
        """Encode one trace (a list of finished spans) into the buffer.

        Raises ``BufferFull`` or ``BufferItemTooLarge`` leaving the buffer unchanged.
        """
        if type(spans) is not list:
            spans = list(spans)
        me = threading.get_ident()
        if self._owner == me:
            raise EncoderReentered("encoder re-entered while encoding a trace")
        with self._lock:
            self._owner = me
            try:
                self._put(spans)
            finally:
                self._owner = 0

    def put_many(self, traces, start=0, keep=None):
        """Encode ``traces[start:]`` until the buffer is full; see the compiled encoder."""
        added = added_spans = 0
        refused = []
        for i in range(start, len(traces)):
            trace = traces[i]
            if type(trace) is not list:
                trace = list(trace)
            if trace:
                try:
                    self.put(trace)
                except BufferFull:
                    return i, added, added_spans, refused
                except Exception as e:
                    refused.append((trace, e))
                else:
                    added += 1
                    added_spans += len(trace)
                    if keep is not None:
                        keep.append(trace)
            traces[i] = None
        return len(traces), added, added_spans, refused

    def encode(self):
        """``(payload, number_of_traces)`` for everything buffered, emptying the buffer.

        ``(None, 0)`` when nothing is buffered.
        """
        with self._lock:
            if not self._traces:
                return None, 0
            n = len(self._traces)
            payload = self._payload()
            self._reset()
            return payload, n

    def _check(self, item_size, new_size):
        if item_size > self.max_item_size or (not self._traces and new_size > self.max_size):
            raise BufferItemTooLarge(
                "trace of %d bytes exceeds the maximum of %d" % (item_size, min(self.max_item_size, self.max_size))
            )
        if new_size > self.max_size:
            raise BufferFull("trace of %d bytes does not fit (%d of %d used)" % (item_size, self.size, self.max_size))


class MsgpackEncoderV04(_BufferedEncoder):
    """Encodes traces for the agent's ``/v0.4/traces``: an array of arrays of span maps."""

    api_version = "v0.4"

    def _reset(self):
        self._traces = []
        self._body_size = 0

    @property
    def size(self):
        return _array_header_size(len(self._traces)) + self._body_size

    def _put(self, spans):
        if not spans:
            return
        data = self._packer.pack_array_header(len(spans)) + b"".join([self._span(s) for s in spans])
        self._check(len(data), _array_header_size(len(self._traces) + 1) + self._body_size + len(data))
        self._traces.append(data)
        self._body_size += len(data)

    def _payload(self):
        return self._packer.pack_array_header(len(self._traces)) + b"".join(self._traces)

    def _span(self, span):
        p = self._packer.pack
        span_type = span.span_type
        links = span._links
        links = link_maps(links) if links else None
        parts = [
            self._packer.pack_map_header(11 + (span_type is not None) + bool(links)),
            p("trace_id"),
            p(trace_id_low(span.trace_id)),
            p("span_id"),
            p(span.span_id),
            p("parent_id"),
            p(span.parent_id),
            p("service"),
            p(safe_text(_field_text(span.service))),
            p("name"),
            p(safe_text(_field_text(span.name))),
            p("resource"),
            p(safe_text(_field_text(span.resource))),
        ]
        if span_type is not None:
            parts += [p("type"), p(safe_text(_field_text(span_type)))]
        parts += [
            p("start"),
            p(span.start_ns),
            p("duration"),
            p(duration_value(span.duration_ns)),
            p("error"),
            p(span.error),
            p("meta"),
            self._packer.pack_map_pairs([(safe_text(k), safe_text(v)) for k, v in _meta_items(span._meta, None)]),
            p("metrics"),
            self._packer.pack_map_pairs([(safe_text(k), v) for k, v in _metric_items(span._metrics)]),
        ]
        if links:
            parts += [p("span_links"), pack_plain(self._packer, links)]
        return b"".join(parts)


class MsgpackEncoderV05(_BufferedEncoder):
    """Encodes traces for the agent's ``/v0.5/traces``: ``[string_table, traces]``."""

    api_version = "v0.5"

    def _reset(self):
        self._traces = []
        self._body_size = 0
        self._strings = [""]
        self._index = {"": 0}
        self._table_size = 1  # the packed ""

    @property
    def size(self):
        return (
            1
            + _array_header_size(len(self._strings))
            + self._table_size
            + _array_header_size(len(self._traces))
            + self._body_size
        )

    def _put(self, spans):
        if not spans:
            return
        n_strings = len(self._strings)
        table_size = self._table_size
        try:
            data = self._packer.pack_array_header(len(spans)) + b"".join([self._span(s) for s in spans])
            item_size = len(data) + self._table_size - table_size
            self._check(
                item_size,
                1
                + _array_header_size(len(self._strings))
                + self._table_size
                + _array_header_size(len(self._traces) + 1)
                + self._body_size
                + len(data),
            )
        except BaseException:
            for s in self._strings[n_strings:]:
                del self._index[s]
            del self._strings[n_strings:]
            self._table_size = table_size
            raise
        self._traces.append(data)
        self._body_size += len(data)

    def _payload(self):
        p = self._packer
        table = b"".join(p.pack(safe_text(s)) for s in self._strings)
        return (
            b"\x92"
            + p.pack_array_header(len(self._strings))
            + table
            + p.pack_array_header(len(self._traces))
            + b"".join(self._traces)
        )

    def _ref(self, s):
        # ``s`` is an exact str; the table stores it as given and packs its safe form.
        i = self._index.get(s)
        if i is None:
            i = self._index[s] = len(self._strings)
            self._strings.append(s)
            self._table_size += len(self._packer.pack(safe_text(s)))
        return i

    def _span(self, span):
        ref = self._ref
        service = ref(_field_text(span.service))
        name = ref(_field_text(span.name))
        resource = ref(_field_text(span.resource))
        links = span._links
        extra = links_json(links) if links else None
        meta = [(ref(k), ref(v)) for k, v in _meta_items(span._meta, SPAN_LINKS_KEY if extra is not None else None)]
        if extra is not None:
            meta.append((ref(SPAN_LINKS_KEY), ref(extra)))
        metrics = [(ref(k), v) for k, v in _metric_items(span._metrics)]
        span_type = span.span_type
        span_type = 0 if span_type is None else ref(_field_text(span_type))
        p = self._packer.pack
        return b"".join(
            [
                b"\x9c",  # fixarray of 12
                p(service),
                p(name),
                p(resource),
                p(trace_id_low(span.trace_id)),
                p(span.span_id),
                p(span.parent_id),
                p(span.start_ns),
                p(duration_value(span.duration_ns)),
                p(span.error),
                self._packer.pack_map_pairs(meta),
                self._packer.pack_map_pairs(metrics),
                p(span_type),
            ]
        )


def _field_text(v):
    if v is None:
        return ""
    try:
        return exact_text(v)
    except Exception:
        log.debug("span field %r cannot be turned into a string; sent as empty", type(v))
        return ""


def _meta_items(meta, skip):
    # Yields (exact str, exact str); pairs whose key or value has no string form are dropped.
    # Keys are used as given in the v0.5 table (the safe form is applied when packing).
    if not meta:
        return
    for k, v in list(meta.items()):
        try:
            k = exact_text(k)
            if skip is not None and k == skip:
                continue
            v = exact_text(v)
        except Exception:
            log.debug("tag %r cannot be turned into a string; dropped", k)
            continue
        yield k, v


def _metric_items(metrics):
    if not metrics:
        return
    for k, v in list(metrics.items()):
        try:
            k = exact_text(k)
        except Exception:
            log.debug("metric name %r cannot be turned into a string; dropped", k)
            continue
        v = metric_value(v)
        if v is _DROP:
            log.debug("metric %r is not a finite number in the int64/uint64 range; dropped", k)
            continue
        yield k, v
