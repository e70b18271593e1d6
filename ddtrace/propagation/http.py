"""Distributed tracing over HTTP: carry a trace across services in request headers.

The client side calls :meth:`HTTPPropagator.inject` on its outgoing headers; the
server side calls :meth:`HTTPPropagator.extract` on the incoming ones and starts its
spans as children of the returned :class:`~ddtrace.trace.Context`::

    from ddtrace.propagation.http import HTTPPropagator
    from ddtrace.trace import tracer

    # client
    with tracer.trace("http.request") as span:
        headers = {}
        HTTPPropagator.inject(span, headers)
        send(url, headers=headers)

    # server
    context = HTTPPropagator.extract(request.headers)
    with tracer.start_span("web.request", child_of=context, activate=True):
        ...

Header styles are chosen with ``DD_TRACE_PROPAGATION_STYLE`` (both directions),
``DD_TRACE_PROPAGATION_STYLE_EXTRACT`` and ``DD_TRACE_PROPAGATION_STYLE_INJECT``:
a comma-separated list of ``datadog``, ``tracecontext`` (W3C), ``b3multi``, ``b3``
(single header; ``b3 single header`` is accepted too), ``baggage`` (W3C) and ``none``.
The default is ``datadog,tracecontext,baggage``.

Malformed headers never raise: they are ignored (logged at debug level).
"""
from ddtrace.internal.logger import report_internal_error
from ddtrace.propagation import _b3
from ddtrace.propagation import _baggage
from ddtrace.propagation import _datadog
from ddtrace.propagation import _tracecontext
from ddtrace.propagation._utils import LAST_PARENT_ID_KEY
from ddtrace.propagation._utils import TRACESTATE_KEY
from ddtrace.propagation._utils import collect_headers
from ddtrace.propagation._utils import context_priority
from ddtrace.propagation._utils import log
from ddtrace.propagation._utils import same_trace
from ddtrace.propagation._utils import valid_span_id
from ddtrace.propagation._utils import valid_trace_id
from ddtrace.settings import config
from ddtrace.trace._span import Context
from ddtrace.trace._span import Span
from ddtrace.trace.links import SpanLink

# Header names, as the PyPI tracer exposes them for integrations.
HTTP_HEADER_TRACE_ID = _datadog.TRACE_ID
HTTP_HEADER_PARENT_ID = _datadog.PARENT_ID
HTTP_HEADER_SAMPLING_PRIORITY = _datadog.SAMPLING_PRIORITY
HTTP_HEADER_ORIGIN = _datadog.ORIGIN
HTTP_HEADER_TAGS = _datadog.TAGS
HTTP_HEADER_TRACEPARENT = _tracecontext.TRACEPARENT
HTTP_HEADER_TRACESTATE = _tracecontext.TRACESTATE

PROPAGATION_STYLE_DATADOG = "datadog"
PROPAGATION_STYLE_TRACECONTEXT = "tracecontext"
PROPAGATION_STYLE_B3_MULTI = "b3multi"
PROPAGATION_STYLE_B3_SINGLE = "b3"
PROPAGATION_STYLE_BAGGAGE = "baggage"
PROPAGATION_STYLE_NONE = "none"

_STYLE_NAMES = {
    "datadog": PROPAGATION_STYLE_DATADOG,
    "tracecontext": PROPAGATION_STYLE_TRACECONTEXT,
    "b3multi": PROPAGATION_STYLE_B3_MULTI,
    "b3": PROPAGATION_STYLE_B3_SINGLE,
    "b3 single header": PROPAGATION_STYLE_B3_SINGLE,
    "baggage": PROPAGATION_STYLE_BAGGAGE,
    "none": None,
}

_EXTRACTORS = {
    PROPAGATION_STYLE_DATADOG: _datadog.extract,
    PROPAGATION_STYLE_TRACECONTEXT: _tracecontext.extract,
    PROPAGATION_STYLE_B3_MULTI: _b3.extract_multi,
    PROPAGATION_STYLE_B3_SINGLE: _b3.extract_single,
}

_INJECTORS = {
    PROPAGATION_STYLE_DATADOG: _datadog.inject,
    PROPAGATION_STYLE_TRACECONTEXT: _tracecontext.inject,
    PROPAGATION_STYLE_B3_MULTI: _b3.inject_multi,
    PROPAGATION_STYLE_B3_SINGLE: _b3.inject_single,
}

_styles_cache = {}
_warned_styles = set()


def _parse_styles(names):
    if isinstance(names, str):
        names = names.split(",")
    words = [" ".join(str(n).lower().split()) for n in names]
    styles = []
    i = 0
    while i < len(words):
        word = words[i]
        # "b3 single header" split on spaces by a loader is still the b3 single style.
        if word == "b3" and words[i + 1 : i + 3] == ["single", "header"]:
            i += 2
        i += 1
        if word not in _STYLE_NAMES:
            if word and word not in _warned_styles:
                _warned_styles.add(word)
                log.warning(
                    "unknown trace propagation style %r ignored"
                    " (known: datadog, tracecontext, b3multi, b3, baggage, none)",
                    word,
                )
            continue
        style = _STYLE_NAMES[word]
        if style is not None and style not in styles:
            styles.append(style)
    return tuple(styles)


def _styles(names):
    """The configured style list as a tuple of known style names (parsed once per value)."""
    if not names:
        return ()
    try:
        key = names if isinstance(names, str) else tuple(names)
        styles = _styles_cache.get(key)
    except TypeError:  # unhashable items: parse without caching
        return _parse_styles(names)
    if styles is None:
        styles = _parse_styles(key)
        if len(_styles_cache) > 64:
            _styles_cache.clear()
        _styles_cache[key] = styles
    return styles


def _resolve(found):
    """One Context from those several styles extracted, the first style winning."""
    primary_style, primary = found[0]
    links = []
    for style, ctx in found[1:]:
        if same_trace(primary.trace_id, ctx.trace_id):
            if ctx.trace_id > primary.trace_id:
                # The other side knew the high 64 bits (x-datadog-tags may have been dropped).
                primary.trace_id = ctx.trace_id
            if style == PROPAGATION_STYLE_TRACECONTEXT:
                state = ctx._meta.get(TRACESTATE_KEY)
                if state:
                    primary._meta[TRACESTATE_KEY] = state
                if primary_style == PROPAGATION_STYLE_DATADOG and ctx.span_id != primary.span_id:
                    # A W3C-only proxy between us and the Datadog caller: parent on the proxy's
                    # span, and keep the last Datadog span id so the backend can reparent.
                    last_dd = ctx._meta.get(LAST_PARENT_ID_KEY)
                    if last_dd is None and primary.span_id:
                        last_dd = "%016x" % primary.span_id
                    if last_dd is not None:
                        primary._meta[LAST_PARENT_ID_KEY] = last_dd
                    primary.span_id = ctx.span_id
        elif ctx.span_id is not None:
            priority = ctx.sampling_priority
            links.append(
                SpanLink(
                    ctx.trace_id,
                    ctx.span_id,
                    tracestate=ctx._meta.get(TRACESTATE_KEY) if style == PROPAGATION_STYLE_TRACECONTEXT else None,
                    flags=None if priority is None else (1 if priority > 0 else 0),
                    attributes={"reason": "terminated_context", "context_headers": style},
                )
            )
    if links:
        primary._span_links = links
    return primary


class HTTPPropagator:
    """Reads and writes trace context in HTTP headers (or any str→str carrier)."""

    @staticmethod
    def inject(context_or_span, headers, non_active_span=None):
        """Write the trace context into ``headers`` (a mutable mapping), in every inject style.

        :param context_or_span: the :class:`~ddtrace.trace.Span` making the outgoing call
            (preferred), or a :class:`~ddtrace.trace.Context`.
        :param headers: the outgoing headers; updated in place.
        :param non_active_span: with a Context, the span it belongs to, if known.

        Given a span, its trace's sampling decision is made first if it is still open,
        so every downstream service agrees with it; the span becomes the remote parent.
        Given a bare Context it is sent as it is, and errors that belong on the local
        root span (``_dd.propagation_error`` when ``x-datadog-tags`` is too long) are only
        logged at debug level: pass the span to have them recorded.
        """
        try:
            span = None
            if isinstance(context_or_span, Span):
                span = context_or_span
                ctx = span.context
            elif isinstance(context_or_span, Context):
                ctx = context_or_span
                if isinstance(non_active_span, Span):
                    span = non_active_span
            else:
                log.debug("inject() needs a Span or a Context, not %r; nothing injected", type(context_or_span))
                return
            if span is not None:
                try:
                    span._sample_if_undecided()
                except Exception as e:
                    report_internal_error(e, "making the sampling decision before propagating a trace")
            styles = _styles(config._propagation_style_inject)
            if not styles:
                return
            trace_id = ctx.trace_id
            span_id = ctx.span_id
            if not valid_trace_id(trace_id):
                trace_id = None
            if not valid_span_id(span_id):
                span_id = None
            priority = context_priority(ctx)
            for style in styles:
                if style == PROPAGATION_STYLE_BAGGAGE:
                    _baggage.inject(ctx, headers)
                elif trace_id is not None:
                    _INJECTORS[style](ctx, trace_id, span_id, priority, headers, span)
                else:
                    log.debug("%s headers not sent: the context has no valid trace id (%r)", style, ctx.trace_id)
        except Exception as e:
            report_internal_error(e, "injecting trace context into headers")

    @staticmethod
    def extract(headers):
        """The remote :class:`~ddtrace.trace.Context` described by ``headers``.

        :param headers: any mapping of header names to str values; names match
            case-insensitively, WSGI ``environ`` keys (``HTTP_X_DATADOG_TRACE_ID``) too.

        Styles are tried in the configured order. The first one that yields a trace id
        wins; with ``DD_TRACE_PROPAGATION_EXTRACT_FIRST`` the others are not read. A later
        style naming a different trace becomes a span link (reason
        ``terminated_context``) on the spans started from the context. When no style
        yields a trace, the result is an empty Context, still carrying the baggage.
        """
        try:
            found_headers = collect_headers(headers)
        except Exception as e:
            log.debug("trace context not extracted: reading the headers failed (%r)", e)
            return Context()
        if not found_headers:
            return Context()
        try:
            styles = _styles(config._propagation_style_extract)
            first_only = bool(config._propagation_extract_first)
            found = []
            baggage = None
            for style in styles:
                if style == PROPAGATION_STYLE_BAGGAGE:
                    baggage = _baggage.extract(found_headers)
                elif not (first_only and found):
                    ctx = _EXTRACTORS[style](found_headers)
                    if ctx is not None:
                        found.append((style, ctx))
            context = _resolve(found) if found else Context()
            if baggage:
                context._baggage.update(baggage)
            return context
        except Exception as e:
            report_internal_error(e, "extracting trace context from headers")
            return Context()
