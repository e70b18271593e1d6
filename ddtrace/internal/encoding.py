"""Trace payload encoders for the Datadog Agent's ``/v0.4/traces`` and ``/v0.5/traces``.

``create_encoder()`` returns a buffer that traces are encoded into as they finish
(``put``) and that the writer empties into one msgpack payload (``encode``)::

    encoder = create_encoder("v0.5", max_size=20 << 20, max_item_size=20 << 20)
    encoder.put(spans)                # may raise BufferFull / BufferItemTooLarge
    payload, n_traces = encoder.encode()

The compiled implementation (``ddtrace.internal._encoding``) is used; the pure-Python
one (``ddtrace.internal._encoding_py``, byte-for-byte identical output) only when the
extension cannot be imported. ``put`` and ``encode`` may be called from different
threads. In a forked child call ``encoder._after_fork()`` before using it.

How values are sent:

- ``trace_id``: its low 64 bits (the high half travels in meta ``_dd.p.tid``, as the
  trace aggregator set it); anything that is not an integer is sent as 0.
- ``duration``: ns, 0 while the span is unfinished or when it is not an int64.
- ``service``, ``name``, ``resource``: a non-string goes through ``str()``; ``None`` (or
  a failing ``str()``) is sent as ``""``. ``type`` is left out in v0.4 and ``""`` in
  v0.5 when ``None``.
- ``meta``: keys and values that are not strings go through ``str()``; a pair whose
  ``str()`` fails is dropped. ``metrics``: keys likewise; ``int`` values within
  ``[-2**63, 2**64 - 1]`` and finite ``float`` values are sent as they are, ``bool``
  and other ``int`` subclasses as ``int``, anything else through ``float()``; values
  that are out of range, not finite, or fail ``float()`` are dropped.
- Every string longer than 25,000 characters (code points) is cut to its first
  24,997 characters followed by ``"..."``. Lone surrogates (not encodable as UTF-8)
  are each replaced by ``"?"``, so a payload is always valid UTF-8.
- Span links: v0.4 sends them in the span's ``span_links`` field (``trace_id`` low
  64 bits, ``trace_id_high``, ``span_id``, ``attributes``, ``tracestate``, ``flags``
  with bit 31 set when flags are known); v0.5 has no such field and sends them as
  JSON in meta ``_dd.span_links`` (replacing any value already there).
- An empty trace is ignored by ``put``.
"""
from ddtrace.internal._encoding_py import CONTENT_TYPE  # noqa: F401
from ddtrace.internal._encoding_py import MAX_STRING_LENGTH  # noqa: F401
from ddtrace.internal._encoding_py import BufferFull
from ddtrace.internal._encoding_py import BufferItemTooLarge
from ddtrace.internal._encoding_py import EncoderReentered
from ddtrace.internal.logger import get_logger

log = get_logger(__name__)

__all__ = ["BufferFull", "BufferItemTooLarge", "EncoderReentered", "create_encoder", "ENCODER_IMPLEMENTATION"]

try:
    from ddtrace.internal import _encoding as _impl

    _impl.MsgpackEncoderV04, _impl.MsgpackEncoderV05  # an outdated build lacks them
    ENCODER_IMPLEMENTATION = "cython"
except Exception as e:  # a broken or missing build must not take tracing down
    log.debug("compiled trace encoder unavailable (%r); using the pure-Python one", e)
    from ddtrace.internal import _encoding_py as _impl

    ENCODER_IMPLEMENTATION = "python"

_ENCODERS = {
    "v0.4": _impl.MsgpackEncoderV04,
    "v0.5": _impl.MsgpackEncoderV05,
}


def create_encoder(api_version="v0.5", max_size=20 << 20, max_item_size=20 << 20):
    """A new trace encoder for the agent API ``api_version`` (``"v0.4"`` or ``"v0.5"``).

    :param max_size: most bytes one payload may hold; ``put`` raises :class:`BufferFull`
        beyond it.
    :param max_item_size: most bytes one trace may take; ``put`` raises
        :class:`BufferItemTooLarge` beyond it.
    :raises ValueError: for an unknown ``api_version``.
    """
    cls = _ENCODERS.get(api_version)
    if cls is None:
        raise ValueError("unknown trace API version %r (expected 'v0.4' or 'v0.5')" % (api_version,))
    return cls(int(max_size), int(max_item_size))
