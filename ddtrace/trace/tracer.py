"""The Tracer: starts spans and sends finished traces to the agent.

Span start/finish and trace assembly run in the compiled core (``_span.pyx``); this
module adds configuration, decorators, flushing and fork handling around it.
"""
import functools
import sys
import weakref

from ddtrace.internal import forks
from ddtrace.internal import lazy
from ddtrace.internal.logger import get_logger
from ddtrace.internal.logger import report_internal_error
from ddtrace.settings import config
from ddtrace.trace._span import Context
from ddtrace.trace._span import Span
from ddtrace.trace._span import TracerCore
from ddtrace.trace._span import _active

log = get_logger(__name__)

_CO_GENERATOR = 0x20
_CO_COROUTINE = 0x80
_CO_ASYNC_GENERATOR = 0x200
_CO_ITERABLE_COROUTINE = 0x100


def _kind(f):
    """'gen', 'coro', 'agen' or 'func', from code flags (no inspect import at start-up)."""
    code = getattr(getattr(f, "__func__", f), "__code__", None)
    if code is None:
        return "func"
    flags = code.co_flags
    if flags & _CO_ASYNC_GENERATOR:
        return "agen"
    if flags & _CO_COROUTINE:
        return "coro"
    if flags & _CO_GENERATOR:
        return "gen"
    return "func"


_tracers = weakref.WeakSet()


def _after_fork_in_child():
    for tracer in list(_tracers):
        try:
            tracer._after_fork()
        except Exception as e:
            report_internal_error(e, "resetting the tracer in a forked child")


forks.register(_after_fork_in_child)


class Tracer(TracerCore):
    """Creates spans and sends finished traces to the Datadog Agent.

    Use the global instance, ``from ddtrace.trace import tracer``.
    """

    def __init__(self):
        super().__init__()
        self._aggregator.writer_factory = self._new_default_writer
        _tracers.add(self)
        config._on_load(self._apply_config)

    def _new_default_writer(self):
        return self._bind_writer(lazy.load("ddtrace.internal.writer").create_default_writer())

    def _bind_writer(self, writer):
        """Have ``writer`` hand the agent's sample rates to this tracer's sampler (the
        writer knows nothing of tracers), unless it was given a receiver of its own."""
        if getattr(writer, "_on_rate_by_service", False) is None:
            ref = weakref.ref(self)

            def on_rate_by_service(rates):
                tracer = ref()
                if tracer is not None:
                    update = getattr(tracer._sampler, "update_rate_by_service_sample_rates", None)
                    if update is not None:
                        update(rates)

            writer._on_rate_by_service = on_rate_by_service
        return writer

    def _apply_config(self):
        agg = self._aggregator
        agg.partial_flush_enabled = bool(config._partial_flush_enabled)
        agg.partial_flush_min_spans = max(1, int(config._partial_flush_min_spans))

    # -- state

    @property
    def context_provider(self):
        if self._context_provider is None:
            return lazy.load("ddtrace.trace.provider").DefaultContextProvider()
        return self._context_provider

    @property
    def _writer(self):
        agg = self._aggregator
        if agg.writer is None and agg.writer_factory is not None:
            agg.writer = agg.writer_factory()
        return agg.writer

    @_writer.setter
    def _writer(self, writer):
        self._aggregator.writer = self._bind_writer(writer)

    @property
    def _sampler(self):
        agg = self._aggregator
        if agg.sampler is None:
            agg.sampler = lazy.load("ddtrace.trace.sampler").DatadogSampler()
        return agg.sampler

    @_sampler.setter
    def _sampler(self, sampler):
        self._aggregator.sampler = sampler

    @property
    def _filters(self):
        return self._aggregator.filters

    def configure(
        self,
        enabled=None,
        context_provider=None,
        trace_processors=None,
        writer=None,
        sampler=None,
        partial_flush_enabled=None,
        partial_flush_min_spans=None,
        settings=None,
        **agent_options,
    ):
        """Change the tracer's set-up at run time.

        - ``enabled``: send traces or not.
        - ``context_provider``: a ``BaseContextProvider`` to hold the active span.
        - ``trace_processors``: ``TraceFilter`` instances run on every finished trace, in order.
        - ``writer`` / ``sampler``: replace the writer or the sampler.
        - ``partial_flush_enabled`` / ``partial_flush_min_spans``: send long traces in chunks.
        - ``hostname``, ``port``, ``uds_path``, ``https``, ``api_version``: agent address and protocol.
        """
        agg = self._aggregator
        if enabled is not None:
            agg.enabled = bool(enabled)
        if context_provider is not None:
            if type(context_provider) is lazy.load("ddtrace.trace.provider").DefaultContextProvider:
                self._context_provider = None
                agg.context_provider = None
            else:
                self._context_provider = context_provider
                agg.context_provider = context_provider
        filters = trace_processors
        if settings and "FILTERS" in settings:
            filters = list(filters or []) + list(settings["FILTERS"])
        if filters is not None:
            for f in filters:
                if not callable(getattr(f, "process_trace", None)):
                    raise TypeError("trace processor %r has no process_trace(trace) method" % (f,))
            agg.filters = list(filters)
        if sampler is not None:
            agg.sampler = sampler
        if partial_flush_enabled is not None:
            agg.partial_flush_enabled = bool(partial_flush_enabled)
        if partial_flush_min_spans is not None:
            if int(partial_flush_min_spans) < 1:
                raise ValueError("partial_flush_min_spans must be at least 1")
            agg.partial_flush_min_spans = int(partial_flush_min_spans)
        if agent_options:
            unknown = set(agent_options) - {"hostname", "port", "uds_path", "https", "api_version"}
            if unknown:
                raise TypeError("configure() got unexpected keyword argument(s): %s" % ", ".join(sorted(unknown)))
            if writer is None:
                writer = self._writer_for(agent_options)
        if writer is not None:
            old = agg.writer
            agg.writer = self._bind_writer(writer)
            if old is not None and old is not writer:
                try:
                    old.stop(timeout=1)
                except Exception as e:
                    report_internal_error(e, "stopping the previous writer")

    def _writer_for(self, options):
        AgentWriter = lazy.load("ddtrace.internal.writer").AgentWriter
        url = None
        if options.get("uds_path"):
            url = "unix://" + options["uds_path"]
        elif options.get("hostname") or options.get("port"):
            scheme = "https" if options.get("https") else "http"
            url = "%s://%s:%s" % (scheme, options.get("hostname") or "localhost", options.get("port") or 8126)
        return AgentWriter(agent_url=url, api_version=options.get("api_version"))

    def set_tags(self, tags):
        """Add tags to every span this tracer sends from now on (None adds none)."""
        if tags is None:
            return
        agg = self._aggregator
        merged = dict(config.tags if agg.global_tags is None else agg.global_tags)
        for k, v in tags.items():
            merged[str(k)] = str(v)
        agg.global_tags = merged

    # -- decorator

    def wrap(self, name=None, service=None, resource=None, span_type=None):
        """Decorate a function so each call is traced in a span.

        Works on functions, methods, coroutines (the span covers the awaited call),
        generators and async generators (the span covers the whole iteration). The
        span name defaults to ``<module>.<qualname>`` of the function.
        """

        def decorator(f):
            span_name = name or "%s.%s" % (getattr(f, "__module__", None) or "", getattr(f, "__qualname__", f.__name__))
            start = self.trace
            kind = _kind(f)
            if kind == "coro":

                async def wrapper(*args, **kwargs):
                    with start(span_name, service, resource, span_type):
                        return await f(*args, **kwargs)

            elif kind == "gen":

                def wrapper(*args, **kwargs):
                    with start(span_name, service, resource, span_type):
                        return (yield from f(*args, **kwargs))

            elif kind == "agen":

                async def wrapper(*args, **kwargs):
                    with start(span_name, service, resource, span_type):
                        agen = f(*args, **kwargs)
                        try:
                            item = await agen.__anext__()
                        except StopAsyncIteration:
                            return
                        while True:
                            try:
                                sent = yield item
                            except GeneratorExit:
                                await agen.aclose()
                                raise
                            except BaseException:
                                try:
                                    item = await agen.athrow(*sys.exc_info())
                                except StopAsyncIteration:
                                    return
                            else:
                                try:
                                    item = await agen.asend(sent)
                                except StopAsyncIteration:
                                    return

            else:

                def wrapper(*args, **kwargs):
                    with start(span_name, service, resource, span_type):
                        return f(*args, **kwargs)

            return functools.wraps(f)(wrapper)

        return decorator

    # -- sending

    def flush(self):
        """Send every finished trace now (blocks until sent or the agent timeout)."""
        writer = self._aggregator.writer
        if writer is not None:
            writer.flush_queue()

    def shutdown(self, timeout=None):
        """Flush what is buffered, stop the writer; later traces are not sent."""
        writer = self._aggregator.writer
        self._aggregator.enabled = False
        if writer is not None:
            writer.stop(timeout=timeout)

    def _after_fork(self):
        agg = self._aggregator
        agg._after_fork()
        writer = agg.writer
        if writer is not None:
            writer._after_fork()

    # -- logs

    def get_log_correlation_context(self, active=None):
        """The ids and service details to put in log records (``dd.trace_id`` & co)."""
        span = self.current_span() if active is None else active
        trace_id = span_id = "0"
        if span is not None:
            tid = span.trace_id
            if tid > 0xFFFFFFFFFFFFFFFF and config._128_bit_trace_id_logging_enabled:
                trace_id = "%032x" % tid
            else:
                trace_id = str(tid & 0xFFFFFFFFFFFFFFFF)
            span_id = str(span.span_id)
        return {
            "trace_id": trace_id,
            "span_id": span_id,
            "service": config.service or "",
            "version": config.version or "",
            "env": config.env or "",
        }

    def __repr__(self):
        return "<Tracer enabled=%s>" % self.enabled


__all__ = ["Tracer", "Span", "Context", "_active"]
