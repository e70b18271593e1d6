"""Trace filters: user code that edits or drops whole traces before they are sent."""
from ddtrace.internal import lazy


class TraceFilter:
    """Subclass and implement ``process_trace``.

    ``process_trace(trace)`` receives the list of finished spans of a trace (or of a
    partial chunk of a long one) and returns the list to send, possibly edited, or
    ``None`` to drop the trace. A filter that raises is logged and skipped.
    Install with ``tracer.configure(trace_processors=[MyFilter()])``.
    """

    def process_trace(self, trace):
        raise NotImplementedError


class FilterRequestsOnUrl(TraceFilter):
    """Drop traces whose local root has an ``http.url`` matching any of the regexps."""

    def __init__(self, regexps):
        re = lazy.load("re")
        if isinstance(regexps, str):
            regexps = [regexps]
        self._regexps = [re.compile(r) for r in regexps]

    def process_trace(self, trace):
        for span in trace:
            if span.parent_id == 0 or span._parent is None:
                url = span.get_tag("http.url")
                if url is not None and any(r.match(url) for r in self._regexps):
                    return None
        return trace
