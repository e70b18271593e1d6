"""Traces redis-py-cluster (``rediscluster``): commands and pipelines."""
from __future__ import annotations

from ddtrace.contrib._integration import Integration
from ddtrace.contrib.redis._tracing import RedisTracing
from ddtrace.contrib.redis._tracing import pin_to_pipeline
from ddtrace.contrib.redis._tracing import stack_of_cluster_pipeline
from ddtrace.contrib.redis.patch import _env_bool
from ddtrace.contrib.redis.patch import _env_cmd_max_length

integration = Integration(
    "rediscluster",
    "rediscluster",
    defaults={
        "cmd_max_length": _env_cmd_max_length("DD_REDISCLUSTER_CMD_MAX_LENGTH"),
        # One switch for every Redis client, as in the Datadog tracer.
        "resource_only_command": _env_bool("DD_REDIS_RESOURCE_ONLY_COMMAND", True),
    },
    distributions=("redis-py-cluster",),
)

#: Versions the integration is tested with.
SUPPORTED = {"rediscluster": ">=2.0,<3"}

DEFAULT_SERVICE = "rediscluster"

tracing = RedisTracing(integration, component="rediscluster", default_service=DEFAULT_SERVICE)


def get_version():
    """The installed redis-py-cluster version."""
    return integration.version()


def patch():
    """Trace redis-py-cluster commands and pipelines (imports rediscluster).

    Patching twice patches once; returns True if it patched now.
    """
    return integration.patch(_patch)


def unpatch():
    """Restore redis-py-cluster's original methods."""
    return integration.unpatch()


def peer_from_startup_nodes(client):
    """``(host, port, 0)`` of the first startup node the client was given."""
    nodes = client.connection_pool.nodes
    startup = getattr(nodes, "orig_startup_nodes", None) or nodes.startup_nodes
    if not startup:
        return None, None, 0
    node = startup[0]
    return node.get("host"), node.get("port"), 0


_traced_command = tracing.command_wrapper(peer_from_startup_nodes)
_traced_pipeline = tracing.pipeline_wrapper(peer_from_startup_nodes, stack_of_cluster_pipeline)


def _patch(rediscluster):
    import rediscluster.client
    import rediscluster.pipeline

    integration.wrap(rediscluster.client.RedisCluster, "execute_command", _traced_command)
    integration.wrap(rediscluster.client.RedisCluster, "pipeline", pin_to_pipeline)
    integration.wrap(rediscluster.pipeline.ClusterPipeline, "execute", _traced_pipeline)

