"""Traces `redis-py <https://github.com/redis/redis-py>`_ (``redis`` 3.0 to 8.x): commands
and pipelines, synchronous and ``redis.asyncio``, standalone and ``redis.cluster``.

Enabled by default under ``ddtrace-run`` and ``patch_all()``; in code::

    from ddtrace import patch

    patch(redis=True)

What is traced
--------------

Every command sent by ``redis.Redis``, ``redis.asyncio.Redis``,
``redis.cluster.RedisCluster`` and ``redis.asyncio.cluster.RedisCluster`` makes one
``redis.command`` span:

- type ``redis``, service ``redis`` (see below);
- resource: the command name as redis-py sends it (``r.incr("n")`` is sent as
  ``INCRBY``; ``CLUSTER SLOTS`` gives ``CLUSTER``);
- ``redis.raw_command``: the command and its arguments separated by spaces, such as
  ``SET user:1 alice``. Each argument is cut to 100 characters and the whole to
  ``cmd_max_length`` characters of arguments (default 1000), a cut part ending with
  ``...``; bytes are shown as UTF-8 text, with ``\\xNN`` for bytes that are not;
- ``redis.args_length``: how many arguments, the command name included;
- ``out.host`` and ``server.address``, ``network.destination.port``, ``out.redis_db``
  (the database index), ``db.system=redis``, ``component=redis``,
  ``span.kind=client``; for a cluster client, the address of its default node and
  database 0;
- ``db.row_count`` for commands that read values (``GET``, ``MGET``, ``HGETALL``,
  ``LRANGE``...): how many of the requested values came back.

A pipeline (``client.pipeline()``, with or without ``transaction``, and cluster
pipelines) makes one ``redis.command`` span when it is executed: its resource is the
command names one per line (``SET\\nGET``), ``redis.raw_command`` the commands one per
line, and the metric ``redis.pipeline_length`` the number of commands. Commands a
pipeline runs at once (``WATCH`` and the reads between ``WATCH`` and ``MULTI``) get
their own span. An empty pipeline sends nothing and makes no span.

Not traced: Pub/Sub (``client.pubsub()``) and ``MONITOR`` connections, and the
``WATCH`` / reads a cluster *transaction* pipeline (redis-py 6+) runs before
``MULTI`` (redis-py sends those on its own connection, outside the client methods).

Errors (a ``WRONGTYPE`` reply, a refused connection, a timeout) mark the span as an
error with ``error.type``, ``error.message`` and ``error.stack``; the exception
reaches your code unchanged.

Settings
--------

``DD_REDIS_SERVICE`` / ``config.redis.service``
    Service of the spans (default ``"redis"``).
``DD_REDIS_CMD_MAX_LENGTH`` / ``config.redis.cmd_max_length``
    Bound of ``redis.raw_command`` (default ``1000``).
``DD_REDIS_RESOURCE_ONLY_COMMAND`` / ``config.redis.resource_only_command``
    ``false`` puts the whole ``redis.raw_command`` in the resource instead of the
    command name (default ``true``). Keep it on unless you are sure the arguments
    hold nothing sensitive: resources are not obfuscated.
``DD_TRACE_REDIS_ENABLED``
    ``false`` leaves redis-py untraced.

To name the service of one client (its pipelines follow)::

    import redis
    from ddtrace.trace import Pin

    cache = redis.Redis(host="cache.internal")
    Pin.override(cache, service="sessions-cache")

``Pin.override(redis.Redis, service=...)`` does the same for every client.
"""
