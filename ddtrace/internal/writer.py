"""Where finished traces go.

``TraceWriter`` is the interface the aggregator calls: ``write(spans)`` must be O(1),
never block on the network and never raise.
"""
import threading


class TraceWriter:
    """Interface of every writer."""

    def write(self, spans):
        raise NotImplementedError

    def flush_queue(self, timeout=None):
        """Send what is buffered now; return once it is sent (or ``timeout`` passed)."""

    def stop(self, timeout=None):
        """Flush and release resources; later writes are dropped."""

    def recreate(self):
        """A fresh writer of the same configuration (used in forked children)."""
        return self.__class__()

    def _after_fork(self):
        """Called in a forked child before any new trace is written."""


class InMemoryWriter(TraceWriter):
    """Keeps written traces in memory (tests and debugging)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._traces = []

    def write(self, spans):
        with self._lock:
            self._traces.append(list(spans))

    def pop_traces(self):
        """All traces written so far (each a list of spans), emptying the writer."""
        with self._lock:
            traces, self._traces = self._traces, []
        return traces

    def pop(self):
        """All spans written so far, in write order, emptying the writer."""
        return [s for t in self.pop_traces() for s in t]

    def recreate(self):
        return InMemoryWriter()

    def _after_fork(self):
        self._lock = threading.Lock()
        self._traces = []


class NullWriter(TraceWriter):
    """Drops everything (placeholder until the agent writer is in place)."""

    def write(self, spans):
        pass


def create_default_writer():
    """The writer a new tracer sends to."""
    return NullWriter()
