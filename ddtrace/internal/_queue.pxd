cdef class TraceQueue:
    cdef list _items
    cdef public Py_ssize_t spans
    cdef public Py_ssize_t max_spans
    cdef public Py_ssize_t wake_spans
    cdef public bint closed
    cdef public bint started

    cdef int push(self, list spans)
