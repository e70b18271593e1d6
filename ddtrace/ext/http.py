"""Tag names of HTTP spans, server and client alike."""

#: Span type of HTTP client spans (server spans use ``web``).
TYPE = "http"

METHOD = "http.method"
URL = "http.url"
STATUS_CODE = "http.status_code"
STATUS_MSG = "http.status_msg"
ROUTE = "http.route"
USER_AGENT = "http.useragent"
#: The query string, when recorded separately from ``http.url``.
QUERY_STRING = "http.query.string"
#: The client's address as the server saw it (with client IP collection on).
CLIENT_IP = "http.client_ip"
#: ``1.0``, ``1.1``, ``2``...
VERSION = "http.version"
RETRIES_REMAIN = "http.retries_remain"

#: Prefix of request header tags: ``http.request.headers.<lowercase header>``.
REQUEST_HEADERS = "http.request.headers"
#: Prefix of response header tags: ``http.response.headers.<lowercase header>``.
RESPONSE_HEADERS = "http.response.headers"

#: Redacted text put in place of sensitive query-string parts.
REDACTED = "<redacted>"
