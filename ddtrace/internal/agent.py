"""A small HTTP client for the Datadog Agent, over TCP (``http://``, ``https://``) or a
Unix domain socket (``unix:///path/to/apm.socket``).

It is used from the writer's thread only (and from whoever calls ``flush``), so
``http.client``, ``socket`` and ``urllib.parse`` are imported on first use, never when
``ddtrace`` is imported. One :class:`AgentConnection` keeps one keep-alive connection
open between requests and reconnects after any failure.
"""
from __future__ import annotations

import sys
import time

from ddtrace.internal import lazy

_INTERPRETERS = {"cpython": "CPython", "pypy": "PyPy", "graalpy": "GraalPy"}


def base_headers():
    """Headers sent with every trace payload (without the per-payload ones)."""
    from ddtrace.version import __version__

    impl = sys.implementation.name
    return {
        "Datadog-Meta-Lang": "python",
        "Datadog-Meta-Lang-Version": "%d.%d.%d" % sys.version_info[:3],
        "Datadog-Meta-Lang-Interpreter": _INTERPRETERS.get(impl, impl),
        "Datadog-Meta-Tracer-Version": __version__,
        "Datadog-Client-Computed-Top-Level": "yes",
    }


def redact_url(url):
    """``url`` fit for logs and reports: credentials (``http://user:pass@host``) are
    replaced by ``***``. The tracer never sends them anywhere, but a user may have
    written them in ``DD_TRACE_AGENT_URL``."""
    if not isinstance(url, str):
        return url
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    netloc, slash, path = rest.partition("/")
    if "@" not in netloc:
        return url
    return "%s://***@%s%s%s" % (scheme, netloc.rpartition("@")[2], slash, path)


class AgentURL:
    """A parsed agent address.

    :param url: ``http://host:port[/base]``, ``https://...`` or ``unix:///path``
        (``unix:/path`` is accepted too).
    :raises ValueError: when the URL is not one of those.
    """

    __slots__ = ("url", "scheme", "host", "port", "path", "base_path")

    def __init__(self, url):
        urlsplit = lazy.load("urllib.parse").urlsplit
        if not isinstance(url, str) or not url.strip():
            raise ValueError("agent URL must be a non-empty string, got %r" % (url,))
        self.url = url = url.strip()
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        self.scheme = scheme
        self.host = None
        self.port = None
        self.path = None
        self.base_path = ""
        if scheme == "unix":
            # unix:///var/run/x.sock -> netloc "" and path "/var/run/x.sock"; a relative
            # form unix://x.sock puts the name in netloc.
            path = (parts.netloc or "") + (parts.path or "")
            if not path:
                raise ValueError("agent URL %r names no socket path" % (url,))
            self.path = path
        elif scheme in ("http", "https"):
            try:
                host = parts.hostname
                port = parts.port
            except ValueError as e:  # a port that is not a number or out of range
                raise ValueError("invalid agent URL %r: %s" % (url, e))
            if not host:
                raise ValueError("agent URL %r names no host" % (url,))
            self.host = host
            self.port = port if port is not None else (443 if scheme == "https" else 80)
            self.base_path = (parts.path or "").rstrip("/")
        else:
            raise ValueError("unsupported agent URL scheme in %r (expected http, https or unix)" % (url,))

    def __repr__(self):
        return "AgentURL(%r)" % (self.url,)


def _connection_classes():
    """``(http, https, unix)`` connection classes whose requests are bounded as a whole.

    ``http.client`` applies its timeout to each socket operation: an agent that sends
    its headers and then one byte a second would hold the writer for as long as it
    likes. These connections carry a ``deadline`` (set per request, see
    :meth:`AgentConnection._do`); their sockets give every blocking operation only
    the time left before it, and fail once it has passed.
    """
    client = lazy.load("http.client")
    socket = lazy.load("socket")
    monotonic = time.monotonic

    def time_left(conn):
        deadline = conn.deadline
        if deadline is None:
            return None
        left = deadline - monotonic()
        if left <= 0:
            raise socket.timeout("the request to the agent took longer than its timeout")
        return left

    class DeadlineSocket(socket.socket):
        __slots__ = ("_dd_conn",)

        def _bound(self):
            left = time_left(self._dd_conn)
            if left is not None:
                self.settimeout(left)

        def recv_into(self, buffer, nbytes=0, flags=0):
            self._bound()
            return super().recv_into(buffer, nbytes, flags)

        def recv(self, bufsize, flags=0):
            self._bound()
            return super().recv(bufsize, flags)

        def sendall(self, data, flags=0):
            # In slices, so that an agent reading slowly cannot stretch one call either.
            view = memoryview(data).cast("B")
            for i in range(0, len(view), 1 << 16):
                self._bound()
                super().sendall(view[i : i + (1 << 16)], flags)

    def bounded(sock, conn):
        new = DeadlineSocket(sock.family, sock.type, sock.proto, fileno=sock.detach())
        new._dd_conn = conn
        new.settimeout(conn.timeout)
        return new

    class DeadlineHTTPConnection(client.HTTPConnection):
        deadline = None

        def connect(self):
            super().connect()
            self.sock = bounded(self.sock, self)

    class UnixHTTPConnection(client.HTTPConnection):
        """``http.client.HTTPConnection`` over a Unix domain socket."""

        deadline = None

        def __init__(self, path, timeout):
            super().__init__("localhost", timeout=timeout)
            self._socket_path = path

        def connect(self):
            sock = DeadlineSocket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock._dd_conn = self
            try:
                sock.settimeout(self.timeout)
                sock.connect(self._socket_path)
            except BaseException:
                sock.close()
                raise
            self.sock = sock

    class DeadlineHTTPSConnection(client.HTTPSConnection):
        deadline = None

        def __init__(self, host, port, timeout):
            ssl = lazy.load("ssl")

            class DeadlineSSLSocket(ssl.SSLSocket):
                def _bound(self):
                    conn = getattr(self, "_dd_conn", None)
                    left = None if conn is None else time_left(conn)
                    if left is not None:
                        self.settimeout(left)

                def recv_into(self, buffer, nbytes=None, flags=0):
                    self._bound()
                    return super().recv_into(buffer, nbytes, flags)

                def recv(self, buflen=1024, flags=0):
                    self._bound()
                    return super().recv(buflen, flags)

                def sendall(self, data, flags=0):
                    view = memoryview(data).cast("B")
                    for i in range(0, len(view), 1 << 16):
                        self._bound()
                        super().sendall(view[i : i + (1 << 16)], flags)

            context = ssl._create_default_https_context()
            context.sslsocket_class = DeadlineSSLSocket
            super().__init__(host, port, timeout=timeout, context=context)

        def connect(self):
            super().connect()
            self.sock._dd_conn = self

    return DeadlineHTTPConnection, DeadlineHTTPSConnection, UnixHTTPConnection


_classes = None


def _new_connection(agent_url, timeout):
    global _classes
    if _classes is None:
        _classes = _connection_classes()
    http_cls, https_cls, unix_cls = _classes
    if agent_url.scheme == "unix":
        return unix_cls(agent_url.path, timeout)
    if agent_url.scheme == "https":
        return https_cls(agent_url.host, agent_url.port, timeout)
    return http_cls(agent_url.host, agent_url.port, timeout=timeout)


class Response:
    """What the agent answered: ``status`` (int), ``reason`` and ``body`` (bytes)."""

    __slots__ = ("status", "reason", "body")

    def __init__(self, status, reason, body):
        self.status = status
        self.reason = reason
        self.body = body

    def __repr__(self):
        return "Response(%d %s)" % (self.status, self.reason)


#: Bodies larger than this are not read (the agent answers a few hundred bytes);
#: the connection is closed instead so it is not reused half-read.
MAX_RESPONSE_BYTES = 1 << 20


class AgentConnection:
    """One keep-alive HTTP connection to the agent.

    :param url: the agent URL (see :class:`AgentURL`); parsed on the first request.

    Not thread-safe: the writer serialises its sends.
    """

    def __init__(self, url):
        self.url = url
        self._parsed = None
        self._conn = None
        self._reused = False

    @property
    def agent_url(self):
        """The parsed URL (raises ``ValueError`` if it is invalid)."""
        if self._parsed is None:
            self._parsed = AgentURL(self.url)
        return self._parsed

    def request(self, method, path, body, headers, timeout):
        """Send one request and read the whole response.

        :param path: path below the agent URL, e.g. ``/v0.5/traces``.
        :param timeout: seconds allowed for the whole request, from connecting to the
            last byte of the answer.
        :returns: a :class:`Response`.
        :raises OSError, http.client.HTTPException, ValueError: on any failure; the
            connection is closed so the next request opens a fresh one.
        """
        client = lazy.load("http.client")
        agent_url = self.agent_url
        full_path = agent_url.base_path + path
        conn = self._conn
        reused = conn is not None
        if conn is None:
            conn = self._conn = _new_connection(agent_url, timeout)
        try:
            try:
                return self._do(conn, method, full_path, body, headers, timeout)
            except (client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                if not reused:
                    raise
                # The agent closed the idle keep-alive connection: that says nothing
                # about the agent's health, so try once more on a fresh connection.
                self.close()
                conn = self._conn = _new_connection(agent_url, timeout)
                return self._do(conn, method, full_path, body, headers, timeout)
        except BaseException:
            self.close()
            raise

    def _do(self, conn, method, path, body, headers, timeout):
        # The whole request, connection included, within ``timeout``.
        conn.deadline = time.monotonic() + timeout
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        length = resp.getheader("Content-Length")
        try:
            too_big = length is not None and int(length) > MAX_RESPONSE_BYTES
        except ValueError:
            too_big = True
        if too_big:
            data = resp.read(MAX_RESPONSE_BYTES)
            self.close()
        else:
            data = resp.read(MAX_RESPONSE_BYTES + 1)
            if len(data) > MAX_RESPONSE_BYTES or not resp.isclosed():
                self.close()
        if resp.will_close:
            self.close()
        return Response(resp.status, resp.reason, data)

    def close(self):
        """Close the connection (the next request reconnects)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass

    def _forget(self):
        """Drop the connection without closing it (a forked child must not touch the
        parent's socket)."""
        self._conn = None
