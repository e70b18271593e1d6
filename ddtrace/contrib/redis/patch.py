"""Traces redis-py: commands, pipelines, ``redis.asyncio`` and ``redis.cluster``.

``patch()`` instruments ``redis.client`` at once; the asyncio and cluster modules are
instrumented when they are imported (now, if they already are), so patching never
imports asyncio into a program that does not use it.
"""
from __future__ import annotations

import os

from ddtrace.contrib._integration import Integration
from ddtrace.contrib.redis import _command
from ddtrace.contrib.redis._tracing import RedisTracing
from ddtrace.contrib.redis._tracing import peer_from_cluster
from ddtrace.contrib.redis._tracing import peer_from_pool
from ddtrace.contrib.redis._tracing import pin_to_pipeline
from ddtrace.contrib.redis._tracing import stack_of_cluster_pipeline
from ddtrace.contrib.redis._tracing import stack_of_pipeline
from ddtrace.internal.logger import get_logger

log = get_logger(__name__)


def _env_cmd_max_length(var):
    raw = os.environ.get(var, "").strip()
    if not raw:
        return _command.CMD_MAX_LENGTH
    try:
        value = int(raw, 10)
        if value > 0:
            return value
    except ValueError:
        pass
    log.warning("%s: %r is not a positive whole number; using %d", var, raw, _command.CMD_MAX_LENGTH)
    return _command.CMD_MAX_LENGTH


def _env_bool(var, default):
    raw = os.environ.get(var, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    log.warning("%s: %r is not a boolean (use true or false); using %s", var, raw, default)
    return default


integration = Integration(
    "redis",
    "redis",
    defaults={
        "cmd_max_length": _env_cmd_max_length("DD_REDIS_CMD_MAX_LENGTH"),
        "resource_only_command": _env_bool("DD_REDIS_RESOURCE_ONLY_COMMAND", True),
    },
)

#: Versions the integration is tested with (3.0.0 and the newest 8.x).
SUPPORTED = {"redis": ">=3.0,<9"}

tracing = RedisTracing(integration)

_traced_command = tracing.command_wrapper(peer_from_pool)
_traced_pipeline = tracing.pipeline_wrapper(peer_from_pool, stack_of_pipeline)
_traced_async_command = tracing.async_command_wrapper(peer_from_pool)
_traced_async_pipeline = tracing.async_pipeline_wrapper(peer_from_pool, stack_of_pipeline)
_traced_cluster_command = tracing.command_wrapper(peer_from_cluster)
_traced_cluster_pipeline = tracing.pipeline_wrapper(peer_from_cluster, stack_of_cluster_pipeline)
_traced_async_cluster_command = tracing.async_command_wrapper(peer_from_cluster)
_traced_async_cluster_pipeline = tracing.async_pipeline_wrapper(peer_from_cluster, stack_of_cluster_pipeline)


def get_version():
    """The installed redis-py version."""
    return integration.version()


def patch():
    """Trace redis-py commands and pipelines, sync, asyncio and cluster (imports redis).

    Patching twice patches once; returns True if it patched now.
    """
    return integration.patch(_patch)


def unpatch():
    """Restore redis-py's original methods."""
    return integration.unpatch()


def _wrap_if_own(cls, attr, wrapper):
    # Only methods the class defines itself: wrapping an inherited one would trace
    # the parent's calls twice.
    if attr in vars(cls):
        integration.wrap(cls, attr, wrapper)


def _patch_client(client_module):
    _wrap_if_own(client_module.Redis, "execute_command", _traced_command)
    _wrap_if_own(client_module.Redis, "pipeline", pin_to_pipeline)
    _wrap_if_own(client_module.Pipeline, "execute", _traced_pipeline)
    _wrap_if_own(client_module.Pipeline, "immediate_execute_command", _traced_command)


def _patch_cluster(cluster_module):
    _wrap_if_own(cluster_module.RedisCluster, "execute_command", _traced_cluster_command)
    _wrap_if_own(cluster_module.RedisCluster, "pipeline", pin_to_pipeline)
    _wrap_if_own(cluster_module.ClusterPipeline, "execute", _traced_cluster_pipeline)


def _patch_asyncio_client(client_module):
    _wrap_if_own(client_module.Redis, "execute_command", _traced_async_command)
    _wrap_if_own(client_module.Redis, "pipeline", pin_to_pipeline)
    _wrap_if_own(client_module.Pipeline, "execute", _traced_async_pipeline)
    _wrap_if_own(client_module.Pipeline, "immediate_execute_command", _traced_async_command)


def _patch_asyncio_cluster(cluster_module):
    _wrap_if_own(cluster_module.RedisCluster, "execute_command", _traced_async_cluster_command)
    _wrap_if_own(cluster_module.RedisCluster, "pipeline", pin_to_pipeline)
    _wrap_if_own(cluster_module.ClusterPipeline, "execute", _traced_async_cluster_pipeline)


#: Modules instrumented when they are imported: (module name, patch function).
#: ``redis.cluster`` exists from redis-py 4.1, ``redis.asyncio`` from 4.2 and its
#: cluster client from 4.3.
_SUBMODULES = (
    ("redis.cluster", _patch_cluster),
    ("redis.asyncio.client", _patch_asyncio_client),
    ("redis.asyncio.cluster", _patch_asyncio_cluster),
)


def _patch(redis):
    import redis.client

    from ddtrace.internal.module_hooks import register_post_import_hook
    from ddtrace.internal.module_hooks import unregister_post_import_hook

    _patch_client(redis.client)
    for name, hook in _SUBMODULES:
        register_post_import_hook(name, hook)

    @integration.on_unpatch
    def _forget_hooks():
        for name, hook in _SUBMODULES:
            unregister_post_import_hook(name, hook)
