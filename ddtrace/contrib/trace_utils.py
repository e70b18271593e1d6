"""Helpers every integration uses to tag spans the Datadog way.

HTTP (server and client spans)
------------------------------

:func:`set_http_meta` records what is known about a request on a span::

    from ddtrace.contrib import trace_utils

    trace_utils.set_http_meta(
        span,
        config.flask,                      # the integration's IntegrationConfig
        method="GET",
        url="https://user:pw@example.com/users/1?token=abc",
        status_code=200,
        route="/users/<int:id>",
        request_headers=request.headers,   # mapping or (name, value) pairs
        response_headers=response.headers,
    )

What it writes, and the rules it applies:

- ``http.method``, ``http.route``, ``http.status_code`` (always a string).
- ``http.url`` without its user-info part (``user:password@`` is never recorded), and
  with the query string kept only when the integration says so
  (``trace_query_string`` / ``DD_HTTP_SERVER_TAG_QUERY_STRING`` /
  ``DD_TRACE_HTTP_CLIENT_TAG_QUERY_STRING``). A kept query string has every match of
  ``DD_TRACE_OBFUSCATION_QUERY_STRING_REGEXP`` replaced by ``<redacted>``: by
  default tokens, passwords, API keys and signatures. An empty value of that
  variable turns redaction off.
- The span is marked as an error when the status code is in
  ``DD_TRACE_HTTP_SERVER_ERROR_STATUSES`` (server spans, default 500-599) or
  ``DD_TRACE_HTTP_CLIENT_ERROR_STATUSES`` (client spans, default 500-599). A span
  is a server span when its type is ``web`` or its ``span.kind`` is ``server``.
- ``http.useragent`` on server spans, from the ``User-Agent`` request header.
- Header tags: the headers named in ``DD_TRACE_HEADER_TAGS`` (and the integration's
  own ``http_header_tags``), matched case-insensitively, as the tag name given there
  or else ``http.request.headers.<header>`` / ``http.response.headers.<header>``.

Distributed tracing on servers
------------------------------

:func:`extract_context` reads the trace context from incoming headers when the
integration's ``distributed_tracing`` is on; server integrations start their span
with it (``tracer.start_span(name, child_of=ctx, activate=True)``).
:func:`activate_distributed_headers` does the same but activates the remote context,
for integrations that start their server span with ``tracer.trace()`` later.

Service names
-------------

:func:`int_service` (server and in-process integrations: ``DD_SERVICE`` is the usual
default) and :func:`ext_service` (clients of an external service, whose spans default
to their own service name such as ``"sqlite"``): the pin's service wins, then the
integration's ``service`` setting (``DD_<INTEGRATION>_SERVICE``), then ``default``.

None of these functions raises: bad input is logged and skipped.
"""
from ddtrace.ext import SPAN_KIND
from ddtrace.ext import SpanKind
from ddtrace.ext import SpanTypes
from ddtrace.ext import http as _http
from ddtrace.ext import net as _net
from ddtrace.internal.logger import get_logger
from ddtrace.internal.logger import report_internal_error
from ddtrace.settings import config

log = get_logger(__name__)

_REDACTED = _http.REDACTED

# (pattern source, compiled pattern or None); rebuilt only when the setting changes.
_query_regexp_cache = (None, None)


def _query_regexp():
    """The compiled obfuscation pattern, or None when redaction is off."""
    global _query_regexp_cache
    source = config._obfuscation_query_string_regexp
    cached_source, compiled = _query_regexp_cache
    if source == cached_source:
        return compiled
    if not source:
        compiled = None
    else:
        from ddtrace.internal.lazy import load

        re = load("re")
        try:
            compiled = re.compile(source)
        except (re.error, TypeError) as e:
            # Recording secrets is worse than a bad setting: fall back to the default pattern.
            DEFAULT_QUERY_STRING_REGEXP = load("ddtrace.settings._env").DEFAULT_QUERY_STRING_REGEXP
            log.error(
                "DD_TRACE_OBFUSCATION_QUERY_STRING_REGEXP is not a valid regular expression (%s); "
                "using the default one",
                e,
            )
            compiled = re.compile(DEFAULT_QUERY_STRING_REGEXP)
    _query_regexp_cache = (source, compiled)
    return compiled


def obfuscate_query_string(query):
    """``query`` with every match of the obfuscation pattern replaced by ``<redacted>``."""
    if not query:
        return query
    regexp = _query_regexp()
    if regexp is None:
        return query
    return regexp.sub(_REDACTED, query)


def strip_userinfo(url):
    """``url`` without ``user:password@`` in its authority part."""
    if "@" not in url:
        return url
    scheme_end = url.find("://")
    start = scheme_end + 3 if scheme_end >= 0 else (2 if url.startswith("//") else -1)
    if start < 0:
        return url
    end = len(url)
    for sep in "/?#":
        i = url.find(sep, start)
        if 0 <= i < end:
            end = i
    at = url.rfind("@", start, end)
    if at < 0:
        return url
    return url[:start] + url[at + 1 :]


def sanitize_url(url, keep_query=True):
    """The ``http.url`` value for ``url``: no user-info, no fragment, and the query
    string obfuscated (``keep_query``) or removed."""
    if isinstance(url, (bytes, bytearray)):
        url = bytes(url).decode("latin-1")
    elif not isinstance(url, str):
        url = str(url)
    url = strip_userinfo(url)
    hash_at = url.find("#")
    if hash_at >= 0:
        url = url[:hash_at]
    q = url.find("?")
    if q < 0:
        return url
    if not keep_query:
        return url[:q]
    return url[: q + 1] + obfuscate_query_string(url[q + 1 :])


def build_url(scheme, host, path, query=None, port=None):
    """``scheme://host[:port]path[?query]``, leaving out the scheme's default port.

    For server integrations, which know the parts rather than the URL. ``host`` may
    already contain a port (a ``Host`` header).
    """
    scheme = scheme or "http"
    host = host or ""
    if port is not None and ":" not in host.rsplit("]", 1)[-1]:
        port = str(port)
        if not ((scheme == "http" and port == "80") or (scheme == "https" and port == "443")):
            host = "%s:%s" % (host, port)
    url = "%s://%s%s" % (scheme, host, path or "/")
    if query:
        url = "%s?%s" % (url, query)
    return url


def normalize_header_name(name):
    """A header name as it appears in derived tag names: lowercase, and every
    character other than letters, digits, ``-`` and ``_`` replaced by ``_``."""
    name = name.strip().lower()
    if name.replace("-", "").replace("_", "").isalnum() and name.isascii():
        return name
    return "".join(c if (c.isascii() and c.isalnum()) or c in "-_" else "_" for c in name)


def _as_str(value):
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("latin-1")
    return str(value)


def headers_to_dict(headers):
    """``{lowercase name: value}`` from a mapping, a list of ``(name, value)`` pairs
    (str or bytes, as in ASGI) or anything with ``items()``; repeated headers are
    joined with ``,``."""
    if headers is None:
        return {}
    items = headers.items() if hasattr(headers, "items") else headers
    result = {}
    for name, value in items:
        key = _as_str(name).lower()
        value = _as_str(value)
        if key in result:
            result[key] = result[key] + "," + value
        else:
            result[key] = value
    return result


def _integration_header_tags(integration_config):
    getter = getattr(integration_config, "header_tags", None)
    if getter is not None:
        return getter()
    return config.http_header_tags


def set_header_tags(span, headers, header_tags, prefix):
    """Tag ``span`` with the ``headers`` named in ``header_tags`` (``{lowercase header:
    tag name}``, see ``IntegrationConfig.header_tags``); an empty tag name is derived
    as ``<prefix>.<header>``."""
    values = headers_to_dict(headers)
    if not values:
        return
    for header, tag in header_tags.items():
        value = values.get(header)
        if value is None:
            continue
        if not tag:
            tag = "%s.%s" % (prefix, normalize_header_name(header))
        span.set_tag_str(tag, value)


def set_http_meta(
    span,
    integration_config,
    method=None,
    url=None,
    target_host=None,
    server_address=None,
    status_code=None,
    status_msg=None,
    query=None,
    parsed_query=None,
    request_headers=None,
    response_headers=None,
    retries_remain=None,
    raw_uri=None,
    request_cookies=None,
    request_path_params=None,
    request_body=None,
    peer_ip=None,
    headers_are_case_sensitive=False,
    route=None,
    response_cookies=None,
):
    """Record an HTTP request's method, URL, status, route and headers on ``span``.

    :param span: the server or client span of the request.
    :param integration_config: the integration's ``config.<name>`` (for
        ``trace_query_string`` and its own header tags); None uses the global settings.
    :param method: ``"GET"``...
    :param url: the full URL; user-info is removed and the query string obfuscated
        (or dropped, see the module documentation).
    :param target_host: the host a client connected to (``out.host``).
    :param server_address: the server's logical address (``server.address``).
    :param status_code: the response status (int or numeric string; a WSGI status
        line such as ``"404 Not Found"`` works too).
    :param query: the query string, when ``url`` does not carry it; it is appended
        to ``url`` under the same rules.
    :param request_headers: request headers: a mapping, or ``(name, value)`` pairs.
    :param response_headers: response headers, likewise.
    :param retries_remain: retries the client has left (``http.retries_remain``).
    :param route: the matched route template (``http.route``).

    The remaining parameters are accepted for compatibility and ignored. Nothing is
    raised: an error while tagging is reported and the span is left as it is.
    """
    try:
        server = _is_server(span)
        if method is not None:
            span.set_tag_str(_http.METHOD, method if type(method) is str else _as_str(method))
        if url is not None:
            url = url if type(url) is str else _as_str(url)
            if query and "?" not in url:
                url = "%s?%s" % (url, _as_str(query))
            # Whether to keep the query string matters only when there is one.
            keep_query = True
            if "?" in url:
                keep_query = _tag_query_string(integration_config, server)
            span.set_tag_str(_http.URL, sanitize_url(url, keep_query))
        if target_host is not None:
            span.set_tag_str(_net.TARGET_HOST, _as_str(target_host))
        if server_address is not None:
            span.set_tag_str(_net.SERVER_ADDRESS, _as_str(server_address))
        if route is not None:
            span.set_tag_str(_http.ROUTE, _as_str(route))
        if status_code is not None:
            code = parse_status_code(status_code)
            if code is None:
                log.debug("span %r: HTTP status %r is not a number; not recorded", span.name, status_code)
            else:
                span.set_tag_str(_http.STATUS_CODE, str(code))
                errors = config._http_server_error_statuses if server else config._http_client_error_statuses
                if code in errors:
                    span.error = 1
        if status_msg is not None:
            span.set_tag_str(_http.STATUS_MSG, _as_str(status_msg))
        if retries_remain is not None:
            span.set_metric(_http.RETRIES_REMAIN, int(retries_remain))

        if request_headers is not None or response_headers is not None:
            header_tags = _integration_header_tags(integration_config)
            if request_headers is not None:
                if server:
                    request_headers = _materialize(request_headers)
                    user_agent = _find_header(request_headers, "user-agent")
                    if user_agent:
                        span.set_tag_str(_http.USER_AGENT, user_agent)
                if header_tags:
                    set_header_tags(span, request_headers, header_tags, _http.REQUEST_HEADERS)
            if response_headers is not None and header_tags:
                set_header_tags(span, response_headers, header_tags, _http.RESPONSE_HEADERS)
    except Exception as e:
        report_internal_error(e, "tagging an HTTP span")


def _is_server(span):
    return span.span_type == SpanTypes.WEB or span._meta.get(SPAN_KIND) == SpanKind.SERVER


def _tag_query_string(integration_config, server):
    getter = getattr(integration_config, "tag_query_string", None)
    if getter is not None:
        return getter(server)
    return config._http_server_tag_query_string if server else config._http_client_tag_query_string


def _materialize(headers):
    # A one-shot iterator of pairs must survive being read twice.
    if hasattr(headers, "items") or isinstance(headers, (list, tuple)):
        return headers
    return list(headers)


def _find_header(headers, name):
    """The value of header ``name`` (lowercase) in ``headers``, or None."""
    get = getattr(headers, "get", None)
    if get is not None:
        value = get(name)
        if value is not None:
            return _as_str(value)
        if getattr(headers, "case_insensitive", False):
            return None
        # Plain dicts are case-sensitive: look at every key.
        items = headers.items() if hasattr(headers, "items") else ()
    else:
        items = headers
    for k, v in items:
        if _as_str(k).lower() == name:
            return _as_str(v)
    return None


def parse_status_code(status):
    """The integer HTTP status of ``status`` (int, ``"404"``, ``"404 Not Found"``, bytes),
    or None when it is not one."""
    if isinstance(status, int) and not isinstance(status, bool):
        return status
    if type(status) is str and (len(status) == 3 or status[3:4] == " "):
        head = status[:3]
        if head.isascii() and head.isdigit():
            return int(head)  # the usual WSGI status line, "200 OK"
    try:
        text = _as_str(status).strip()
        digits = text.split(None, 1)[0] if text else ""
        return int(digits, 10) if digits.isdigit() else None
    except Exception:
        return None


# ---------------------------------------------------------------- distributed tracing


def _distributed_tracing_enabled(int_config, override=None):
    if override is not None:
        return bool(override)
    if int_config is None:
        return True
    value = int_config.get("distributed_tracing", True) if hasattr(int_config, "get") else True
    return True if value is None else bool(value)


def distributed_tracing_enabled(int_config, default=False):
    """Whether the integration's ``distributed_tracing`` setting is on (``default`` if unset)."""
    value = int_config.get("distributed_tracing") if int_config is not None and hasattr(int_config, "get") else None
    return default if value is None else bool(value)


def extract_context(int_config, request_headers, override=None):
    """The remote trace context in ``request_headers``, or None.

    None too when the integration's ``distributed_tracing`` is off (``override``, if
    not None, decides instead) or the headers name no trace. Baggage-only headers
    still give a Context, so the baggage reaches the server span.
    """
    if request_headers is None or not _distributed_tracing_enabled(int_config, override):
        return None
    try:
        from ddtrace.internal.lazy import load

        ctx = load("ddtrace.propagation.http").HTTPPropagator.extract(request_headers)
    except Exception as e:
        report_internal_error(e, "extracting distributed tracing headers")
        return None
    if ctx is None:
        return None
    if ctx.trace_id is None and not ctx._baggage:
        return None
    return ctx


def activate_distributed_headers(tracer, int_config=None, request_headers=None, override=None):
    """Make the remote trace in ``request_headers`` the active context of ``tracer``.

    The next ``tracer.trace()`` then continues that trace. Nothing happens when the
    integration's ``distributed_tracing`` is off (``override``, if not None, decides
    instead), when the headers carry no trace, or when that trace is already the active
    one. Returns the activated Context, or None.
    """
    ctx = extract_context(int_config, request_headers, override)
    if ctx is None or ctx.trace_id is None:
        return None
    try:
        current = tracer.current_trace_context()
        if current is not None and current.trace_id == ctx.trace_id and current.span_id == ctx.span_id:
            return None
        tracer.context_provider.activate(ctx)
        return ctx
    except Exception as e:
        report_internal_error(e, "activating a distributed trace context")
        return None


# ---------------------------------------------------------------- wrapping (compatibility)


def wrap(mod_or_cls, name, wrapper):
    """Replace ``mod_or_cls.name`` with a wrapt wrapper calling
    ``wrapper(wrapped, instance, args, kwargs)``. Integrations in this package use
    :class:`ddtrace.contrib._integration.Integration` instead, which can undo it."""
    from ddtrace.internal.lazy import load

    return load("wrapt").wrap_function_wrapper(mod_or_cls, name, wrapper)


def iswrapped(obj, attr=None):
    """Whether ``obj`` (or ``obj.attr``) is a wrapt wrapper."""
    if attr is not None:
        obj = getattr(obj, attr, None)
    return hasattr(obj, "__wrapped__") and type(obj).__name__ in ("FunctionWrapper", "BoundFunctionWrapper")


def unwrap(obj, attr):
    """Put back what :func:`wrap` replaced on ``obj.attr`` (no-op if not wrapped)."""
    # From the owner's dict: going through getattr would bind a method and lose a
    # staticmethod/classmethod descriptor.
    d = getattr(obj, "__dict__", None)
    current = d.get(attr) if d is not None and attr in d else getattr(obj, attr, None)
    if iswrapped(current):
        setattr(obj, attr, current.__wrapped__)


# ---------------------------------------------------------------- service names


def int_service(pin, int_config, default=None):
    """Service name for a span of an in-process or server integration.

    The pin's service, then the integration's ``service`` (or legacy ``service_name``)
    setting, then ``default`` (usually ``config.service``, i.e. ``DD_SERVICE``).
    """
    if pin is not None and pin.service:
        return pin.service
    if int_config is not None:
        get = getattr(int_config, "get", None)
        if get is not None:
            service = get("service") or get("service_name")
            if service:
                return service
    return default


def ext_service(pin, int_config, default=None):
    """Service name for a client span of an external service (database, cache, API).

    The pin's service, then the integration's ``service`` setting, then ``default``
    (the integration's own name, such as ``"sqlite"`` or ``"redis"``).
    """
    return int_service(pin, int_config, default)


__all__ = [
    "set_http_meta",
    "sanitize_url",
    "strip_userinfo",
    "obfuscate_query_string",
    "build_url",
    "headers_to_dict",
    "normalize_header_name",
    "parse_status_code",
    "extract_context",
    "activate_distributed_headers",
    "distributed_tracing_enabled",
    "int_service",
    "ext_service",
    "wrap",
    "unwrap",
    "iswrapped",
]
