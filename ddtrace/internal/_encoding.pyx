# cython: freethreading_compatible = False
"""msgpack encoders for the agent's v0.4 and v0.5 trace APIs, compiled.

Spans are written straight from their C fields into a growable C buffer, one trace per
``put``; ``encode`` prepends the array header (and, for v0.5, the string table) and
returns the payload. The output is byte-for-byte the one of the pure-Python encoders in
``ddtrace.internal._encoding_py``: integers take the smallest msgpack form, floats are
float64, strings take fixstr/str8/str16/str32 (the choices the ``msgpack`` package
makes). Anything unusual (a non-string tag, a metric that is not an int or float, span
links) goes through the shared helpers of ``_encoding_py``, so both implementations
apply the same coercion rules; see :mod:`ddtrace.internal.encoding`.

Thread safety: ``put`` and ``encode`` hold a lock, so request threads may ``put`` while
the writer thread calls ``encode``. Converting an odd tag value with ``str()`` may run user
code; should that code finish a trace on the same thread, the nested ``put`` raises
``EncoderReentered`` rather than deadlocking or corrupting the trace being written.
"""
from cpython.bytes cimport PyBytes_AS_STRING
from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.bytes cimport PyBytes_GET_SIZE
from cpython.dict cimport PyDict_Next
from cpython.dict cimport PyDict_Size
from cpython.list cimport PyList_GET_ITEM
from cpython.object cimport PyObject
from libc.math cimport isfinite
from libc.stdint cimport int64_t
from libc.stdint cimport uint32_t
from libc.stdint cimport uint64_t
from libc.stdlib cimport free
from libc.stdlib cimport malloc
from libc.stdlib cimport realloc
from libc.string cimport memcpy
from libc.string cimport memmove
from libc.string cimport memset

from ddtrace.trace._span cimport Span

from ddtrace.internal import _encoding_py as _py
from ddtrace.internal._encoding_py import BufferFull
from ddtrace.internal._encoding_py import BufferItemTooLarge
from ddtrace.internal._encoding_py import EncoderReentered
from ddtrace.internal.logger import get_logger

log = get_logger(__name__)


cdef extern from "Python.h":
    # Declared here without exception clauses: the callers check for failure themselves.
    const char* PyUnicode_AsUTF8AndSize(object s, Py_ssize_t* size)
    Py_ssize_t PyUnicode_GET_LENGTH(object s)
    PyObject* PyDict_GetItem(object d, object key)
    long long PyLong_AsLongLongAndOverflow(object v, int* overflow)
    unsigned long long PyLong_AsUnsignedLongLong(object v)
    unsigned long long PyLong_AsUnsignedLongLongMask(object v)
    long PyLong_AsLong(object v)
    double PyFloat_AS_DOUBLE(object v)
    PyObject* PyErr_Occurred()
    void PyErr_Clear()

    ctypedef void* PyThread_type_lock
    PyThread_type_lock PyThread_allocate_lock()
    void PyThread_free_lock(PyThread_type_lock lock)
    int PyThread_acquire_lock(PyThread_type_lock lock, int waitflag) nogil
    void PyThread_release_lock(PyThread_type_lock lock) nogil
    unsigned long PyThread_get_thread_ident()


cdef enum:
    INITIAL_CAPACITY = 65536
    # After a payload bigger than this, the buffer goes back to INITIAL_CAPACITY so an
    # idle process does not keep a peak-sized buffer.
    KEEP_CAPACITY = 1 << 20
    CACHE_SIZE = 1024

cdef Py_ssize_t MAX_LEN = _py.MAX_STRING_LENGTH
cdef str SUFFIX = _py.TRUNCATION_SUFFIX
cdef str SPAN_LINKS_KEY = _py.SPAN_LINKS_KEY
cdef object _DROP = _py._DROP
cdef object _exact_text = _py.exact_text
cdef object _field_text = _py._field_text
cdef object _metric_value = _py.metric_value
cdef object _trace_id_low = _py.trace_id_low
cdef object _duration_value = _py.duration_value
cdef object _link_maps = _py.link_maps
cdef object _links_json = _py.links_json


# ---------------------------------------------------------------- the byte buffer

cdef struct Buf:
    char* data
    Py_ssize_t len
    Py_ssize_t cap


cdef int _buf_init(Buf* b) except -1:
    b.data = <char*>malloc(INITIAL_CAPACITY)
    if b.data == NULL:
        raise MemoryError()
    b.len = 0
    b.cap = INITIAL_CAPACITY
    return 0


cdef int _buf_shrink(Buf* b) except -1:
    cdef char* p
    b.len = 0
    if b.cap > KEEP_CAPACITY:
        p = <char*>realloc(b.data, INITIAL_CAPACITY)
        if p != NULL:
            b.data = p
            b.cap = INITIAL_CAPACITY
    return 0


cdef int _grow(Buf* b, Py_ssize_t extra) except -1:
    cdef Py_ssize_t cap = b.cap * 2
    cdef char* p
    if cap < b.len + extra:
        cap = b.len + extra
    p = <char*>realloc(b.data, cap)
    if p == NULL:
        raise MemoryError()
    b.data = p
    b.cap = cap
    return 0


cdef inline int _reserve(Buf* b, Py_ssize_t extra) except -1:
    if b.len + extra > b.cap:
        return _grow(b, extra)
    return 0


cdef inline void _be16(char* p, uint32_t v) noexcept nogil:
    p[0] = <char>(v >> 8)
    p[1] = <char>v


cdef inline void _be32(char* p, uint32_t v) noexcept nogil:
    p[0] = <char>(v >> 24)
    p[1] = <char>(v >> 16)
    p[2] = <char>(v >> 8)
    p[3] = <char>v


cdef inline void _be64(char* p, uint64_t v) noexcept nogil:
    _be32(p, <uint32_t>(v >> 32))
    _be32(p + 4, <uint32_t>v)


cdef inline Py_ssize_t _hdr_size(Py_ssize_t n) noexcept nogil:
    if n < 16:
        return 1
    if n < 0x10000:
        return 3
    return 5


# Writes an array (is_map=0) or map header for n items at p; returns its size.
cdef inline Py_ssize_t _write_hdr(char* p, Py_ssize_t n, bint is_map) noexcept nogil:
    if n < 16:
        p[0] = <char>((0x80 if is_map else 0x90) | n)
        return 1
    if n < 0x10000:
        p[0] = <char>(0xde if is_map else 0xdc)
        _be16(p + 1, <uint32_t>n)
        return 3
    p[0] = <char>(0xdf if is_map else 0xdd)
    _be32(p + 1, <uint32_t>n)
    return 5


cdef inline int _pack_hdr(Buf* b, Py_ssize_t n, bint is_map) except -1:
    _reserve(b, 5)
    b.len += _write_hdr(b.data + b.len, n, is_map)
    return 0


# Containers are written before their item count is final (items may be dropped):
# room for the header of the expected count is left at ``pos`` and fixed up here.
cdef int _fix_hdr(Buf* b, Py_ssize_t pos, Py_ssize_t reserved, Py_ssize_t n, bint is_map) except -1:
    cdef Py_ssize_t size = _hdr_size(n)
    if size != reserved:
        if size > reserved:
            _reserve(b, size - reserved)
        memmove(b.data + pos + size, b.data + pos + reserved, b.len - pos - reserved)
        b.len += size - reserved
    _write_hdr(b.data + pos, n, is_map)
    return 0


cdef inline int _pack_uint(Buf* b, uint64_t v) except -1:
    cdef char* p
    _reserve(b, 9)
    p = b.data + b.len
    if v < 0x80:
        p[0] = <char>v
        b.len += 1
    elif v < 0x100:
        p[0] = <char>0xcc
        p[1] = <char>v
        b.len += 2
    elif v < 0x10000:
        p[0] = <char>0xcd
        _be16(p + 1, <uint32_t>v)
        b.len += 3
    elif v < 0x100000000ULL:
        p[0] = <char>0xce
        _be32(p + 1, <uint32_t>v)
        b.len += 5
    else:
        p[0] = <char>0xcf
        _be64(p + 1, v)
        b.len += 9
    return 0


cdef inline int _pack_int(Buf* b, int64_t v) except -1:
    cdef char* p
    if v >= 0:
        return _pack_uint(b, <uint64_t>v)
    _reserve(b, 9)
    p = b.data + b.len
    if v >= -32:
        p[0] = <char>v
        b.len += 1
    elif v >= -128:
        p[0] = <char>0xd0
        p[1] = <char>v
        b.len += 2
    elif v >= -32768:
        p[0] = <char>0xd1
        _be16(p + 1, <uint32_t>v)
        b.len += 3
    elif v >= -2147483648LL:
        p[0] = <char>0xd2
        _be32(p + 1, <uint32_t>v)
        b.len += 5
    else:
        p[0] = <char>0xd3
        _be64(p + 1, <uint64_t>v)
        b.len += 9
    return 0


cdef inline int _pack_double(Buf* b, double d) except -1:
    cdef uint64_t bits
    _reserve(b, 9)
    memcpy(&bits, &d, 8)
    b.data[b.len] = <char>0xcb
    _be64(b.data + b.len + 1, bits)
    b.len += 9
    return 0


cdef inline int _pack_raw_str(Buf* b, const char* s, Py_ssize_t n) except -1:
    cdef char* p
    _reserve(b, n + 5)
    p = b.data + b.len
    if n < 32:
        p[0] = <char>(0xa0 | n)
        b.len += 1
    elif n < 0x100:
        p[0] = <char>0xd9
        p[1] = <char>n
        b.len += 2
    elif n < 0x10000:
        p[0] = <char>0xda
        _be16(p + 1, <uint32_t>n)
        b.len += 3
    else:
        p[0] = <char>0xdb
        _be32(p + 1, <uint32_t>n)
        b.len += 5
    memcpy(b.data + b.len, s, n)
    b.len += n
    return 0


cdef inline int _pack_bytes(Buf* b, bytes raw) except -1:
    # Pre-packed constants (map keys).
    cdef Py_ssize_t n = PyBytes_GET_SIZE(raw)
    _reserve(b, n)
    memcpy(b.data + b.len, PyBytes_AS_STRING(raw), n)
    b.len += n
    return 0


cdef int _pack_text_slow(Buf* b, object s) except -1:
    cdef bytes raw
    cdef const char* p
    cdef Py_ssize_t n
    if PyUnicode_GET_LENGTH(s) > MAX_LEN:
        s = s[:MAX_LEN - len(SUFFIX)] + SUFFIX
    p = PyUnicode_AsUTF8AndSize(s, &n)
    if p != NULL:
        return _pack_raw_str(b, p, n)
    PyErr_Clear()
    # Lone surrogates: not UTF-8. Each becomes "?" so the payload stays valid.
    raw = (<str>s).encode("utf-8", "replace")
    return _pack_raw_str(b, PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw))


cdef inline int _pack_text(Buf* b, object s) except -1:
    # ``s`` is a str; see _encoding_py.safe_text for the rules.
    cdef const char* p
    cdef Py_ssize_t n
    if PyUnicode_GET_LENGTH(s) <= MAX_LEN:
        p = PyUnicode_AsUTF8AndSize(s, &n)
        if p != NULL:
            return _pack_raw_str(b, p, n)
        PyErr_Clear()
    return _pack_text_slow(b, s)


cdef inline object _field(object v):
    if type(v) is str:
        return v
    return _field_text(v)


cdef inline uint64_t _trace_id(object tid) except? 0xFFFFFFFFFFFFFFFF:
    if type(tid) is int:
        return PyLong_AsUnsignedLongLongMask(tid)
    return <uint64_t>_trace_id_low(tid)


cdef inline int64_t _duration(object d) except? -1:
    cdef int overflow = 0
    cdef long long v
    if type(d) is int:
        v = PyLong_AsLongLongAndOverflow(d, &overflow)
        return 0 if overflow else v
    return <int64_t>_duration_value(d)


cdef object _text_or_none(object v):
    # The exact-str form of a tag key or value, or None when it has none.
    try:
        return _exact_text(v)
    except Exception:
        log.debug("tag %r cannot be turned into a string; dropped", type(v))
        return None


# ---------------------------------------------------------------- metric values

cdef enum NumKind:
    NUM_DROP = 0
    NUM_DOUBLE = 1
    NUM_INT = 2
    NUM_UINT = 3


cdef struct Num:
    NumKind kind
    double d
    int64_t i
    uint64_t u


cdef inline int _exact_num(object v, Num* out) except -1:
    # ``v`` is an exact int or float.
    cdef int overflow = 0
    cdef long long ll
    cdef unsigned long long ull
    if type(v) is float:
        out.d = PyFloat_AS_DOUBLE(v)
        out.kind = NUM_DOUBLE if isfinite(out.d) else NUM_DROP
        return 0
    ll = PyLong_AsLongLongAndOverflow(v, &overflow)
    if overflow == 0:
        out.i = ll
        out.kind = NUM_INT
    elif overflow > 0:
        ull = PyLong_AsUnsignedLongLong(v)
        if ull == <unsigned long long>-1 and PyErr_Occurred() != NULL:
            PyErr_Clear()
            out.kind = NUM_DROP
        else:
            out.u = ull
            out.kind = NUM_UINT
    else:
        out.kind = NUM_DROP
    return 0


cdef inline int _metric(object v, Num* out) except -1:
    cdef type t = type(v)
    if t is float or t is int:
        return _exact_num(v, out)
    v = _metric_value(v)
    if v is _DROP:
        out.kind = NUM_DROP
        return 0
    return _exact_num(v, out)


cdef inline int _pack_num(Buf* b, Num* num) except -1:
    if num.kind == NUM_DOUBLE:
        return _pack_double(b, num.d)
    if num.kind == NUM_INT:
        return _pack_int(b, num.i)
    return _pack_uint(b, num.u)


# ---------------------------------------------------------------- generic values (span links)

cdef int _pack_plain(Buf* b, object v) except -1:
    # What _encoding_py.link_maps builds: dicts, lists, exact strs and ints.
    cdef Num num
    cdef type t = type(v)
    if t is str:
        return _pack_text(b, v)
    if t is dict:
        _pack_hdr(b, len(v), True)
        for k, x in (<dict>v).items():
            _pack_text(b, k)
            _pack_plain(b, x)
        return 0
    if t is list:
        _pack_hdr(b, len(v), False)
        for x in <list>v:
            _pack_plain(b, x)
        return 0
    _exact_num(v, &num)
    if num.kind == NUM_DROP:
        raise ValueError("span link value out of range: %r" % (v,))
    return _pack_num(b, &num)


# ---------------------------------------------------------------- encoders

cdef class _Encoder:
    """Shared buffering, locking and size accounting of the v0.4 and v0.5 encoders."""

    cdef Buf _buf
    cdef Py_ssize_t _count
    cdef readonly Py_ssize_t max_size
    cdef readonly Py_ssize_t max_item_size
    cdef PyThread_type_lock _lock
    cdef unsigned long _owner

    content_type = _py.CONTENT_TYPE

    def __cinit__(self, *args, **kwargs):
        self._buf.data = NULL
        self._lock = PyThread_allocate_lock()
        if self._lock == NULL:
            raise MemoryError()
        _buf_init(&self._buf)

    def __init__(self, max_size, max_item_size):
        self.max_size = max_size
        self.max_item_size = max_item_size

    def __dealloc__(self):
        if self._buf.data != NULL:
            free(self._buf.data)
            self._buf.data = NULL
        if self._lock != NULL:
            PyThread_free_lock(self._lock)
            self._lock = NULL

    def __len__(self):
        return self._count

    @property
    def size(self):
        """Bytes the payload would take now (headers included)."""
        return self._size_for(self._count)

    @property
    def _capacity(self):
        """Bytes allocated for encoded traces (for tests)."""
        return self._buf.cap

    cdef int _acquire(self) except -1:
        cdef unsigned long me = PyThread_get_thread_ident()
        if self._owner == me:
            raise EncoderReentered("encoder re-entered while encoding a trace")
        if not PyThread_acquire_lock(self._lock, 0):
            with nogil:
                PyThread_acquire_lock(self._lock, 1)
        self._owner = me
        return 0

    cdef inline void _release(self) noexcept:
        self._owner = 0
        PyThread_release_lock(self._lock)

    def _after_fork(self):
        """Forget what the parent buffered and replace a lock it may have held."""
        cdef PyThread_type_lock lock = PyThread_allocate_lock()
        if lock == NULL:
            raise MemoryError()
        # The old lock may be held by a thread that does not exist in this process.
        PyThread_free_lock(self._lock)
        self._lock = lock
        self._owner = 0
        self._reset()

    def put(self, spans):
        """Encode one trace (a list of finished spans) into the buffer.

        Raises ``BufferFull`` or ``BufferItemTooLarge`` leaving the buffer unchanged.
        """
        if type(spans) is not list:
            spans = list(spans)
        if not spans:
            return
        self._acquire()
        try:
            self._put(<list>spans)
        finally:
            self._release()

    def put_many(self, list traces, Py_ssize_t start=0, list keep=None):
        """Encode ``traces[start:]`` in order until the buffer is full (one lock, one call).

        Returns ``(next, added, added_spans, refused)``: ``next`` is the index of the
        first trace left out because the buffer is full (``len(traces)`` when all were
        taken); ``refused`` lists ``(trace, exception)`` for traces that cannot be
        encoded at all (``BufferItemTooLarge``, a span that is not a Span...). Every
        trace taken or refused is replaced by None in ``traces`` so its spans can be
        freed; taken ones are appended to ``keep`` when it is given.
        """
        cdef Py_ssize_t i, n = len(traces), added = 0, added_spans = 0
        refused = []
        self._acquire()
        try:
            for i in range(start, n):
                trace = traces[i]
                if type(trace) is not list:
                    trace = list(trace)
                if trace:
                    try:
                        self._put(<list>trace)
                    except BufferFull:
                        return i, added, added_spans, refused
                    except Exception as e:
                        refused.append((trace, e))
                    else:
                        added += 1
                        added_spans += len(<list>trace)
                        if keep is not None:
                            keep.append(trace)
                traces[i] = None
            return n, added, added_spans, refused
        finally:
            self._release()

    def encode(self):
        """``(payload, number_of_traces)`` for everything buffered, emptying the buffer.

        ``(None, 0)`` when nothing is buffered.
        """
        cdef Py_ssize_t n
        self._acquire()
        try:
            n = self._count
            if n == 0:
                return None, 0
            payload = self._payload()
            self._reset()
            return payload, n
        finally:
            self._release()

    cdef int _put(self, list spans) except -1:
        cdef Py_ssize_t start = self._buf.len
        cdef Py_ssize_t item_size, new_size
        self._mark()
        try:
            self._pack_trace(spans)
            item_size = self._buf.len - start + self._added_size()
            new_size = self._size_for(self._count + 1)
            if item_size > self.max_item_size or (self._count == 0 and new_size > self.max_size):
                raise BufferItemTooLarge(
                    "trace of %d bytes exceeds the maximum of %d"
                    % (item_size, min(self.max_item_size, self.max_size))
                )
            if new_size > self.max_size:
                raise BufferFull(
                    "trace of %d bytes does not fit (%d of %d used)"
                    % (item_size, self._size_for(self._count) - item_size, self.max_size)
                )
        except BaseException:
            self._buf.len = start
            self._rollback()
            raise
        self._count += 1
        return 0

    cdef int _pack_trace(self, list spans) except -1:
        cdef Buf* b = &self._buf
        cdef Py_ssize_t n = len(spans)
        cdef Py_ssize_t pos = b.len
        cdef Py_ssize_t reserved = _hdr_size(n)
        cdef Py_ssize_t count = 0
        _reserve(b, reserved)
        b.len += reserved
        # Iterating (not indexing) re-checks the length: str() on a tag may run code
        # that changes the list.
        for span in spans:
            if not isinstance(span, Span):
                raise TypeError("a trace holds Span objects, not %s" % type(span).__name__)
            self._pack_span(<Span>span)
            count += 1
        if count != n:
            _fix_hdr(b, pos, reserved, count, False)
        else:
            _write_hdr(b.data + pos, n, False)
        return 0

    # Overridden by each version.
    cdef int _pack_span(self, Span span) except -1:
        raise NotImplementedError

    cdef Py_ssize_t _size_for(self, Py_ssize_t count):
        return _hdr_size(count) + self._buf.len

    cdef void _mark(self) noexcept:
        pass

    cdef Py_ssize_t _added_size(self) noexcept:
        return 0

    cdef void _rollback(self) noexcept:
        pass

    cdef int _reset(self) except -1:
        _buf_shrink(&self._buf)
        self._count = 0
        return 0

    cdef bytes _payload(self):
        cdef Py_ssize_t hsize = _hdr_size(self._count)
        cdef bytes out = PyBytes_FromStringAndSize(NULL, hsize + self._buf.len)
        cdef char* p = PyBytes_AS_STRING(out)
        _write_hdr(p, self._count, False)
        memcpy(p + hsize, self._buf.data, self._buf.len)
        return out


# Pre-packed v0.4 span map keys.
cdef bytes K_TRACE_ID = b"\xa8trace_id"
cdef bytes K_SPAN_ID = b"\xa7span_id"
cdef bytes K_PARENT_ID = b"\xa9parent_id"
cdef bytes K_SERVICE = b"\xa7service"
cdef bytes K_NAME = b"\xa4name"
cdef bytes K_RESOURCE = b"\xa8resource"
cdef bytes K_TYPE = b"\xa4type"
cdef bytes K_START = b"\xa5start"
cdef bytes K_DURATION = b"\xa8duration"
cdef bytes K_ERROR = b"\xa5error"
cdef bytes K_META = b"\xa4meta"
cdef bytes K_METRICS = b"\xa7metrics"
cdef bytes K_SPAN_LINKS = b"\xaaspan_links"


cdef class MsgpackEncoderV04(_Encoder):
    """Encodes traces for the agent's ``/v0.4/traces``: an array of arrays of span maps."""

    api_version = "v0.4"

    cdef int _pack_span(self, Span span) except -1:
        cdef Buf* b = &self._buf
        cdef object span_type = span.span_type
        cdef object links = span._links
        cdef Py_ssize_t nkeys = 11
        if links:
            links = _link_maps(links)
        if span_type is not None:
            nkeys += 1
        if links:
            nkeys += 1
        _reserve(b, 1)
        b.data[b.len] = <char>(0x80 | nkeys)
        b.len += 1
        _pack_bytes(b, K_TRACE_ID)
        _pack_uint(b, _trace_id(span.trace_id))
        _pack_bytes(b, K_SPAN_ID)
        _pack_uint(b, span.span_id)
        _pack_bytes(b, K_PARENT_ID)
        _pack_uint(b, span.parent_id)
        _pack_bytes(b, K_SERVICE)
        _pack_text(b, _field(span.service))
        _pack_bytes(b, K_NAME)
        _pack_text(b, _field(span.name))
        _pack_bytes(b, K_RESOURCE)
        _pack_text(b, _field(span.resource))
        if span_type is not None:
            _pack_bytes(b, K_TYPE)
            _pack_text(b, _field(span_type))
        _pack_bytes(b, K_START)
        _pack_int(b, span.start_ns)
        _pack_bytes(b, K_DURATION)
        _pack_int(b, _duration(span.duration_ns))
        _pack_bytes(b, K_ERROR)
        _pack_int(b, span.error)
        _pack_bytes(b, K_META)
        _pack_meta(b, span._meta)
        _pack_bytes(b, K_METRICS)
        _pack_metrics(b, span._metrics)
        if links:
            _pack_bytes(b, K_SPAN_LINKS)
            _pack_plain(b, links)
        return 0


cdef int _pack_meta(Buf* b, dict meta) except -1:
    cdef Py_ssize_t n = 0 if meta is None else PyDict_Size(meta)
    cdef Py_ssize_t pos = b.len
    cdef Py_ssize_t reserved = _hdr_size(n)
    cdef Py_ssize_t count = 0
    cdef Py_ssize_t i = 0
    cdef PyObject* kp
    cdef PyObject* vp
    cdef object k, v
    _reserve(b, reserved)
    b.len += reserved
    if n:
        while PyDict_Next(meta, &i, &kp, &vp):
            k = <object>kp
            v = <object>vp
            if type(k) is not str or type(v) is not str:
                k = _text_or_none(k)
                if k is None:
                    continue
                v = _text_or_none(v)
                if v is None:
                    continue
            _pack_text(b, k)
            _pack_text(b, v)
            count += 1
    _fix_hdr(b, pos, reserved, count, True)
    return 0


cdef int _pack_metrics(Buf* b, dict metrics) except -1:
    cdef Py_ssize_t n = 0 if metrics is None else PyDict_Size(metrics)
    cdef Py_ssize_t pos = b.len
    cdef Py_ssize_t reserved = _hdr_size(n)
    cdef Py_ssize_t count = 0
    cdef Py_ssize_t i = 0
    cdef PyObject* kp
    cdef PyObject* vp
    cdef object k, v
    cdef Num num
    _reserve(b, reserved)
    b.len += reserved
    if n:
        while PyDict_Next(metrics, &i, &kp, &vp):
            k = <object>kp
            v = <object>vp
            if type(k) is not str:
                k = _text_or_none(k)
                if k is None:
                    continue
            _metric(v, &num)
            if num.kind == NUM_DROP:
                log.debug("metric %r is not a finite number in the int64/uint64 range; dropped", k)
                continue
            _pack_text(b, k)
            _pack_num(b, &num)
            count += 1
    _fix_hdr(b, pos, reserved, count, True)
    return 0


cdef class MsgpackEncoderV05(_Encoder):
    """Encodes traces for the agent's ``/v0.5/traces``: ``[string_table, traces]``.

    The string table is shared by every trace in the buffer; a ``put`` that fails
    removes the strings it added.
    """

    cdef Buf _table
    cdef dict _index
    cdef list _strings
    cdef Py_ssize_t _mark_strings
    cdef Py_ssize_t _mark_table
    # Identity cache in front of _index: most strings of a span are the very objects
    # already in the table (interned literals, shared service names). Only objects the
    # table holds a reference to are cached, so a cached address cannot be reused.
    cdef PyObject* _cache_key[CACHE_SIZE]
    cdef uint32_t _cache_val[CACHE_SIZE]

    api_version = "v0.5"

    def __cinit__(self, *args, **kwargs):
        self._table.data = NULL
        _buf_init(&self._table)
        self._init_table()

    def __dealloc__(self):
        if self._table.data != NULL:
            free(self._table.data)
            self._table.data = NULL

    @property
    def _capacity(self):
        """Bytes allocated for encoded traces and the string table (for tests)."""
        return self._buf.cap + self._table.cap

    cdef void _init_table(self) noexcept:
        self._table.data[0] = <char>0xa0  # ""
        self._table.len = 1
        self._index = {"": 0}
        self._strings = [""]
        memset(self._cache_key, 0, sizeof(self._cache_key))

    cdef int _reset(self) except -1:
        _Encoder._reset(self)
        _buf_shrink(&self._table)
        self._init_table()
        return 0

    cdef Py_ssize_t _size_for(self, Py_ssize_t count):
        cdef Py_ssize_t n = len(self._strings)
        return 1 + _hdr_size(n) + self._table.len + _hdr_size(count) + self._buf.len

    cdef void _mark(self) noexcept:
        self._mark_strings = len(self._strings)
        self._mark_table = self._table.len

    cdef Py_ssize_t _added_size(self) noexcept:
        return self._table.len - self._mark_table

    cdef void _rollback(self) noexcept:
        cdef Py_ssize_t i
        for i in range(self._mark_strings, len(self._strings)):
            self._index.pop(self._strings[i], None)
        del self._strings[self._mark_strings:]
        self._table.len = self._mark_table
        memset(self._cache_key, 0, sizeof(self._cache_key))

    cdef inline int _ref(self, object s) except -1:
        # Index of the exact str ``s`` in the string table, adding it when new.
        cdef PyObject* key = <PyObject*>s
        cdef size_t slot = ((<size_t>key) >> 4) & (CACHE_SIZE - 1)
        cdef PyObject* found
        cdef Py_ssize_t i
        if self._cache_key[slot] == key:
            return self._cache_val[slot]
        found = PyDict_GetItem(self._index, s)
        if found != NULL:
            i = PyLong_AsLong(<object>found)
            if <PyObject*>PyList_GET_ITEM(self._strings, i) == key:
                self._cache_key[slot] = key
                self._cache_val[slot] = <uint32_t>i
            return i
        i = len(self._strings)
        self._strings.append(s)
        self._index[s] = i
        _pack_text(&self._table, s)
        self._cache_key[slot] = key
        self._cache_val[slot] = <uint32_t>i
        return i

    cdef int _pack_span(self, Span span) except -1:
        cdef Buf* b = &self._buf
        cdef object links = span._links
        cdef object span_type
        _reserve(b, 1)
        b.data[b.len] = <char>0x9c  # fixarray of 12
        b.len += 1
        _pack_uint(b, self._ref(_field(span.service)))
        _pack_uint(b, self._ref(_field(span.name)))
        _pack_uint(b, self._ref(_field(span.resource)))
        _pack_uint(b, _trace_id(span.trace_id))
        _pack_uint(b, span.span_id)
        _pack_uint(b, span.parent_id)
        _pack_int(b, span.start_ns)
        _pack_int(b, _duration(span.duration_ns))
        _pack_int(b, span.error)
        self._pack_meta(span._meta, _links_json(links) if links else None)
        self._pack_metrics(span._metrics)
        span_type = span.span_type
        _pack_uint(b, 0 if span_type is None else self._ref(_field(span_type)))
        return 0

    cdef int _pack_meta(self, dict meta, object links_json) except -1:
        cdef Buf* b = &self._buf
        cdef Py_ssize_t n = 0 if meta is None else PyDict_Size(meta)
        cdef Py_ssize_t pos = b.len
        cdef Py_ssize_t reserved
        cdef Py_ssize_t count = 0
        cdef Py_ssize_t i = 0
        cdef PyObject* kp
        cdef PyObject* vp
        cdef object k, v
        if links_json is not None:
            n += 1
        reserved = _hdr_size(n)
        _reserve(b, reserved)
        b.len += reserved
        if meta:
            while PyDict_Next(meta, &i, &kp, &vp):
                k = <object>kp
                v = <object>vp
                if type(k) is not str or type(v) is not str:
                    k = _text_or_none(k)
                    if k is None:
                        continue
                    if links_json is not None and k == SPAN_LINKS_KEY:
                        continue
                    v = _text_or_none(v)
                    if v is None:
                        continue
                elif links_json is not None and k == SPAN_LINKS_KEY:
                    continue
                _pack_uint(b, self._ref(k))
                _pack_uint(b, self._ref(v))
                count += 1
        if links_json is not None:
            _pack_uint(b, self._ref(SPAN_LINKS_KEY))
            _pack_uint(b, self._ref(links_json))
            count += 1
        _fix_hdr(b, pos, reserved, count, True)
        return 0

    cdef int _pack_metrics(self, dict metrics) except -1:
        cdef Buf* b = &self._buf
        cdef Py_ssize_t n = 0 if metrics is None else PyDict_Size(metrics)
        cdef Py_ssize_t pos = b.len
        cdef Py_ssize_t reserved = _hdr_size(n)
        cdef Py_ssize_t count = 0
        cdef Py_ssize_t i = 0
        cdef PyObject* kp
        cdef PyObject* vp
        cdef object k, v
        cdef Num num
        _reserve(b, reserved)
        b.len += reserved
        if n:
            while PyDict_Next(metrics, &i, &kp, &vp):
                k = <object>kp
                v = <object>vp
                if type(k) is not str:
                    k = _text_or_none(k)
                    if k is None:
                        continue
                _metric(v, &num)
                if num.kind == NUM_DROP:
                    log.debug("metric %r is not a finite number in the int64/uint64 range; dropped", k)
                    continue
                _pack_uint(b, self._ref(k))
                _pack_num(b, &num)
                count += 1
        _fix_hdr(b, pos, reserved, count, True)
        return 0

    cdef bytes _payload(self):
        cdef Py_ssize_t nstrings = len(self._strings)
        cdef Py_ssize_t h1 = _hdr_size(nstrings)
        cdef Py_ssize_t h2 = _hdr_size(self._count)
        cdef bytes out = PyBytes_FromStringAndSize(NULL, 1 + h1 + self._table.len + h2 + self._buf.len)
        cdef char* p = PyBytes_AS_STRING(out)
        p[0] = <char>0x92
        p += 1
        p += _write_hdr(p, nstrings, False)
        memcpy(p, self._table.data, self._table.len)
        p += self._table.len
        p += _write_hdr(p, self._count, False)
        memcpy(p, self._buf.data, self._buf.len)
        return out
