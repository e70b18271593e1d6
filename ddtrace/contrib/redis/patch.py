"""Traces redis-py: commands, pipelines, ``redis.asyncio`` and ``redis.cluster``.

``patch()`` instruments ``redis.client`` at once; the asyncio and cluster modules are
instrumented when they are imported (now, if they already are), so patching never
imports asyncio into a program that does not use it.
"""
from __future__ import annotations

from ddtrace.contrib._integration import Integration
from ddtrace.contrib.redis._tracing import RedisTracing
from ddtrace.contrib.redis._tracing import peer_from_cluster
from ddtrace.contrib.redis._tracing import peer_from_pool
from ddtrace.contrib.redis._tracing import pin_to_pipeline
from ddtrace.contrib.redis._tracing import stack_of_cluster_pipeline
from ddtrace.contrib.redis._tracing import stack_of_pipeline

integration = Integration("redis")
patch, unpatch, get_version = integration.patch, integration.unpatch, integration.version

tracing = RedisTracing(integration)

_traced_command = tracing.command_wrapper(peer_from_pool)
_traced_pipeline = tracing.pipeline_wrapper(peer_from_pool, stack_of_pipeline)
_traced_async_command = tracing.async_command_wrapper(peer_from_pool)
_traced_async_pipeline = tracing.async_pipeline_wrapper(peer_from_pool, stack_of_pipeline)
_traced_cluster_command = tracing.command_wrapper(peer_from_cluster)
_traced_cluster_pipeline = tracing.pipeline_wrapper(peer_from_cluster, stack_of_cluster_pipeline)
_traced_async_cluster_command = tracing.async_command_wrapper(peer_from_cluster)
_traced_async_cluster_pipeline = tracing.async_pipeline_wrapper(peer_from_cluster, stack_of_cluster_pipeline)


# Only methods a class defines itself are wrapped: wrapping an inherited one would
# trace the parent's calls twice. ``redis.cluster`` exists from redis-py 4.1,
# ``redis.asyncio`` from 4.2 and its cluster client from 4.3.
integration.wrap_on_import(
    "redis.client",
    {
        "Redis": {"execute_command": _traced_command, "pipeline": pin_to_pipeline},
        "Pipeline": {"execute": _traced_pipeline, "immediate_execute_command": _traced_command},
    },
)
integration.wrap_on_import(
    "redis.cluster",
    {
        "RedisCluster": {"execute_command": _traced_cluster_command, "pipeline": pin_to_pipeline},
        "ClusterPipeline": {"execute": _traced_cluster_pipeline},
    },
)
integration.wrap_on_import(
    "redis.asyncio.client",
    {
        "Redis": {"execute_command": _traced_async_command, "pipeline": pin_to_pipeline},
        "Pipeline": {"execute": _traced_async_pipeline, "immediate_execute_command": _traced_async_command},
    },
)
integration.wrap_on_import(
    "redis.asyncio.cluster",
    {
        "RedisCluster": {"execute_command": _traced_async_cluster_command, "pipeline": pin_to_pipeline},
        "ClusterPipeline": {"execute": _traced_async_cluster_pipeline},
    },
)
