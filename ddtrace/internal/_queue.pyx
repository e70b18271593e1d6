"""The hand-off between request threads and the writer thread.

``push`` runs on the request path for every finished trace: it only appends to a list
and updates counters in C, which under the GIL is atomic, so it needs no lock and
makes no Python call. It returns a code telling the writer what, if anything, it must
do (start its thread, wake up, count a drop); 0, by far the most common answer,
means nothing.
"""

cdef enum:
    C_OK = 0
    C_WAKE = 1
    C_FULL = 2
    C_TOO_LARGE = 3
    C_CLOSED = 4
    C_START = 8

#: The trace was queued.
PUSH_OK = C_OK
#: Queued, and the queue passed its wake-up threshold: wake the writer.
PUSH_WAKE = C_WAKE
#: Dropped: the queue is full.
PUSH_FULL = C_FULL
#: Dropped: the trace alone is larger than the whole queue.
PUSH_TOO_LARGE = C_TOO_LARGE
#: Dropped: the writer is stopped.
PUSH_CLOSED = C_CLOSED
#: Flag added to a code: the writer thread is not running yet and must be started.
PUSH_START = C_START
#: The bits of a code that say what happened to the trace.
PUSH_WHAT = 7


cdef class TraceQueue:
    """Finished traces waiting for the writer thread, bounded by their span count."""

    def __init__(self, Py_ssize_t max_spans, Py_ssize_t wake_spans):
        self._items = []
        self.spans = 0
        self.max_spans = max_spans if max_spans > 0 else 1
        self.wake_spans = wake_spans if wake_spans > 0 else 1
        self.closed = False
        self.started = False

    cdef int push(self, list spans):
        cdef Py_ssize_t n = len(spans)
        cdef int code
        if n == 0:
            return C_OK
        if self.closed:
            return C_CLOSED
        if n > self.max_spans:
            code = C_TOO_LARGE
        elif self.spans + n > self.max_spans:
            code = C_FULL
        else:
            self._items.append(spans)
            self.spans += n
            code = C_WAKE if self.spans >= self.wake_spans else C_OK
        if not self.started:
            self.started = True
            code |= C_START
        return code

    def put(self, spans):
        """Queue one trace (a list of spans); returns a ``PUSH_*`` code."""
        if type(spans) is not list:
            spans = list(spans)
        return self.push(spans)

    def pop_all(self):
        """Take everything queued: ``(list of traces, number of spans)``."""
        items = self._items
        n = self.spans
        self._items = []
        self.spans = 0
        return items, n

    def reset(self):
        """Forget everything (a forked child): empty, open, writer thread not started."""
        self._items = []
        self.spans = 0
        self.closed = False
        self.started = False

    def __len__(self):
        return len(self._items)
