"""The wrappers that turn redis client calls into ``redis.command`` spans.

Built per integration (redis, rediscluster) by :class:`RedisTracing`, which knows
where that client keeps its server address and queued pipeline commands. The command
wrappers run on every Redis call, so they stay lean: one pin lookup, the tracing
decision, the resource and ``redis.raw_command`` (bounded, see ``_command``).
"""
from __future__ import annotations

from ddtrace.contrib._integration import guard
from ddtrace.contrib.redis import _command
from ddtrace.ext import SpanKind
from ddtrace.ext import SpanTypes
from ddtrace.ext.db import SYSTEM
from ddtrace.internal.logger import report_internal_error
from ddtrace.trace import Pin


def _number(value):
    if type(value) is int:
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _max_length(cfg):
    value = cfg.get("cmd_max_length")
    if type(value) is int and value > 0:
        return value
    # Set in code to something odd ("500", None, -1): use it if it reads as a count.
    value = _number(value)
    return value if value is not None and value > 0 else _command.CMD_MAX_LENGTH


def peer_from_pool(client):
    """``(host, port, db)`` of a client or pipeline with a ``connection_pool``
    (redis-py ``Redis`` and ``Pipeline``, sync and asyncio); None parts are unknown
    (a Unix socket has no host, a Sentinel-managed pool learns it on connect)."""
    pool = client.connection_pool
    kwargs = pool.connection_kwargs
    return kwargs.get("host"), kwargs.get("port"), kwargs.get("db", 0)


def peer_from_cluster(client):
    """``(host, port, 0)`` of a cluster client or cluster pipeline: its default node
    (what redis-py sends keyless commands to), else the first startup node."""
    cluster = client
    # asyncio ClusterPipeline objects hold their cluster client instead of being one.
    for attr in ("cluster_client", "_client"):
        inner = getattr(cluster, attr, None)
        if inner is not None and hasattr(inner, "get_default_node"):
            cluster = inner
            break
    node = None
    get_default_node = getattr(cluster, "get_default_node", None)
    if get_default_node is not None:
        node = get_default_node()
    if node is None:
        manager = getattr(cluster, "nodes_manager", None)
        startup = getattr(manager, "startup_nodes", None)
        if startup:
            node = next(iter(startup.values())) if isinstance(startup, dict) else startup[0]
    if node is None:
        return None, None, 0
    if isinstance(node, dict):  # redis-py-cluster keeps nodes as dicts
        return node.get("host"), node.get("port"), 0
    return getattr(node, "host", None), getattr(node, "port", None), 0


def stack_of_pipeline(pipe):
    """Queued commands of a redis-py ``Pipeline`` (sync or asyncio)."""
    return pipe.command_stack


def stack_of_cluster_pipeline(pipe):
    """Queued commands of a cluster pipeline, wherever this redis-py version keeps
    them: its execution strategy (6.0+), ``command_stack`` (sync, before 6.0; and
    redis-py-cluster) or ``_command_stack`` (asyncio, before 6.0)."""
    strategy = getattr(pipe, "_execution_strategy", None)
    if strategy is not None:
        stack = getattr(strategy, "_command_queue", None)
        if stack is None:
            stack = getattr(strategy, "command_queue", None)
        if stack is not None:
            return stack
    stack = getattr(pipe, "_command_stack", None)
    if stack is None:
        stack = getattr(pipe, "command_stack", None)
    return stack or ()


class RedisTracing:
    """Span helpers and wrapper factories bound to one integration.

    :param integration: the :class:`~ddtrace.contrib._integration.Integration`; its
        config holds ``cmd_max_length`` and ``resource_only_command``, its registry row
        the default service.
    """

    def __init__(self, integration):
        self.integration = integration

    # -- spans

    def start_span(self, pin, instance, peer_of, resource, raw):
        """Start and activate a ``redis.command`` span with the common tags (None if
        that failed)."""
        host, port, db = peer_of(instance)
        if port is not None:
            port = _number(port)
        span = self.integration.start_span(
            _command.SPAN_NAME,
            pin,
            resource=resource,
            span_type=SpanTypes.REDIS,
            kind=SpanKind.CLIENT,
            measured=True,
            host=host,
            port=port,
        )
        if span is None:
            return None
        try:
            span.set_tag_str(SYSTEM, "redis")
            span.set_tag_str(_command.RAW_COMMAND, raw)
            if db is not None:
                db = _number(db)
                if db is not None:
                    span.set_metric(_command.DB_INDEX, db)
        except Exception as e:
            report_internal_error(e, "tagging a redis span")
        return span

    def _command_span(self, pin, instance, args, peer_of):
        cfg = self.integration.config
        raw = _command.format_command(args, _max_length(cfg))
        name = _command.command_name(args)
        resource = name if cfg.get("resource_only_command", True) else raw
        span = self.start_span(pin, instance, peer_of, resource, raw)
        if span is not None:
            span.set_metric(_command.ARGS_LENGTH, len(args))
        return span, name

    def _pipeline_span(self, pin, instance, stack, peer_of):
        cfg = self.integration.config
        resource, raw, length = _command.format_pipeline(
            stack, _max_length(cfg), cfg.get("resource_only_command", True)
        )
        span = self.start_span(pin, instance, peer_of, resource, raw)
        if span is not None:
            span.set_metric(_command.PIPELINE_LENGTH, length)
        return span

    @staticmethod
    def _record_rows(span, name, result):
        try:
            rows = _command.row_count(name, result)
            if rows is not None:
                span.set_metric(_command.ROW_COUNT, rows)
        except Exception as e:
            report_internal_error(e, "counting the rows of a redis reply")

    # -- wrapper factories (wrapt signature: wrapped, instance, args, kwargs)

    def command_wrapper(self, peer_of):
        """Wrapper for ``execute_command`` / ``immediate_execute_command``: one span."""
        integration = self.integration
        command_span = self._command_span
        record_rows = self._record_rows
        row_commands = _command.ROW_COMMANDS

        def traced_execute_command(wrapped, instance, args, kwargs):
            pin = integration.pin_of(instance)
            if not integration.should_trace(pin):
                return wrapped(*args, **kwargs)
            # A plain try rather than guard(): this runs on every command.
            try:
                span, name = command_span(pin, instance, args, peer_of)
            except Exception as e:
                report_internal_error(e, "starting a redis span")
                return wrapped(*args, **kwargs)
            if span is None:
                return wrapped(*args, **kwargs)
            with span:
                result = wrapped(*args, **kwargs)
                if name in row_commands:
                    record_rows(span, name, result)
            return result

        return traced_execute_command

    def async_command_wrapper(self, peer_of):
        """:meth:`command_wrapper` for coroutine methods (``redis.asyncio``)."""
        integration = self.integration
        command_span = self._command_span
        record_rows = self._record_rows
        row_commands = _command.ROW_COMMANDS

        async def traced_execute_command(wrapped, instance, args, kwargs):
            pin = integration.pin_of(instance)
            if not integration.should_trace(pin):
                return await wrapped(*args, **kwargs)
            try:
                span, name = command_span(pin, instance, args, peer_of)
            except Exception as e:
                report_internal_error(e, "starting a redis span")
                return await wrapped(*args, **kwargs)
            if span is None:
                return await wrapped(*args, **kwargs)
            with span:
                result = await wrapped(*args, **kwargs)
                if name in row_commands:
                    record_rows(span, name, result)
            return result

        return traced_execute_command

    def pipeline_wrapper(self, peer_of, stack_of):
        """Wrapper for a pipeline's ``execute``: one span for all queued commands (an
        empty pipeline sends nothing and gets no span)."""
        integration = self.integration
        pipeline_span = self._pipeline_span

        def traced_execute(wrapped, instance, args, kwargs):
            pin = integration.pin_of(instance)
            if not integration.should_trace(pin):
                return wrapped(*args, **kwargs)
            span = None
            with guard("starting a redis pipeline span"):
                stack = stack_of(instance)
                if stack:
                    span = pipeline_span(pin, instance, stack, peer_of)
            if span is None:
                return wrapped(*args, **kwargs)
            with span:
                return wrapped(*args, **kwargs)

        return traced_execute

    def async_pipeline_wrapper(self, peer_of, stack_of):
        """:meth:`pipeline_wrapper` for coroutine ``execute`` methods."""
        integration = self.integration
        pipeline_span = self._pipeline_span

        async def traced_execute(wrapped, instance, args, kwargs):
            pin = integration.pin_of(instance)
            if not integration.should_trace(pin):
                return await wrapped(*args, **kwargs)
            span = None
            with guard("starting a redis pipeline span"):
                stack = stack_of(instance)
                if stack:
                    span = pipeline_span(pin, instance, stack, peer_of)
            if span is None:
                return await wrapped(*args, **kwargs)
            with span:
                return await wrapped(*args, **kwargs)

        return traced_execute


def pin_to_pipeline(wrapped, instance, args, kwargs):
    """Wrapper for a client's ``pipeline()``: the pipeline gets a copy of the client's
    pin, so ``Pin.override(client, service=...)`` covers its pipelines too."""
    pipe = wrapped(*args, **kwargs)
    with guard("copying a redis client's pin to its pipeline"):
        pin = Pin.get_from(instance)
        if pin is not None and pipe is not None and pipe is not instance:
            pin.clone().onto(pipe)
    return pipe
