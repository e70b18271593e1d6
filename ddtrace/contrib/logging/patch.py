"""Adds trace correlation ids to ``logging`` records (``DD_LOGS_INJECTION=true``)."""
from __future__ import annotations

import threading

from ddtrace.contrib._integration import Integration
from ddtrace.internal.logger import report_internal_error
from ddtrace.settings import config

integration = Integration("logging")
patch, unpatch, get_version = integration.patch, integration.unpatch, integration.version

_local = threading.local()

#: Record attributes set on every record, in ``%(dd.trace_id)s`` form.
RECORD_ATTRS = ("dd.trace_id", "dd.span_id", "dd.service", "dd.env", "dd.version")


class DDLogAttributes(dict):
    """The ``dd`` attribute of a record: ``{dd.trace_id}`` in ``{}``-style formats
    reads ``record.dd.trace_id``. A dict, so JSON formatters serialise it as one."""

    __slots__ = ()

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@integration.on_import("logging")
def _patch(module):
    """Add ``dd.trace_id``, ``dd.span_id``, ``dd.service``, ``dd.env`` and
    ``dd.version`` to every record made by a ``logging.Logger`` while
    ``DD_LOGS_INJECTION`` (``config._logs_injection``) is on."""
    integration.wrap(module.Logger, "makeRecord", _traced_make_record)


def inject(record, tracer=None):
    """Set the ``dd.*`` attributes on ``record`` (``"0"`` ids outside a span);
    attributes the record already has (``extra=``) are left alone."""
    if tracer is None:
        tracer = integration.tracer()
    values = tracer.get_log_correlation_context()
    d = record.__dict__
    for key, value in values.items():
        d.setdefault("dd." + key, value)
    d.setdefault("dd", DDLogAttributes(values))


def _traced_make_record(wrapped, instance, args, kwargs):
    # After the original: ``extra=`` may not name an attribute the record already
    # has, so ours are added once the user's are in.
    record = wrapped(*args, **kwargs)
    if getattr(_local, "busy", False):
        return record  # a record logged while we inject (config loading, our own errors)
    _local.busy = True
    try:
        if config._logs_injection and integration.config.get("enabled", True):
            inject(record)
    except Exception as e:
        report_internal_error(e, "adding trace ids to a log record")
    finally:
        _local.busy = False
    return record
