from ddtrace.internal._queue cimport TraceQueue

# Declarations shared with other Cython modules (the encoder reads spans' C fields directly).

cdef class Context:
    cdef public object trace_id
    cdef public object span_id
    cdef public dict _meta
    cdef public dict _metrics
    cdef public dict _baggage
    cdef public bint _is_remote
    cdef public list _span_links


cdef class _Trace:
    cdef public dict meta
    cdef public dict metrics
    cdef public int priority
    cdef public str dm
    cdef public dict baggage
    cdef public str tid
    cdef public list finished
    cdef public Span root
    cdef public SpanAggregator agg
    cdef public Py_ssize_t n_started
    cdef public Py_ssize_t n_finished


cdef class Span:
    cdef public object name
    cdef public object service
    cdef public object resource
    cdef public object span_type
    cdef public object trace_id
    cdef public unsigned long long span_id
    cdef public unsigned long long parent_id
    cdef public long long start_ns
    cdef public object duration_ns
    cdef public int error
    cdef public dict _meta
    cdef public dict _metrics
    cdef public list _links
    cdef public Span _parent
    cdef public _Trace _trace
    cdef Context _ctx_view
    cdef long long _mono_start
    cdef object __weakref__

    cpdef finish(self, finish_time=*)
    cpdef set_tag(self, key, value=*)
    cpdef set_tag_str(self, key, value)
    cpdef set_metric(self, key, value)
    cdef void _set_str(self, str key, str value)
    cdef _special(self, key, value)


cdef class SpanAggregator:
    cdef object _writer
    cdef TraceQueue _queue
    cdef public list filters
    cdef public object sampler
    cdef public bint partial_flush_enabled
    cdef public Py_ssize_t partial_flush_min_spans
    cdef public object enabled
    cdef public object writer_factory
    cdef public object env
    cdef public object version
    cdef public object service
    cdef public dict global_tags
    cdef public dict service_mapping
    cdef public str runtime_id
    cdef public object pid
    cdef object _cfg_gen
    cdef object _c_enabled
    cdef object _c_env
    cdef object _c_version
    cdef object _c_service
    cdef object _c_mapping
    cdef object _c_tags
    cdef public object context_provider

    cdef void _on_finish(self, _Trace trace)
    cdef void _flush(self, _Trace trace, list spans)
    cdef void _refresh_config(self)
    cdef bint _is_enabled(self)
    cpdef sample(self, _Trace trace, Span span)
