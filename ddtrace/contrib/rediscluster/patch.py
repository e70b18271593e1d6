"""Traces redis-py-cluster (``rediscluster``): commands and pipelines."""
from __future__ import annotations

from ddtrace.contrib._integration import Integration
from ddtrace.contrib.redis._tracing import RedisTracing
from ddtrace.contrib.redis._tracing import pin_to_pipeline
from ddtrace.contrib.redis._tracing import stack_of_cluster_pipeline

integration = Integration("rediscluster")
patch, unpatch, get_version = integration.patch, integration.unpatch, integration.version

tracing = RedisTracing(integration)


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


integration.wrap_on_import(
    "rediscluster.client", {"RedisCluster": {"execute_command": _traced_command, "pipeline": pin_to_pipeline}}
)
integration.wrap_on_import("rediscluster.pipeline", {"ClusterPipeline": {"execute": _traced_pipeline}})
