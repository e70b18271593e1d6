# cython: freethreading_compatible = False
"""The tracer's hot path: ids, clocks, spans, trace contexts and trace assembly.

Everything a request pays for on each span lives here, compiled. The rest of the
tracer (configuration, sampling rules, filters, the writer) is called once per trace
chunk, not per span.

Thread safety: a trace's counters and its list of finished spans are only touched by
C code that makes no Python call in between, so under the GIL each update is atomic
without a lock, even when spans of one trace finish on several threads.
"""
cimport cython
from cpython.dict cimport PyDict_GetItem
from cpython.contextvars cimport PyContextVar_Set
from cpython.contextvars cimport get_value as _cv_get
from cpython.object cimport PyObject


cdef extern from "Python.h":
    void PyObject_GC_UnTrack(void* op)
from libc.stdint cimport uint64_t
from posix.time cimport CLOCK_MONOTONIC
from posix.time cimport CLOCK_REALTIME
from posix.time cimport clock_gettime
from posix.time cimport timespec

import contextvars
import os
import sys

from ddtrace.internal import forks as _forks
from ddtrace.internal import lazy as _lazy
from ddtrace.internal.logger import get_logger
from ddtrace.internal.logger import report_internal_error
from ddtrace.settings import config as _config

log = get_logger(__name__)

# Sampling priorities and tag names (mirrored, as plain values, in ddtrace.constants).
cdef str SAMPLING_PRIORITY_KEY = "_sampling_priority_v1"
cdef str ORIGIN_KEY = "_dd.origin"
cdef str DECISION_MAKER_KEY = "_dd.p.dm"
cdef str TRACE_ID_HIGH_KEY = "_dd.p.tid"
cdef str TOP_LEVEL_KEY = "_dd.top_level"
cdef str MANUAL_KEEP_KEY = "manual.keep"
cdef str MANUAL_DROP_KEY = "manual.drop"
cdef int USER_REJECT = -1
cdef int USER_KEEP = 2
# _Trace.priority when no decision is recorded there.
cdef int NO_PRIORITY = -128
cdef double _INF = float("inf")
cdef object _UINT64 = 0xFFFFFFFFFFFFFFFF
cdef object _INT64_MIN = -(2 ** 63)
cdef object _INT64_MAX = 2 ** 63 - 1
cdef frozenset _SPECIAL_TAGS = frozenset(("manual.keep", "manual.drop", "sampling.priority", "service.name", "span.type"))

# Threads inside a lazy load of the tracer (ddtrace.internal.lazy): the same dict for
# the process's life, empty nearly always, so checking it costs next to nothing.
cdef dict _loads_in_flight = _lazy.in_flight

# The active span (or remote Context) of the current thread / task.
_active = contextvars.ContextVar("ddtrace_active", default=None)
cdef object _active_var = _active


cdef inline object _active_get():
    return _cv_get(_active_var, None)


cdef inline void _active_set(object value):
    PyContextVar_Set(_active_var, value)


# ---------------------------------------------------------------- clocks and ids

cdef inline long long _wall_ns():
    cdef timespec ts
    clock_gettime(CLOCK_REALTIME, &ts)
    return <long long>ts.tv_sec * 1000000000LL + ts.tv_nsec


cdef inline long long _mono_ns():
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return <long long>ts.tv_sec * 1000000000LL + ts.tv_nsec


# splitmix64: cheap, well distributed, not cryptographic (ids need uniqueness only).
cdef uint64_t _rng_state = 0


def _reseed():
    """Reseed the id generator (at import and in every forked child)."""
    global _rng_state
    _rng_state = int.from_bytes(os.urandom(8), "little")


_reseed()
_forks.register(_reseed)


# Every libc fork runs this in the child, whether or not Python's at-fork hooks run
# afterwards (uWSGI forks its workers in C and does not run them): see
# ddtrace.internal.forks. The core compares the count with the last one it saw before
# it makes ids or flushes a trace, and runs the child-side hooks on a difference.
cdef extern from "pthread.h":
    int pthread_atfork(void (*prepare)() noexcept nogil, void (*parent)() noexcept nogil, void (*child)() noexcept nogil)

cdef unsigned long _forks_counted = 0
cdef unsigned long _forks_seen = 0


cdef void _count_fork() noexcept nogil:
    global _forks_counted
    _forks_counted += 1


pthread_atfork(NULL, NULL, _count_fork)


cdef void _notice_fork():
    global _forks_seen
    _forks_seen = _forks_counted
    try:
        _forks.run_in_child()
    except Exception as e:
        report_internal_error(e, "resetting the tracer in a forked child")


cdef inline uint64_t _rand64():
    global _rng_state
    cdef uint64_t z
    while True:
        _rng_state += 0x9E3779B97F4A7C15ULL
        z = _rng_state
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL
        z = z ^ (z >> 31)
        if z != 0:
            return z


def rand64bits():
    """A random, non-zero 64-bit id."""
    return _rand64()


# The high 64 bits of a 128-bit id change once a second: keep them (and their
# _dd.p.tid hex form) instead of rebuilding big ints and strings per trace.
cdef long long _hi_second = -1
cdef object _hi_bits = 0
cdef str _hi_hex = None


cdef inline void _refresh_high(long long second):
    global _hi_second, _hi_bits, _hi_hex
    _hi_second = second
    _hi_bits = (<object>second) << 96
    _hi_hex = "%016x" % ((<object>second) << 32)


cdef object _new_trace_id(bint id128):
    cdef long long second
    if not id128:
        return _rand64()
    # Upper 32 bits: unix seconds; next 32: zero; lower 64: random.
    second = _wall_ns() // 1000000000LL
    if second != _hi_second:
        _refresh_high(second)
    return _hi_bits | <object>_rand64()


cdef inline str _tid_of(object trace_id):
    """The _dd.p.tid value for a trace id (None for a 64-bit id)."""
    if trace_id is None or trace_id <= _UINT64:
        return None
    if _hi_bits == (trace_id >> 64) << 64:
        return _hi_hex
    return "%016x" % (trace_id >> 64)


def generate_trace_id(bint id128=True):
    """A new trace id: 128-bit by default, 64-bit when ``id128`` is false."""
    return _new_trace_id(id128)


# ---------------------------------------------------------------- Context

cdef inline object PyDict_GetItem_or_none(dict d, key):
    cdef PyObject* v = PyDict_GetItem(d, key)
    if v == NULL:
        return None
    return <object>v


@cython.no_gc
cdef class Context:
    """What a span or a remote caller passes on to children: ids, sampling, baggage.

    Contexts of spans in one local trace share their trace-level state (sampling
    priority, origin, ``_dd.p.*`` tags, baggage), so a decision made on one is seen by all.
    """

    def __init__(
        self,
        trace_id=None,
        span_id=None,
        dd_origin=None,
        sampling_priority=None,
        meta=None,
        metrics=None,
        baggage=None,
        span_links=None,
        is_remote=True,
    ):
        self.trace_id = trace_id
        self.span_id = span_id
        self._meta = dict(meta) if meta else {}
        self._metrics = dict(metrics) if metrics else {}
        self._baggage = dict(baggage) if baggage else {}
        self._span_links = list(span_links) if span_links else None
        self._is_remote = is_remote
        if dd_origin is not None:
            self._meta[ORIGIN_KEY] = dd_origin
        if sampling_priority is not None:
            self.sampling_priority = sampling_priority

    @property
    def sampling_priority(self):
        return PyDict_GetItem_or_none(self._metrics, SAMPLING_PRIORITY_KEY)

    @sampling_priority.setter
    def sampling_priority(self, value):
        if value is None:
            self._metrics.pop(SAMPLING_PRIORITY_KEY, None)
        else:
            self._metrics[SAMPLING_PRIORITY_KEY] = int(value)

    @property
    def dd_origin(self):
        return PyDict_GetItem_or_none(self._meta, ORIGIN_KEY)

    @dd_origin.setter
    def dd_origin(self, value):
        if value is None:
            self._meta.pop(ORIGIN_KEY, None)
        else:
            self._meta[ORIGIN_KEY] = str(value)

    @property
    def is_remote(self):
        return self._is_remote

    def set_baggage_item(self, key, value):
        self._baggage[key] = value

    def get_baggage_item(self, key):
        return self._baggage.get(key)

    def get_all_baggage_items(self):
        return dict(self._baggage)

    def remove_baggage_item(self, key):
        self._baggage.pop(key, None)

    def remove_all_baggage_items(self):
        self._baggage.clear()

    def __eq__(self, other):
        if not isinstance(other, Context):
            return NotImplemented
        cdef Context o = other
        return (
            self.trace_id == o.trace_id
            and self.span_id == o.span_id
            and self._meta == o._meta
            and self._metrics == o._metrics
            and self._baggage == o._baggage
        )

    def __hash__(self):
        return hash((self.trace_id, self.span_id))

    def __repr__(self):
        return "Context(trace_id=%r, span_id=%r, sampling_priority=%r, dd_origin=%r, meta=%r, baggage=%r, is_remote=%r)" % (
            self.trace_id, self.span_id, self.sampling_priority, self.dd_origin, self._meta, self._baggage, self._is_remote
        )



@cython.no_gc
cdef class _Trace:
    """The local part of one trace: counts started/finished spans, holds finished ones,
    and the trace-level state (sampling priority, origin, ``_dd.p.*`` tags, baggage)
    that every span's ``Context`` shares."""

    def __repr__(self):
        return "_Trace(started=%d, finished=%d, priority=%r, meta=%r)" % (
            self.n_started, self.n_finished, self.priority if self.metrics is None else None, self.meta
        )


cdef inline list _span_list():
    # Lists of finished spans live until the writer has encoded them. Only Spans go
    # in, and Spans are invisible to the cyclic GC (no_gc), so these lists can never
    # be part of a cycle: untracked, they don't make every queued trace count
    # towards (and be walked by) full garbage collections.
    cdef list spans = []
    PyObject_GC_UnTrack(<void*>spans)
    return spans


cdef inline _Trace _new_trace(SpanAggregator agg, object trace_id):
    cdef _Trace t = _Trace.__new__(_Trace)
    # Most traces only ever carry a sampling decision: it stays in C fields
    # (priority, dm) and the dicts are made only when a Context needs them.
    t.meta = None
    t.metrics = None
    t.priority = NO_PRIORITY
    t.dm = None
    t.baggage = None
    t.tid = _tid_of(trace_id)
    t.finished = _span_list()
    t.agg = agg
    t.n_started = 0
    t.n_finished = 0
    return t


cdef inline void _trace_dicts(_Trace t):
    """Switch ``t`` to keeping its state in the meta/metrics dicts Contexts share."""
    if t.metrics is None:
        t.metrics = {}
        t.meta = {}
        if t.priority != NO_PRIORITY:
            t.metrics[SAMPLING_PRIORITY_KEY] = t.priority
        if t.dm is not None:
            t.meta[DECISION_MAKER_KEY] = t.dm


cdef inline bint _has_decision(_Trace t):
    if t.metrics is None:
        return t.priority != NO_PRIORITY
    return SAMPLING_PRIORITY_KEY in t.metrics


cdef inline void _record_decision(_Trace t, int priority, str dm):
    if t.metrics is None:
        t.priority = priority
        t.dm = dm
    else:
        t.metrics[SAMPLING_PRIORITY_KEY] = priority
        if dm is None:
            t.meta.pop(DECISION_MAKER_KEY, None)
        else:
            t.meta[DECISION_MAKER_KEY] = dm


cdef inline Context _new_context(object trace_id, object span_id, dict meta, dict metrics, dict baggage):
    cdef Context c = Context.__new__(Context)
    c.trace_id = trace_id
    c.span_id = span_id
    c._meta = meta
    c._metrics = metrics
    c._baggage = baggage
    c._span_links = None
    c._is_remote = False
    return c


cdef str _make_runtime_id():
    h = os.urandom(16).hex()
    # Shaped as a version-4 UUID without importing uuid at start-up.
    return "%s-%s-4%s-%s%s-%s" % (h[0:8], h[8:12], h[13:16], "89ab"[int(h[16], 16) & 3], h[17:20], h[20:32])


cdef str _plain_str(object value):
    """``value``'s text as an exact ``str``: a subclass (Django's ``SafeString``,
    markupsafe's ``Markup``) passed to ``_set_str`` would be refused, and the refusal
    is lost in a ``cdef void``."""
    cdef object text = value if isinstance(value, str) else str(value)
    if type(text) is str:
        return <str>text
    return <str>str.__str__(text)


cdef class SpanAggregator:
    """Turns finished spans into trace chunks: sampling, trace-level tags, filters, writer.

    ``writer`` needs ``write(spans)``; ``filters`` are ``TraceFilter``-like objects with
    ``process_trace(spans) -> spans | None``; ``sampler`` needs ``sample(span)`` and
    is created on first use when left as None.
    """

    def __init__(self, writer=None, filters=None, sampler=None, partial_flush_enabled=True, partial_flush_min_spans=300):
        self.writer = writer
        self.filters = list(filters or [])
        self.sampler = sampler
        self.partial_flush_enabled = partial_flush_enabled
        self.partial_flush_min_spans = partial_flush_min_spans
        self.enabled = None  # None: follow config._tracing_enabled (DD_TRACE_ENABLED)
        self.writer_factory = None
        self.env = None
        self.version = None
        self.service = None
        self.global_tags = None  # None: config.tags (DD_TAGS)
        self.service_mapping = None  # None: config.service_mapping
        self.runtime_id = _make_runtime_id()
        self.pid = os.getpid()
        self.context_provider = None
        self._cfg_gen = None

    def _after_fork(self):
        self.runtime_id = _make_runtime_id()
        self.pid = os.getpid()

    @property
    def writer(self):
        return self._writer

    @writer.setter
    def writer(self, writer):
        # A writer with a TraceQueue gets traces pushed into it straight from here (a C
        # call, no lock); any other writer gets write(spans).
        queue = getattr(writer, "_trace_queue", None)
        self._queue = queue if isinstance(queue, TraceQueue) else None
        self._writer = writer

    cdef void _on_finish(self, _Trace trace):
        cdef list chunk
        # The whole trace is done, or enough of it waits for a partial flush.
        if trace.n_finished >= trace.n_started or (
            self.partial_flush_enabled and len(trace.finished) >= self.partial_flush_min_spans
        ):
            chunk = trace.finished
            trace.finished = _span_list()
            self._flush(trace, chunk)

    cpdef sample(self, _Trace trace, Span span):
        """Make the sampling decision for ``trace`` (of which ``span`` is part) if none was made yet."""
        if _has_decision(trace):
            return
        sampler = self.sampler
        if sampler is None:
            sampler = self.sampler = _lazy.load("ddtrace.trace.sampler").DatadogSampler()
        while span._parent is not None:
            span = span._parent
        sampler.sample(span)

    cdef void _refresh_config(self):
        # Settings read for every trace chunk, re-read only when the config changed.
        # The generation is read first: a change racing with the reads below leaves a
        # newer generation behind, which makes the next flush read them again.
        self._cfg_gen = _config._generation
        self._c_enabled = _config._tracing_enabled
        self._c_env = _config.env
        self._c_version = _config.version
        self._c_service = _config.service
        self._c_mapping = _config.service_mapping
        self._c_tags = _config.tags
        if _config._generation is not self._cfg_gen:
            self._cfg_gen = None  # loaded (or changed) while reading: read again next time

    cdef bint _is_enabled(self):
        # ``enabled`` set on the tracer wins; None follows DD_TRACE_ENABLED (cached).
        if _config._generation is not self._cfg_gen:
            self._refresh_config()
        enabled = self.enabled
        if enabled is None:
            enabled = self._c_enabled
        return bool(enabled)

    cdef void _flush(self, _Trace trace, list spans):
        cdef Span span
        cdef Span top = None
        cdef Span parent
        cdef dict meta
        cdef str origin
        if not spans:
            return
        if _forks_seen != _forks_counted:
            _notice_fork()
        if _loads_in_flight and _lazy.in_load():
            # This thread is inside one of the tracer's lazy loads: a signal handler or
            # a finaliser interrupted it and traced. What a flush needs (the
            # configuration, the sampler, the writer) may be the very thing half-loaded
            # underneath; the trace is flushed once that load is done.
            _lazy.after_loads(_DeferredFlush(self, trace, spans))
            return
        try:
            if not self._is_enabled():  # also refreshes the settings read below
                return
            # Trace-level tags go on the local root when it is in this chunk, else on the first span.
            for span in reversed(spans):
                if span._parent is None:
                    top = span
                    break
            if top is None:
                top = spans[0]
            if not _has_decision(trace):
                self.sample(trace, top)
            env = self.env if self.env is not None else self._c_env
            version = self.version if self.version is not None else self._c_version
            service = self.service if self.service is not None else self._c_service
            mapping = self.service_mapping if self.service_mapping is not None else self._c_mapping
            gtags = self.global_tags if self.global_tags is not None else self._c_tags
            origin = None if trace.meta is None else trace.meta.get(ORIGIN_KEY)
            for span in spans:
                if mapping and span.service in mapping:
                    span.service = mapping[span.service]
                meta = span._meta
                parent = span._parent
                if parent is None or parent.service != span.service:
                    span._metrics[TOP_LEVEL_KEY] = 1
                if gtags:
                    for k, v in gtags.items():
                        if k not in meta:
                            meta[k] = v
                if env and "env" not in meta:
                    meta["env"] = env
                if service:
                    if span.service == service:
                        if version and "version" not in meta:
                            meta["version"] = version
                    elif "_dd.base_service" not in meta:
                        # Spans renamed away from DD_SERVICE (client spans) still say whose they are.
                        meta["_dd.base_service"] = service
                if origin is not None:
                    meta[ORIGIN_KEY] = origin
            if trace.metrics is None:
                if trace.priority != NO_PRIORITY:
                    top._metrics[SAMPLING_PRIORITY_KEY] = trace.priority
                if trace.dm is not None:
                    top._meta[DECISION_MAKER_KEY] = trace.dm
            else:
                top._metrics.update(trace.metrics)
                top._meta.update(trace.meta)
            if trace.tid is not None:
                top._meta[TRACE_ID_HIGH_KEY] = trace.tid
            top._meta["language"] = "python"
            top._meta["runtime-id"] = self.runtime_id
            top._metrics["process_id"] = self.pid

            for f in self.filters:
                try:
                    spans = f.process_trace(spans)
                except Exception:
                    log.error("trace filter %r failed; it was skipped for this trace", f, exc_info=True)
                    continue
                if spans is None:
                    return
            writer = self._writer
            if writer is None and self.writer_factory is not None:
                self.writer = self.writer_factory()
                writer = self._writer
            if self._queue is not None:
                code = self._queue.push(spans)
                if code:
                    writer._on_push(code, spans)
            elif writer is not None:
                writer.write(spans)
        except Exception as e:
            report_internal_error(e, "processing a finished trace")


cdef class _DeferredFlush:
    cdef SpanAggregator agg
    cdef _Trace trace
    cdef list spans

    def __cinit__(self, SpanAggregator agg, _Trace trace, list spans):
        self.agg = agg
        self.trace = trace
        self.spans = spans

    def __call__(self):
        cdef Span span
        # Spans started meanwhile got the stand-in service of a configuration that was
        # not read yet (None): give them the real default.
        service = _config.service
        if service is not None:
            for span in self.spans:
                if span.service is None:
                    span.service = service
        self.agg._flush(self.trace, self.spans)


# ---------------------------------------------------------------- Span

cdef object _format_exc_info = None
cdef object _SpanLink = None


cdef list _pairs(Span span, object items, str what):
    # What set_tags / set_metrics iterate over; never raises (a tag is not worth an error).
    if items is None:
        return []
    try:
        if hasattr(items, "items"):
            return list(items.items())
        return [(k, v) for k, v in items]
    except Exception:
        log.debug("span %r: set_%s(%r): not a mapping; nothing set", span.name, what, type(items).__name__)
        return []


cdef inline void _set_priority(Span span, int priority, str dm):
    cdef _Trace trace = span._trace
    if trace is not None:
        _record_decision(trace, priority, dm)
    else:
        span._metrics[SAMPLING_PRIORITY_KEY] = priority


@cython.no_gc
cdef class Span:
    """A timed operation: what the tracer records and sends.

    ``set_tag`` stores strings as tags (``meta``) and numbers as metrics, the way the
    Datadog agent expects them. A span is finished once; a second ``finish`` does nothing.
    """

    def __init__(
        self,
        name,
        service=None,
        resource=None,
        span_type=None,
        trace_id=None,
        span_id=None,
        parent_id=None,
        start=None,
        context=None,
        links=None,
    ):
        if _forks_seen != _forks_counted:
            _notice_fork()
        self.name = name
        self.service = service
        self.resource = name if resource is None else resource
        self.span_type = span_type
        self.trace_id = trace_id if trace_id is not None else _new_trace_id(True)
        self.span_id = span_id if span_id is not None else _rand64()
        self.parent_id = parent_id or 0
        self._mono_start = _mono_ns()
        self.start_ns = _wall_ns() if start is None else int(start * 1e9)
        self.duration_ns = None
        self.error = 0
        self._meta = {}
        self._metrics = {}
        self._links = list(links) if links else None
        self._parent = None
        self._trace = None
        if context is not None:
            self._ctx_view = context

    # -- time

    @property
    def start(self):
        """Start time in seconds since the epoch."""
        return self.start_ns / 1e9

    @start.setter
    def start(self, value):
        self.start_ns = int(value * 1e9)

    @property
    def duration(self):
        """Duration in seconds, or None until the span is finished."""
        if self.duration_ns is None:
            return None
        return self.duration_ns / 1e9

    @duration.setter
    def duration(self, value):
        self.duration_ns = int(value * 1e9)

    @property
    def finished(self):
        return self.duration_ns is not None

    cpdef finish(self, finish_time=None):
        """Finish the span (``finish_time`` in seconds since the epoch; default now)."""
        cdef _Trace trace
        cdef long long d
        if self.duration_ns is not None:
            return
        if finish_time is None:
            d = _mono_ns() - self._mono_start
        else:
            try:
                d = <long long>(finish_time * 1e9) - self.start_ns
            except Exception:
                log.warning("span %r: finish_time %r is not a number of seconds; using the current time", self.name, finish_time)
                d = _mono_ns() - self._mono_start
        self.duration_ns = d if d > 0 else 0
        trace = self._trace
        if trace is not None and trace.agg.context_provider is not None:
            try:
                trace.agg.context_provider._on_span_finish(self)
            except Exception as e:
                report_internal_error(e, "restoring the active span")
        elif _active_get() is self:
            _active_set(self._parent)
        if trace is not None:
            trace.finished.append(self)
            trace.n_finished += 1
            trace.agg._on_finish(trace)

    def finish_with_ancestors(self):
        """Finish this span and every unfinished span above it in the local trace."""
        cdef Span span = self
        while span is not None:
            span.finish()
            span = span._parent

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        if exc_type is not None and exc_type is not GeneratorExit:
            self.set_exc_info(exc_type, exc_val, exc_tb)
        self.finish()
        return False

    # -- tags

    cdef void _set_str(self, str key, str value):  # exact str only: see _plain_str
        self._meta[key] = value
        if self._metrics:
            self._metrics.pop(key, None)

    cpdef set_tag(self, key, value=None):
        """Set a tag. Numbers become metrics; everything else is stored as a string."""
        cdef type t = type(value)
        if type(key) is not str:
            try:
                key = str(key)
            except Exception:
                log.debug("span %r: tag key %r cannot be a string; tag dropped", self.name, key)
                return
        if key in _SPECIAL_TAGS:
            self._special(key, value)
            return
        if t is str:
            self._set_str(key, value)
            return
        if t is int or t is float or (t is not bool and isinstance(value, (int, float))):
            if key == "http.status_code" or (t is not float and not (_INT64_MIN <= value <= _INT64_MAX)):
                self._set_str(key, str(int(value)))
            else:
                self._metrics[key] = value
                if self._meta:
                    self._meta.pop(key, None)
            return
        if value is None:
            self._meta.pop(key, None)
            return
        try:
            self._set_str(key, str(value))
        except Exception:
            log.debug("span %r: value of tag %r cannot be turned into a string; tag dropped", self.name, key)

    cdef _special(self, key, value):
        if key == "service.name":
            self.service = None if value is None else str(value)
        elif key == "span.type":
            self.span_type = None if value is None else str(value)
        elif key == MANUAL_KEEP_KEY:
            _set_priority(self, USER_KEEP, "-4")
        elif key == MANUAL_DROP_KEY:
            _set_priority(self, USER_REJECT, None)
        else:
            try:
                _set_priority(self, int(value), None)
            except Exception:
                log.debug("span %r: sampling.priority %r is not an integer; ignored", self.name, value)

    def set_tags(self, tags):
        """Set several tags: a dict (or any mapping, or ``(key, value)`` pairs); None sets none."""
        for k, v in _pairs(self, tags, "tags"):
            self.set_tag(k, v)

    cpdef set_tag_str(self, key, value):
        """Set a tag whose value is text, as text (a number stays a string tag).

        The cheap way for integrations: no type dispatch when both are ``str``; other
        values are turned into strings, a value that cannot be is dropped.
        """
        if type(key) is str and type(value) is str:
            self._set_str(key, value)
            return
        if value is None:
            self._meta.pop(str(key), None)
            return
        try:
            self._set_str(_plain_str(key), _plain_str(value))
        except Exception:
            log.debug("span %r: value of tag %r cannot be turned into a string; tag dropped", self.name, key)

    def _set_tag_str(self, key, value):
        self.set_tag_str(key, value)

    def get_tag(self, key):
        return self._meta.get(key)

    def get_tags(self):
        return dict(self._meta)

    cpdef set_metric(self, key, value):
        """Set a numeric tag. Values that are not finite numbers are dropped."""
        cdef double d
        cdef type t = type(value)
        if type(key) is not str:
            key = str(key)
        if t is not int:
            if t is not float:
                try:
                    value = float(value)
                except Exception:
                    log.debug("span %r: metric %r=%r is not a number; dropped", self.name, key, value)
                    return
            d = value
            if d != d or d == _INF or d == -_INF:
                log.debug("span %r: metric %r=%r is not finite; dropped", self.name, key, value)
                return
        self._metrics[key] = value
        if self._meta:
            self._meta.pop(key, None)

    def set_metrics(self, metrics):
        """Set several metrics: a dict (or any mapping, or ``(key, value)`` pairs); None sets none."""
        for k, v in _pairs(self, metrics, "metrics"):
            self.set_metric(k, v)

    def get_metric(self, key):
        return self._metrics.get(key)

    def get_metrics(self):
        return dict(self._metrics)

    # -- errors

    def set_exc_info(self, exc_type, exc_val, exc_tb):
        """Mark the span as an error and record the exception's type, message and stack."""
        global _format_exc_info
        if exc_type is None:
            return
        try:
            if _format_exc_info is None:
                _format_exc_info = _lazy.load("ddtrace.trace._errors").format_exc_info
            type_name, message, stack = _format_exc_info(exc_type, exc_val, exc_tb)
        except Exception as e:
            report_internal_error(e, "recording an exception on a span")
            self.error = 1
            return
        self.error = 1
        self._meta["error.type"] = type_name
        self._meta["error.message"] = message
        self._meta["error.stack"] = stack

    def set_traceback(self, limit=None):
        """Record the exception being handled, or else the current call stack."""
        exc_type, exc_val, exc_tb = sys.exc_info()
        if exc_type is not None:
            self.set_exc_info(exc_type, exc_val, exc_tb)
            return
        self._meta["error.stack"] = _lazy.load("ddtrace.trace._errors").format_stack(limit)

    # -- links and context

    def set_link(self, trace_id, span_id, tracestate=None, flags=None, attributes=None):
        """Link this span to another span (of this or another trace)."""
        global _SpanLink
        if _SpanLink is None:
            _SpanLink = _lazy.load("ddtrace.trace.links").SpanLink
        if self._links is None:
            self._links = []
        self._links.append(_SpanLink(trace_id, span_id, tracestate=tracestate, flags=flags, attributes=attributes))

    def link_span(self, context, attributes=None):
        """Link this span to the span a ``Context`` describes."""
        sampled = context.sampling_priority
        flags = None if sampled is None else (1 if sampled > 0 else 0)
        self.set_link(context.trace_id, context.span_id, flags=flags, attributes=attributes)

    @property
    def context(self):
        """This span's ``Context``; spans of one local trace share its trace-level state."""
        cdef _Trace trace = self._trace
        if self._ctx_view is None:
            if trace is None:
                self._ctx_view = _new_context(self.trace_id, self.span_id, {}, {}, {})
            else:
                _trace_dicts(trace)
                if trace.baggage is None:
                    trace.baggage = {}
                self._ctx_view = _new_context(self.trace_id, self.span_id, trace.meta, trace.metrics, trace.baggage)
        return self._ctx_view

    @property
    def _local_root(self):
        cdef Span span = self
        while span._parent is not None:
            span = span._parent
        return span

    def _set_sampling_decision(self, priority, dm):
        """Record the trace's sampling priority and decision maker (None removes it).

        What the sampler calls: it writes the trace-level state directly, without
        building a Context.
        """
        cdef _Trace trace = self._trace
        cdef dict metrics
        cdef dict meta
        if trace is not None:
            _record_decision(trace, int(priority), dm)
            return
        else:
            ctx = self.context
            metrics = (<Context>ctx)._metrics
            meta = (<Context>ctx)._meta
        metrics[SAMPLING_PRIORITY_KEY] = int(priority)
        if dm is None:
            meta.pop(DECISION_MAKER_KEY, None)
        else:
            meta[DECISION_MAKER_KEY] = dm

    def _sample_if_undecided(self):
        """Settle the sampling decision before it is propagated to another service."""
        if self._trace is not None:
            self._trace.agg.sample(self._trace, self)

    def __repr__(self):
        return "Span(name=%r, service=%r, resource=%r, span_type=%r, trace_id=%r, span_id=%r, parent_id=%r, error=%r)" % (
            self.name, self.service, self.resource, self.span_type, self.trace_id, self.span_id, self.parent_id, self.error
        )


# ---------------------------------------------------------------- starting spans

cdef inline Span _start(
    SpanAggregator agg, name, service, resource, span_type, parent, bint id128, bint activate
):
    cdef Span span = Span.__new__(Span)
    cdef Span p
    cdef Context remote
    cdef _Trace trace
    if _forks_seen != _forks_counted:
        _notice_fork()
    span.name = name
    span.resource = name if resource is None else resource
    span.span_type = span_type
    span.span_id = _rand64()
    span.duration_ns = None
    span.error = 0
    span._meta = {}
    span._metrics = {}
    span._links = None
    if type(parent) is Span:
        p = <Span>parent
        # A finished parent can still be the active span on another thread: climb to a live one.
        while p is not None and p.duration_ns is not None:
            p = p._parent
        parent = p
    if parent is None:
        span.trace_id = _new_trace_id(id128)
        span.parent_id = 0
        span.service = service if service is not None else _config.service
        span._parent = None
        trace = _new_trace(agg, span.trace_id)
    elif type(parent) is Span:
        p = <Span>parent
        span.trace_id = p.trace_id
        span.parent_id = p.span_id
        span.service = service if service is not None else p.service
        span._parent = p
        trace = p._trace
        if trace is None:  # parent built by hand, outside any tracer
            trace = p._trace = _new_trace(agg, p.trace_id)
            trace.n_started = 1
    else:
        remote = <Context?>parent
        span.trace_id = remote.trace_id if remote.trace_id is not None else _new_trace_id(id128)
        span.parent_id = remote.span_id or 0
        span.service = service if service is not None else _config.service
        span._parent = None
        trace = _new_trace(agg, span.trace_id)
        _trace_dicts(trace)
        trace.meta.update(remote._meta)
        trace.metrics.update(remote._metrics)
        if remote._baggage:
            trace.baggage = dict(remote._baggage)
        if remote._span_links:
            span._links = list(remote._span_links)
    span._trace = trace
    trace.n_started += 1
    span._mono_start = _mono_ns()
    span.start_ns = _wall_ns()
    if activate:
        _active_set(span)
    return span


cdef class TracerCore:
    """The span-starting half of the Tracer, compiled. See ``ddtrace.trace.Tracer``."""

    cdef public SpanAggregator _aggregator
    cdef public object _context_provider
    cdef public int _id128

    def __init__(self):
        self._aggregator = SpanAggregator()
        self._context_provider = None
        self._id128 = -1

    @property
    def enabled(self):
        """Whether finished traces are sent (``DD_TRACE_ENABLED``)."""
        # Compiled: integrations ask before every span.
        return self._aggregator._is_enabled()

    @enabled.setter
    def enabled(self, value):
        self._aggregator.enabled = bool(value)

    cdef inline bint _use128(self):
        cdef int use
        if self._id128 < 0:
            use = 1 if _config._128_bit_trace_id_enabled else 0
            if not _config._loaded:
                return use == 1  # a stand-in while the configuration loads: not kept
            self._id128 = use
        return self._id128 == 1

    def trace(self, name, service=None, resource=None, span_type=None):
        """Start a span as a child of the active one and activate it.

        Use it as a context manager: the span finishes, and records any exception
        raised inside, when the block exits.
        """
        if self._context_provider is None:
            parent = _active_get()
        else:
            parent = self._context_provider.active()
        span = _start(self._aggregator, name, service, resource, span_type, parent, self._use128(), self._context_provider is None)
        if self._context_provider is not None:
            self._context_provider.activate(span)
        return span

    def start_span(self, name, child_of=None, service=None, resource=None, span_type=None, activate=False):
        """Start a span; a root span unless ``child_of`` (a Span or Context) is given."""
        if child_of is not None and not isinstance(child_of, (Span, Context)):
            raise TypeError("child_of must be a Span or a Context, not %s" % type(child_of).__name__)
        span = _start(
            self._aggregator, name, service, resource, span_type, child_of, self._use128(),
            activate and self._context_provider is None,
        )
        if activate and self._context_provider is not None:
            self._context_provider.activate(span)
        return span

    def current_span(self):
        """The active span of this thread or task, or None."""
        cdef Span span
        active = _active_get() if self._context_provider is None else self._context_provider.active()
        if type(active) is not Span:
            return None
        span = <Span>active
        while span is not None and span.duration_ns is not None:
            span = span._parent
        return span

    def current_root_span(self):
        """The local root of the active trace, or None."""
        span = self.current_span()
        if span is None:
            return None
        return (<Span>span)._local_root

    def current_trace_context(self):
        """The Context of the active span, or the activated remote Context, or None."""
        active = _active_get() if self._context_provider is None else self._context_provider.active()
        if active is None:
            return None
        if type(active) is Span:
            span = self.current_span()
            return None if span is None else span.context
        return active

