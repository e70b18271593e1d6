"""The hand-off between request threads and the writer thread.

``push`` runs on the request path for every finished trace: it only appends to a list
and updates counters in C, which under the GIL is atomic, so it needs no lock and
makes no Python call. It returns a code telling the writer what, if anything, it must
do (start its thread, wake up); 0, by far the most common answer, means nothing. The
traces it drops are counted here too, so the request path takes no lock at all: a
signal handler or a finaliser that traces in the middle of it cannot deadlock on
anything the interrupted code holds.
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
        self._zero_drops()

    cdef void _zero_drops(self):
        cdef int i
        for i in range(5):
            self._dropped_traces[i] = 0
            self._dropped_spans[i] = 0

    cdef int push(self, list spans):
        cdef Py_ssize_t n = len(spans)
        cdef int code
        if n == 0:
            return C_OK
        if self.closed:
            self._dropped_traces[C_CLOSED] += 1
            self._dropped_spans[C_CLOSED] += n
            return C_CLOSED
        if n > self.max_spans:
            code = C_TOO_LARGE
            self._dropped_traces[code] += 1
            self._dropped_spans[code] += n
        elif self.spans + n > self.max_spans:
            code = C_FULL
            self._dropped_traces[code] += 1
            self._dropped_spans[code] += n
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
        # Allocated first: an allocation can run a finaliser, which can push.
        cdef list fresh = []
        cdef list items = self._items
        cdef Py_ssize_t n = self.spans
        self._items = fresh
        self.spans = 0
        return items, n

    def take_drops(self):
        """The drops counted since the last call, as ``{PUSH_* code: (traces, spans)}``,
        and start counting afresh."""
        cdef Py_ssize_t traces[5]
        cdef Py_ssize_t spans[5]
        cdef int i
        # Copied and zeroed before any Python object is made (which could run a finaliser that pushes).
        for i in range(5):
            traces[i] = self._dropped_traces[i]
            spans[i] = self._dropped_spans[i]
        self._zero_drops()
        return {i: (traces[i], spans[i]) for i in range(5) if traces[i]}

    def reset(self):
        """Forget everything (a forked child): empty, open, writer thread not started."""
        cdef list fresh = []
        self._items = fresh
        self.spans = 0
        self.closed = False
        self.started = False
        self._zero_drops()

    def __len__(self):
        return len(self._items)


# ---------------------------------------------------------------- leaving through C's exit()

cdef extern from "stdlib.h":
    int atexit(void (*function)() noexcept nogil) nogil

cdef extern from "Python.h":
    int Py_IsInitialized() nogil

cdef object _at_c_exit = None
cdef bint _c_exit_registered = 0


cdef void _call_exit_hook() noexcept with gil:
    fn = _at_c_exit
    if fn is not None:
        try:
            fn()
        except BaseException:
            pass


cdef void _run_at_c_exit() noexcept nogil:
    # After a normal exit Python is finalised by now (its own atexit hooks ran): nothing
    # to do, and nothing may be touched, the GIL included (this function holds no Python
    # object, so that nothing here takes it). Still initialised means the process is
    # leaving through C's exit() without finalising Python, as a uWSGI master does.
    if Py_IsInitialized():
        _call_exit_hook()


def call_at_c_exit(fn):
    """Call ``fn()`` if the process leaves through C's ``exit()`` without finalising
    Python, which skips Python's ``atexit`` hooks (a uWSGI master does; its workers
    run them). Replaces the previous function."""
    global _at_c_exit, _c_exit_registered
    _at_c_exit = fn
    if not _c_exit_registered:
        _c_exit_registered = 1
        atexit(_run_at_c_exit)
