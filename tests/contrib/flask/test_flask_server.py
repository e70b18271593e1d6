"""The Flask integration under a real werkzeug server on 127.0.0.1, called over HTTP."""
import http.client
import socket
import struct
import threading
import time
import urllib.request

import flask
import pytest

from .support import by_name
from .support import make_app
from .support import names
from .support import root_of
from .support import serving


@pytest.fixture
def server(app):
    with serving(app) as s:
        yield s


def wait_for_traces(spans, n, timeout=10.0):
    """The spans of ``n`` finished traces (the server finishes them on its threads)."""
    collected = []
    give_up = time.monotonic() + timeout
    while True:
        collected.extend(spans())
        if len({s.trace_id for s in collected if s.parent_id == 0 or s.name == "flask.request"}) >= n:
            return sorted(collected, key=lambda s: s.start_ns)
        if time.monotonic() > give_up:
            pytest.fail("expected %d traces, got spans %r" % (n, [s.name for s in collected]))
        time.sleep(0.01)


def fetch(url, headers=None, method="GET"):
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def test_request_over_http(spans, server):
    status, body, headers = fetch(server.url("/users/7?lang=en"), {"User-Agent": "real-client/2"})
    assert (status, headers["X-After"]) == (200, "1")
    got = wait_for_traces(spans, 1)
    root = root_of(got)
    assert root.name == "flask.request"
    assert root.resource == "GET /users/<int:user_id>"
    assert root._meta["http.url"] == "http://127.0.0.1:%d/users/7?lang=en" % server.port
    assert root._meta["http.useragent"] == "real-client/2"
    assert root._meta["http.status_code"] == "200"
    assert root._meta["http.route"] == "/users/<int:user_id>"
    assert names(got)[-1] == "flask.response"
    assert len(got) == 14
    assert all(s.finished for s in got)


def test_error_over_http(spans, server):
    status, body, _ = fetch(server.url("/boom"))
    assert status == 500
    root = root_of(wait_for_traces(spans, 1))
    assert root.error == 1
    assert root._meta["error.type"] == "builtins.RuntimeError"
    assert root._meta["http.status_code"] == "500"


def test_not_found_and_method_not_allowed_over_http(spans, server):
    assert fetch(server.url("/missing"))[0] == 404
    assert fetch(server.url("/post"))[0] == 405
    got = wait_for_traces(spans, 2)
    roots = [s for s in got if s.name == "flask.request"]
    assert sorted(r.resource for r in roots) == ["GET 404", "GET 405"]
    assert all("http.route" not in r._meta for r in roots)


def test_distributed_headers_over_http(spans, server):
    fetch(
        server.url("/hello/remote"),
        {"x-datadog-trace-id": "99", "x-datadog-parent-id": "77", "x-datadog-sampling-priority": "1"},
    )
    root = root_of(wait_for_traces(spans, 1))
    assert root.trace_id % (1 << 64) == 99
    assert root.parent_id == 77


def test_streamed_response_over_http(spans, server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", "/stream")
        resp = conn.getresponse()
        assert resp.read() == b"chunk0;chunk1;chunk2;"
    finally:
        conn.close()
    got = wait_for_traces(spans, 1)
    response = by_name(got, "flask.response")
    chunks = [s for s in got if s.name == "chunk"]
    assert len(chunks) == 3 and all(c.parent_id == response.span_id for c in chunks)
    assert all(s.finished for s in got)


def test_client_leaving_mid_stream(spans, patched):
    """A client that goes away mid-stream: the server closes the body and the trace ends."""
    app = flask.Flask(__name__)
    release = threading.Event()

    @app.route("/slow")
    def slow():
        def chunks():
            yield b"x" * 65536
            release.wait(5)
            for _ in range(200):
                yield b"y" * 65536

        return flask.Response(chunks())

    with serving(app) as server:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        sock.sendall(b"GET /slow HTTP/1.1\r\nHost: test\r\n\r\n")
        assert sock.recv(1024).split(b" ", 2)[1] == b"200"
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()  # reset: the server's next write fails
        release.set()
        got = wait_for_traces(spans, 1)
    root = root_of(got)
    assert root.resource == "GET /slow"
    assert all(s.finished for s in got)


def test_concurrent_requests_are_separate_traces(spans, server):
    results = []

    def call(i):
        results.append(fetch(server.url("/hello/n%d" % i))[0])

    threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == [200] * 8
    got = wait_for_traces(spans, 8)
    roots = [s for s in got if s.name == "flask.request"]
    assert len(roots) == 8
    assert all(r.parent_id == 0 for r in roots)
    assert len({r.trace_id for r in roots}) == 8
    by_trace = {}
    for s in got:
        by_trace.setdefault(s.trace_id, []).append(s)
    seen = set()
    for trace in by_trace.values():
        assert len(trace) == 13  # the steps, hooks and view of one request
        (root,) = [s for s in trace if s.name == "flask.request"]
        seen.add(root._meta["flask.view_args.name"])
    assert seen == {"n%d" % i for i in range(8)}


def test_real_server_with_app_not_patched_for_views(spans):
    """An application created before patching: requests are traced, its functions are not."""
    from ddtrace.contrib.flask import patch as flask_patch

    app = make_app()
    flask_patch.patch()
    try:
        with serving(app) as server:
            assert fetch(server.url("/hello/z"))[0] == 200
            got = wait_for_traces(spans, 1)
    finally:
        flask_patch.unpatch()
    assert root_of(got).resource == "GET /hello/<name>"
    assert not [n for n in names(got) if n.startswith("tests.")]
