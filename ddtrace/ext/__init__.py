"""Names shared by the tracer and its integrations: span types, span kinds, common tags.

Span types (``span.span_type``) tell the Datadog UI how to show an operation; span
kinds (the ``span.kind`` tag) say which side of a call a span is on. The tag-name
modules hold the keys integrations write:

- :mod:`ddtrace.ext.http`: ``http.method``, ``http.url``, ``http.status_code``...
- :mod:`ddtrace.ext.net`: ``out.host``, ``network.destination.port``, ``server.address``...
- :mod:`ddtrace.ext.db` and :mod:`ddtrace.ext.sql`: ``db.system``, ``db.name``, ``db.row_count``...

Everything here is a plain string constant, so importing it costs nothing.
"""


class SpanTypes:
    """Values for ``span.span_type`` (the ``type`` field the agent receives)."""

    AUTH = "auth"
    CACHE = "cache"
    CASSANDRA = "cassandra"
    ELASTICSEARCH = "elasticsearch"
    GRAPHQL = "graphql"
    GRPC = "grpc"
    HTTP = "http"
    LLM = "llm"
    MEMCACHED = "memcached"
    MONGODB = "mongodb"
    REDIS = "redis"
    SERVERLESS = "serverless"
    SQL = "sql"
    TEMPLATE = "template"
    TEST = "test"
    VALKEY = "valkey"
    WEB = "web"
    WORKER = "worker"


class SpanKind:
    """Values for the ``span.kind`` tag."""

    CLIENT = "client"
    SERVER = "server"
    PRODUCER = "producer"
    CONSUMER = "consumer"
    INTERNAL = "internal"


#: Tag naming the integration that made the span (``flask``, ``sqlite``...).
COMPONENT = "component"
#: Tag holding one of the :class:`SpanKind` values.
SPAN_KIND = "span.kind"

__all__ = ["SpanTypes", "SpanKind", "COMPONENT", "SPAN_KIND"]
