"""Redis commands as span data: the resource, ``redis.raw_command`` and row counts.

Shared by every Redis client integration (redis-py sync, asyncio and cluster, and
redis-py-cluster). Everything here runs once per traced command, so it avoids regular
expressions and never converts more of an argument than it may keep.
"""
from __future__ import annotations

#: Span name of every Redis command and pipeline.
SPAN_NAME = "redis.command"

# Tag names (Datadog's).
RAW_COMMAND = "redis.raw_command"
ARGS_LENGTH = "redis.args_length"
PIPELINE_LENGTH = "redis.pipeline_length"
DB_INDEX = "out.redis_db"
ROW_COUNT = "db.row_count"

#: Characters kept of one argument before it is cut with ``...``.
ARG_MAX_LENGTH = 100
#: Default bound of ``redis.raw_command`` (``DD_REDIS_CMD_MAX_LENGTH``): characters of
#: the arguments, separators not counted, before the command is cut with ``...``.
CMD_MAX_LENGTH = 1000
#: A pipeline's ``redis.raw_command`` (one command per line) stops past this many
#: characters: the agent would cut a longer tag value anyway.
PIPELINE_RAW_MAX_LENGTH = 25000
#: A pipeline's resource (one command name per line) stops past this many characters,
#: the agent's own limit for resources.
PIPELINE_RESOURCE_MAX_LENGTH = 5000

_ELLIPSIS = "..."
# Enough bytes to hold ARG_MAX_LENGTH + 1 characters of UTF-8 (4 bytes at most each).
_BYTES_PREFIX = (ARG_MAX_LENGTH + 1) * 4

#: Commands that read values: their spans get ``db.row_count`` (how many of the
#: requested values came back; 0 or 1 for a single key).
ROW_COMMANDS = frozenset(
    (
        "GET",
        "GETDEL",
        "GETEX",
        "GETRANGE",
        "GETSET",
        "HGET",
        "HGETALL",
        "HKEYS",
        "HMGET",
        "HRANDFIELD",
        "HVALS",
        "LINDEX",
        "LPOP",
        "LRANGE",
        "MGET",
        "RPOP",
    )
)


def _bytes_text(value):
    # Decode only the prefix that can be kept; undecodable bytes show as \xNN.
    if len(value) > ARG_MAX_LENGTH:
        text = bytes(value[:_BYTES_PREFIX]).decode("utf-8", "backslashreplace")
        if len(text) > ARG_MAX_LENGTH:
            return text[:ARG_MAX_LENGTH] + _ELLIPSIS
        return text
    return bytes(value).decode("utf-8", "backslashreplace")


def _other_text(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            return _bytes_text(value)
        except Exception:
            pass
    try:
        text = str(value)
    except Exception:  # a user object whose __str__ fails, an int too long to print
        text = "?"
    if len(text) > ARG_MAX_LENGTH:
        return text[:ARG_MAX_LENGTH] + _ELLIPSIS
    return text


def arg_text(value):
    """One command argument as it appears in ``redis.raw_command``: text as is, bytes
    decoded as UTF-8 (``\\xNN`` for what is not), numbers in decimal; cut to 100
    characters followed by ``...``."""
    cls = type(value)
    if cls is str:
        if len(value) > ARG_MAX_LENGTH:
            return value[:ARG_MAX_LENGTH] + _ELLIPSIS
        return value
    if cls is bytes:
        return _bytes_text(value)
    if cls is int or cls is float:
        try:
            return str(value)
        except ValueError:  # more digits than int -> str allows
            return "?"
    return _other_text(value)


def format_command(args, max_length=CMD_MAX_LENGTH):
    """``redis.raw_command`` for one command: its arguments joined by spaces.

    Each argument is cut to 100 characters (plus ``...``); once the arguments add up to
    more than ``max_length`` characters the command is cut there and ends with ``...``.
    """
    parts = []
    room = max_length
    for arg in args:
        # Short text, the usual argument, skips the call.
        if type(arg) is str and len(arg) <= ARG_MAX_LENGTH:
            text = arg
        else:
            text = arg_text(arg)
        n = len(text)
        if n > room:
            parts.append(text[:room] + _ELLIPSIS)
            break
        room -= n
        parts.append(text)
    return " ".join(parts)


def command_name(args):
    """The resource of a command: its name as sent, first word only (``CLUSTER SLOTS``
    is sent as one argument and gives ``CLUSTER``)."""
    if not args:
        return None
    name = args[0]
    cls = type(name)
    if cls is not str:
        if cls is bytes:
            name = name.decode("utf-8", "backslashreplace")
        else:
            name = arg_text(name)
    if " " in name:
        name = name.partition(" ")[0]
    return name


def row_count(name, result):
    """``db.row_count`` of a read command's result, or None for other commands."""
    if name not in ROW_COMMANDS:
        return None
    if result is None:
        return 0
    if name == "MGET":
        try:
            return sum(1 for value in result if value is not None)
        except TypeError:
            return 1
    if isinstance(result, (list, tuple, dict, set)):
        return 1 if result else 0
    return 1


def stack_args(item):
    """The arguments of one queued pipeline command: redis-py queues ``(args, options)``
    pairs; its cluster pipelines queue objects with an ``args`` attribute."""
    if type(item) is tuple:
        return item[0]
    args = getattr(item, "args", None)
    if args is None:
        try:
            return item[0]
        except Exception:
            return ()
    return args


def format_pipeline(stack, max_length=CMD_MAX_LENGTH, resource_only_command=True):
    """``(resource, raw_command, length)`` of a pipeline's queued commands.

    The resource is the command names one per line (``SET\\nGET``), or the raw
    commands with ``resource_only_command`` off; ``raw_command`` is each command
    formatted as by :func:`format_command`, one per line. Both are bounded (see
    :data:`PIPELINE_RESOURCE_MAX_LENGTH` and :data:`PIPELINE_RAW_MAX_LENGTH`).
    """
    names = []
    names_size = 0
    names_full = False
    lines = []
    lines_size = 0
    lines_full = False
    for item in stack:
        args = stack_args(item)
        if not names_full:
            name = command_name(args) or ""
            names_size += len(name) + 1
            if names_size > PIPELINE_RESOURCE_MAX_LENGTH:
                names.append(_ELLIPSIS)
                names_full = True
            else:
                names.append(name)
        if not lines_full:
            line = format_command(args, max_length)
            lines_size += len(line) + 1
            if lines_size > PIPELINE_RAW_MAX_LENGTH:
                lines.append(_ELLIPSIS)
                lines_full = True
            else:
                lines.append(line)
        elif names_full:
            break
    raw = "\n".join(lines)
    resource = "\n".join(names) if resource_only_command else raw
    return resource, raw, len(stack)
