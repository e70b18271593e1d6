cdef class TraceQueue:
    cdef list _items
    cdef public Py_ssize_t spans
    cdef public Py_ssize_t max_spans
    cdef public Py_ssize_t wake_spans
    cdef public bint closed
    cdef public bint started
    # Traces and spans dropped by push(), per PUSH_* code (FULL, TOO_LARGE, CLOSED).
    cdef Py_ssize_t _dropped_traces[5]
    cdef Py_ssize_t _dropped_spans[5]

    cdef int push(self, list spans)
    cdef void _zero_drops(self)
