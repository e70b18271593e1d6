"""The HTTP client for the agent: URL forms, TCP and Unix sockets, headers."""
import http.client
import sys

import pytest

from ddtrace.internal.agent import AgentConnection
from ddtrace.internal.agent import AgentURL
from ddtrace.internal.agent import base_headers
from ddtrace.internal.agent import _new_connection
from ddtrace.version import __version__


@pytest.mark.parametrize(
    "url, scheme, host, port, base",
    [
        ("http://localhost:8126", "http", "localhost", 8126, ""),
        ("http://10.0.0.1:1234/", "http", "10.0.0.1", 1234, ""),
        ("http://agent", "http", "agent", 80, ""),
        ("https://agent.example", "https", "agent.example", 443, ""),
        ("HTTPS://agent.example:9443/proxy/", "https", "agent.example", 9443, "/proxy"),
        ("http://[::1]:8126", "http", "::1", 8126, ""),
        ("  http://host:1  ", "http", "host", 1, ""),
    ],
)
def test_tcp_urls(url, scheme, host, port, base):
    u = AgentURL(url)
    assert (u.scheme, u.host, u.port, u.base_path, u.path) == (scheme, host, port, base, None)


@pytest.mark.parametrize(
    "url, path",
    [
        ("unix:///var/run/datadog/apm.socket", "/var/run/datadog/apm.socket"),
        ("unix:/tmp/apm.sock", "/tmp/apm.sock"),
        ("unix://relative.sock", "relative.sock"),
    ],
)
def test_unix_urls(url, path):
    u = AgentURL(url)
    assert (u.scheme, u.path, u.host) == ("unix", path, None)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        None,
        8126,
        "localhost:8126",
        "ftp://host",
        "http://",
        "http://host:notaport",
        "http://host:99999",
        "unix://",
    ],
)
def test_invalid_urls_raise_value_error(url):
    with pytest.raises(ValueError):
        AgentURL(url)


def test_connection_classes():
    plain = _new_connection(AgentURL("http://h:1"), 2)
    assert isinstance(plain, http.client.HTTPConnection) and not isinstance(plain, http.client.HTTPSConnection)
    assert (plain.host, plain.port, plain.timeout) == ("h", 1, 2)
    https = _new_connection(AgentURL("https://h"), 2)
    assert isinstance(https, http.client.HTTPSConnection) and https.port == 443
    unix = _new_connection(AgentURL("unix:///x.sock"), 2)
    assert isinstance(unix, http.client.HTTPConnection) and unix._socket_path == "/x.sock"
    assert unix.timeout == 2


def test_base_headers():
    h = base_headers()
    assert h == {
        "Datadog-Meta-Lang": "python",
        "Datadog-Meta-Lang-Version": "%d.%d.%d" % sys.version_info[:3],
        "Datadog-Meta-Lang-Interpreter": {"cpython": "CPython", "pypy": "PyPy"}[sys.implementation.name],
        "Datadog-Meta-Tracer-Version": __version__,
        "Datadog-Client-Computed-Top-Level": "yes",
    }


def test_request_over_tcp_with_base_path(fake_agent):
    agent = fake_agent(lambda r: (200, b'{"ok": true}'))
    conn = AgentConnection(agent.url + "/base/")
    resp = conn.request("PUT", "/v0.4/traces", b"\x90", {"Content-Type": "application/msgpack"}, 5)
    assert (resp.status, resp.body) == (200, b'{"ok": true}')
    (req,) = agent.requests
    assert (req.method, req.path, req.body) == ("PUT", "/base/v0.4/traces", b"\x90")
    conn.close()


def test_request_over_unix_socket(fake_agent, tmp_path):
    path = str(tmp_path / "a.sock")
    agent = fake_agent(lambda r: (202, b"{}"), uds_path=path)
    conn = AgentConnection("unix://" + path)
    for _ in range(2):
        resp = conn.request("PUT", "/v0.5/traces", b"\x92\x91\xa0\x90", {"X-Datadog-Trace-Count": "0"}, 5)
        assert resp.status == 202
    assert [r.path for r in agent.requests] == ["/v0.5/traces"] * 2
    assert agent.requests[0].header("Host") == "localhost"
    assert agent.connections == 1, "keep-alive over the socket too"
    conn.close()


def test_missing_unix_socket_raises_oserror(tmp_path):
    conn = AgentConnection("unix://" + str(tmp_path / "missing.sock"))
    with pytest.raises(OSError):
        conn.request("PUT", "/v0.5/traces", b"", {}, 1)
    assert conn._conn is None


def test_failed_request_closes_the_connection():
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def answer_once_then_go_away():
        conn, _ = server.accept()
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        conn.close()
        server.close()

    t = threading.Thread(target=answer_once_then_go_away)
    t.start()
    conn = AgentConnection("http://127.0.0.1:%d" % server.getsockname()[1])
    assert conn.request("PUT", "/x", b"", {}, 5).status == 200
    t.join()
    assert conn._conn is not None
    # The kept connection is dead and so is the agent: the one fresh retry fails too.
    with pytest.raises(ConnectionRefusedError):
        conn.request("PUT", "/x", b"", {}, 5)
    assert conn._conn is None


def test_large_response_body_is_cut_and_connection_dropped(fake_agent, monkeypatch):
    from ddtrace.internal import agent as agent_module

    monkeypatch.setattr(agent_module, "MAX_RESPONSE_BYTES", 10)
    agent = fake_agent(lambda r: (200, b"x" * 100))
    conn = AgentConnection(agent.url)
    resp = conn.request("PUT", "/x", b"", {}, 5)
    assert resp.body == b"x" * 10
    assert conn._conn is None
