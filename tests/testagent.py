"""pytest plugin: Datadog's test agent for the suite (``pytest_plugins = ["tests.testagent"]``).

Fixtures:

- ``test_agent`` (session): starts ``ddapm-test-agent`` through ``scripts/test_agent.py``
  on a free 127.0.0.1 port and a Unix socket, and stops it (by its PID) at the end.
  With ``TEST_AGENT_URL`` set, that already running agent is used instead (no Unix
  socket then). Returns an :class:`AgentHandle`.
- ``agent_session`` (function): a fresh test session on that agent, keyed by a unique
  ``X-Datadog-Test-Session-Token``; returns an :class:`AgentSession`. At teardown it
  stops the writers it made and fails the test if the agent's payload checks failed.

Example::

    def test_sends(agent_session):
        tracer = agent_session.tracer()
        with tracer.trace("op"):
            pass
        tracer.flush()
        (trace,) = agent_session.wait_for_traces(1)
        assert trace[0]["name"] == "op"
"""
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

TOKEN_HEADER = "X-Datadog-Test-Session-Token"


def _load_script():
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts", "test_agent.py")
    spec = importlib.util.spec_from_file_location("_ddtrace_test_agent_script", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class AgentHandle:
    """The test agent the suite talks to: ``url``, ``uds_path`` (or None), ``pid`` (or None)."""

    __test__ = False

    def __init__(self, url, uds_path=None, pid=None):
        self.url = url.rstrip("/")
        self.uds_path = uds_path
        self.pid = pid

    @property
    def uds_url(self):
        """``unix:///...`` for the agent's socket, or None."""
        return "unix://" + self.uds_path if self.uds_path else None

    def _get(self, path, token, **params):
        if token is not None:
            params["test_session_token"] = token
        query = urllib.parse.urlencode(params)
        req = urllib.request.Request("%s%s?%s" % (self.url, path, query))
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def start_session(self, token, rate_by_service=None):
        """Begin a session; ``rate_by_service`` is what the agent will answer trace payloads with."""
        params = {}
        if rate_by_service is not None:
            params["agent_sample_rate_by_service"] = json.dumps(rate_by_service)
        status, body = self._get("/test/session/start", token, **params)
        assert status == 200, "starting test agent session failed: %s %r" % (status, body)

    def traces(self, token):
        """The traces received in session ``token`` (lists of span dicts, as the agent decoded them)."""
        status, body = self._get("/test/session/traces", token)
        assert status == 200, "fetching traces failed: %s %r" % (status, body)
        return json.loads(body)

    def requests(self, token):
        """The raw requests of session ``token`` (dicts with ``url``, ``headers``, ``body``...)."""
        status, body = self._get("/test/session/requests", token)
        assert status == 200, "fetching requests failed: %s %r" % (status, body)
        return json.loads(body)

    def check_failures(self, token):
        """The agent's payload check failures for ``token`` as text, or None if there were none."""
        status, body = self._get("/test/trace_check/failures", token)
        if status == 200:
            return None
        return body.decode("utf-8", "replace") or "HTTP %d" % status

    def session(self, token=None, rate_by_service=None):
        """Start and return a new :class:`AgentSession`."""
        s = AgentSession(self, token or "test-%s" % uuid.uuid4().hex)
        self.start_session(s.token, rate_by_service)
        return s


class AgentSession:
    """One test's view of the agent: everything sent with its ``token``."""

    __test__ = False

    def __init__(self, agent, token):
        self.agent = agent
        self.token = token
        self._writers = []

    @property
    def url(self):
        return self.agent.url

    @property
    def uds_url(self):
        return self.agent.uds_url

    @property
    def headers(self):
        """Headers that put a payload in this session."""
        return {TOKEN_HEADER: self.token}

    def env(self):
        """Environment for a subprocess whose default tracer should send to this session."""
        return {
            "DD_TRACE_AGENT_URL": self.url,
            "_DD_TRACE_WRITER_ADDITIONAL_HEADERS": "%s:%s" % (TOKEN_HEADER, self.token),
        }

    def writer(self, **kwargs):
        """An ``AgentWriter`` sending to this session (stopped at teardown)."""
        from ddtrace.internal.writer import AgentWriter

        kwargs.setdefault("agent_url", self.url)
        headers = dict(self.headers)
        headers.update(kwargs.pop("headers", None) or {})
        w = AgentWriter(headers=headers, **kwargs)
        self._writers.append(w)
        return w

    def tracer(self, **writer_kwargs):
        """A new ``Tracer`` whose writer sends to this session."""
        from ddtrace.trace import Tracer

        t = Tracer()
        t.configure(writer=self.writer(**writer_kwargs))
        return t

    def traces(self):
        return self.agent.traces(self.token)

    def requests(self):
        return self.agent.requests(self.token)

    def wait_for_traces(self, n, timeout=30.0, exact=True):
        """Poll until at least ``n`` traces arrived (fails after ``timeout`` s); returns them.

        With ``exact``, also waits a moment for extra traces and fails if more than ``n``
        arrived.
        """
        give_up = time.monotonic() + timeout
        while True:
            traces = self.traces()
            if len(traces) >= n:
                break
            if time.monotonic() > give_up:
                pytest.fail("expected %d trace(s) at the test agent, got %d: %r" % (n, len(traces), traces))
            time.sleep(0.05)
        if exact and len(traces) != n:
            pytest.fail("expected %d trace(s) at the test agent, got %d: %r" % (n, len(traces), traces))
        return traces

    def check_failures(self):
        return self.agent.check_failures(self.token)

    def assert_no_failures(self):
        failures = self.check_failures()
        if failures:
            pytest.fail("the test agent's payload checks failed:\n%s" % failures, pytrace=False)

    def close(self):
        for w in self._writers:
            w.stop(timeout=5)
        self._writers = []


@pytest.fixture(scope="session", name="test_agent")
def _test_agent_fixture():
    external = os.environ.get("TEST_AGENT_URL")
    if external:
        yield AgentHandle(external)
        return
    script = _load_script()
    agent = script.start(port=0, uds=True)
    try:
        yield AgentHandle(agent.url, agent.uds_path, agent.pid)
    finally:
        agent.stop()


@pytest.fixture(name="agent_session")
def _agent_session_fixture(test_agent):
    session = test_agent.session()
    try:
        yield session
    finally:
        session.close()
    session.assert_no_failures()


# ---------------------------------------------------------------- a scriptable fake agent


class Request:
    """One request a :class:`FakeAgent` received."""

    __test__ = False

    def __init__(self, method, path, headers, body):
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body

    def header(self, name):
        for k, v in self.headers.items():
            if k.lower() == name.lower():
                return v
        return None

    def traces(self):
        """The payload decoded into lists of span dicts (v0.4 and v0.5 alike)."""
        return decode_payload(self.body, self.path)

    def __repr__(self):
        return "Request(%s %s, %d bytes)" % (self.method, self.path, len(self.body))


def decode_payload(body, path):
    """Decode a v0.4 or v0.5 trace payload into lists of span dicts with v0.4 key names."""
    import msgpack

    data = msgpack.unpackb(body, raw=False, strict_map_key=False)
    if "/v0.5/" not in path:
        return data
    strings, traces = data
    keys = ("service", "name", "resource", "trace_id", "span_id", "parent_id", "start", "duration", "error")
    out = []
    for trace in traces:
        spans = []
        for s in trace:
            span = {k: (strings[v] if k in ("service", "name", "resource") else v) for k, v in zip(keys, s)}
            span["meta"] = {strings[k]: strings[v] for k, v in s[9].items()}
            span["metrics"] = {strings[k]: v for k, v in s[10].items()}
            span["type"] = strings[s[11]]
            spans.append(span)
        out.append(spans)
    return out


class FakeAgent:
    """A local HTTP server standing in for the agent, over TCP or a Unix socket.

    :param respond: ``respond(request) -> (status, body)`` (body bytes or a JSON-able
        object); default answers 200 with ``{"rate_by_service": {}}``. It runs on the
        server's thread for that connection and may block.

    ``requests`` lists what was received, ``connections`` counts accepted connections.
    """

    __test__ = False

    def __init__(self, respond=None, uds_path=None):
        import http.server
        import socketserver
        import threading

        self.respond = respond or (lambda request: (200, {"rate_by_service": {}}))
        self.requests = []
        self.connections = 0
        self.received = threading.Event()
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in two writes: without this, Nagle's algorithm and
            # delayed ACKs add 40 ms to every answer.
            disable_nagle_algorithm = not uds_path

            def setup(self):
                fake.connections += 1
                super().setup()

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Request(self.command, self.path, dict(self.headers.items()), body)
                fake.requests.append(req)
                fake.received.set()
                status, payload = fake.respond(req)
                if not isinstance(payload, bytes):
                    payload = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_PUT = do_POST = do_GET = _handle

            def log_message(self, *args):
                pass

            def address_string(self):
                return "local"

        if uds_path:

            class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
                daemon_threads = True

                def handle_error(self, request, client_address):
                    pass  # clients that hung up on purpose

            self.server = Server(uds_path, Handler)
            self.url = "unix://" + uds_path
        else:

            class Server(http.server.ThreadingHTTPServer):
                daemon_threads = True

                def handle_error(self, request, client_address):
                    pass  # clients that hung up on purpose

            self.server = Server(("127.0.0.1", 0), Handler)
            self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def traces(self):
        """Every trace received so far, decoded."""
        return [t for r in self.requests if "/traces" in r.path for t in r.traces()]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(name="fake_agent")
def _fake_agent_fixture():
    """A factory of :class:`FakeAgent`; all are closed at teardown."""
    agents = []

    def make(respond=None, uds_path=None):
        agent = FakeAgent(respond, uds_path)
        agents.append(agent)
        return agent

    yield make
    for agent in agents:
        agent.close()
