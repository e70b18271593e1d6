"""Traces `redis-py-cluster <https://github.com/Grokzen/redis-py-cluster>`_ 2.x (module
``rediscluster``), the Redis Cluster client for redis-py 3.x.

Enabled by default under ``ddtrace-run`` and ``patch_all()``; in code::

    from ddtrace import patch

    patch(rediscluster=True)

Every command of a ``rediscluster.RedisCluster`` makes one ``redis.command`` span, and
every executed pipeline one span for all its commands, with the same resource and tags
as the :mod:`redis <ddtrace.contrib.redis>` integration (``redis.raw_command``,
``redis.args_length``, ``redis.pipeline_length``, ``db.row_count``, ``db.system=redis``,
``span.kind=client``), except:

- the service is ``rediscluster`` and the tag ``component=rediscluster``;
- ``out.host`` / ``network.destination.port`` name the first startup node the client
  was given, and ``out.redis_db`` is 0.

The commands redis-py-cluster sends to discover the cluster (``cluster slots``...) go
through redis-py clients: with the ``redis`` integration on they show as ``redis``
spans.

Settings
--------

``DD_REDISCLUSTER_SERVICE`` / ``config.rediscluster.service``
    Service of the spans (default ``"rediscluster"``).
``DD_REDISCLUSTER_CMD_MAX_LENGTH`` / ``config.rediscluster.cmd_max_length``
    Bound of ``redis.raw_command`` (default ``1000``).
``DD_REDIS_RESOURCE_ONLY_COMMAND`` / ``config.rediscluster.resource_only_command``
    ``false`` puts the whole raw command in the resource (default ``true``).
``DD_TRACE_REDISCLUSTER_ENABLED``
    ``false`` leaves redis-py-cluster untraced.

``Pin.override(client, service="...")`` names the service of one client and its
pipelines.
"""
