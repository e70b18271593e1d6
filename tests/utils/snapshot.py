"""Snapshot tests: the spans a test sends, compared with a reviewed JSON file.

Mark a test and let it produce spans through the global tracer (what integrations use)::

    @pytest.mark.snapshot
    def test_queries():
        conn = sqlite3.connect(":memory:")
        conn.execute("select 1")

    @pytest.mark.snapshot(ignores=["meta.http.url"], wait_for_num_traces=1)
    def test_request(server):
        ...

or request the ``snapshot`` fixture (same options through the marker). During the test
the global tracer sends to a fresh session of the test agent (``tests/testagent.py``,
``test_agent`` fixture): its writer carries the session token header and ignores the
agent's sampling rates, and the tracer gets a fresh sampler and no ``env``, ``version``,
``service`` or global tags, so the output does not depend on earlier tests or on the
shell's ``DD_*`` variables (set them in the test if it needs them). After the test the
writer is flushed and what the agent received in the session is compared with
``tests/snapshots/<test id>.json`` (the test id is the node id with ``/`` and ``::``
turned into dots, e.g. ``tests.contrib.sqlite3.test_sqlite3_snapshot.test_queries``).

What is compared
    Traces (grouped by trace id, ordered by start time) and their spans (parent
    before children, siblings by start time): ``name``, ``service``, ``resource``,
    ``type``, ``error``, ``meta``, ``metrics`` and the tree shape. Trace and span ids
    are renumbered in that order (a parent outside the snapshot keeps its real id), so
    random ids never differ. ``start`` and ``duration`` are dropped.

Masked values
    ``meta.runtime-id``, ``meta._dd.p.tid``, ``meta.error.stack`` and
    ``metrics.process_id`` are replaced by ``"<ignored>"``: their presence is compared,
    not their value. ``ignores=[...]`` (``meta.<key>``, ``metrics.<key>`` or a span field
    such as ``resource``) masks more.

Options of the marker
    ``ignores``: more values to mask. ``wait_for_num_traces``: poll the agent until that
    many traces arrived (for spans finished by other threads after the test body).
    ``name``: the snapshot file name to use instead of the test id.

Missing and outdated snapshots
    With ``CI`` set (``CI=true``), a missing snapshot fails the test. Elsewhere it is
    written (with a warning) so it can be reviewed and committed. ``DD_SNAPSHOT_UPDATE=1``
    rewrites existing snapshots from the received spans (refused in CI). A mismatch fails
    the test with a unified diff between the stored and the received snapshot.

The test agent's own payload checks must pass too.
"""
import difflib
import json
import os
import re
import time
import warnings

import pytest

SNAPSHOT_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "snapshots")

#: Values that differ on every run: their presence is compared, not their value.
MASKED = ("meta.runtime-id", "meta._dd.p.tid", "meta.error.stack", "metrics.process_id")
MASK = "<ignored>"

_SPAN_FIELDS = ("name", "service", "resource", "type", "error")


def _truthy(name):
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def in_ci():
    """True when running in CI (``CI`` set to a true value)."""
    return _truthy("CI")


def update_requested():
    """True when ``DD_SNAPSHOT_UPDATE`` asks to rewrite snapshots."""
    return _truthy("DD_SNAPSHOT_UPDATE")


def snapshot_name(nodeid):
    """``tests/a/test_b.py::TestC::test_d[x]`` -> ``tests.a.test_b.TestC.test_d[x]``."""
    path, _, rest = nodeid.partition("::")
    if path.endswith(".py"):
        path = path[:-3]
    name = path.replace("/", ".").replace("\\", ".")
    if rest:
        name = name + "." + rest.replace("::", ".")
    return re.sub(r"[^A-Za-z0-9_.\-\[\]]", "_", name)


def snapshot_path(name):
    return os.path.join(SNAPSHOT_DIR, name + ".json")


def _mask(span, ignores):
    for item in ignores:
        section, _, key = item.partition(".")
        if section in ("meta", "metrics") and key:
            if key in span[section]:
                span[section][key] = MASK
        elif item in span:
            span[item] = MASK


def normalize(traces, ignores=()):
    """The received traces in the snapshot format (see the module documentation)."""
    by_trace = {}
    for chunk in traces:
        for span in chunk:
            by_trace.setdefault(span["trace_id"], []).append(span)

    def start(s):
        return s.get("start") or 0

    groups = sorted(by_trace.values(), key=lambda spans: min(start(s) for s in spans))
    result = []
    next_span_id = 1
    masked = tuple(MASKED) + tuple(ignores or ())
    for trace_index, spans in enumerate(groups):
        ids = {s["span_id"] for s in spans}
        children = {}
        roots = []
        for s in spans:
            if s.get("parent_id") in ids and s.get("parent_id") != s["span_id"]:
                children.setdefault(s["parent_id"], []).append(s)
            else:
                roots.append(s)

        def order(items):
            return sorted(items, key=lambda s: (start(s), s.get("name") or "", s.get("resource") or ""))

        ordered = []
        stack = list(reversed(order(roots)))
        while stack:
            s = stack.pop()
            ordered.append(s)
            stack.extend(reversed(order(children.get(s["span_id"], ()))))

        new_ids = {}
        for s in ordered:
            new_ids[s["span_id"]] = next_span_id
            next_span_id += 1
        out = []
        for s in ordered:
            parent = s.get("parent_id") or 0
            span = {field: s.get(field) for field in _SPAN_FIELDS}
            span["type"] = span["type"] or ""
            span["trace_id"] = trace_index
            span["span_id"] = new_ids[s["span_id"]]
            span["parent_id"] = new_ids.get(parent, parent)
            span["meta"] = dict(s.get("meta") or {})
            span["metrics"] = dict(s.get("metrics") or {})
            _mask(span, masked)
            out.append(span)
        result.append(out)
    return result


def dumps(snapshot):
    return json.dumps(snapshot, indent=2, sort_keys=True) + "\n"


def compare(expected_text, received, name):
    """None if ``received`` matches the stored snapshot text, else a readable diff."""
    received_text = dumps(received)
    try:
        expected = json.loads(expected_text)
    except ValueError as e:
        return "snapshot %s is not valid JSON: %s" % (name, e)
    if expected == received:
        return None
    diff = difflib.unified_diff(
        dumps(expected).splitlines(keepends=True),
        received_text.splitlines(keepends=True),
        fromfile="tests/snapshots/%s.json (expected)" % name,
        tofile="received",
    )
    return "".join(diff)


class SnapshotSession:
    """What a snapshot test sees: ``tracer`` (the global one), ``session`` (the agent
    session), ``name`` (the snapshot file name without ``.json``)."""

    __test__ = False

    def __init__(self, tracer, session, writer, name, ignores, wait_for_num_traces):
        self.tracer = tracer
        self.session = session
        self.writer = writer
        self.name = name
        self.ignores = list(ignores or ())
        self.wait_for_num_traces = wait_for_num_traces

    def received(self, timeout=10.0):
        """Flush and return the session's traces, normalized."""
        self.writer.flush_queue(timeout=timeout)
        traces = self.session.traces()
        if self.wait_for_num_traces is not None:
            give_up = time.monotonic() + timeout
            while len({s["trace_id"] for t in traces for s in t}) < self.wait_for_num_traces:
                if time.monotonic() > give_up:
                    pytest.fail(
                        "snapshot %s: expected %d trace(s) at the test agent, got %d"
                        % (self.name, self.wait_for_num_traces, len(traces)),
                        pytrace=False,
                    )
                time.sleep(0.05)
                self.writer.flush_queue(timeout=timeout)
                traces = self.session.traces()
        return normalize(traces, self.ignores)

    def check(self):
        """Compare (or write) the snapshot; fails the test on a mismatch."""
        received = self.received()
        path = snapshot_path(self.name)
        if update_requested():
            if in_ci():
                pytest.fail("DD_SNAPSHOT_UPDATE is not allowed in CI", pytrace=False)
            _write(path, received)
            warnings.warn("snapshot %s rewritten: review it before committing" % (path,))
            return
        if not os.path.exists(path):
            if in_ci():
                pytest.fail(
                    "snapshot %s is missing. Generate it locally (it is written on the first run outside "
                    "CI), review it, and commit it." % (path,),
                    pytrace=False,
                )
            _write(path, received)
            warnings.warn("snapshot %s written: review it and commit it" % (path,))
            return
        with open(path) as f:
            expected_text = f.read()
        diff = compare(expected_text, received, self.name)
        if diff is not None:
            pytest.fail(
                "the spans differ from snapshot %s (DD_SNAPSHOT_UPDATE=1 rewrites it):\n%s" % (path, diff),
                pytrace=False,
            )


def _write(path, received):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(dumps(received))


_RESET_CONFIG = (("env", None), ("version", None), ("service", None), ("tags", {}))


@pytest.fixture
def snapshot(request, test_agent):
    """Route the global tracer to a test agent session and compare the spans at the end."""
    from ddtrace.settings import config
    from ddtrace.trace import tracer
    from ddtrace.trace.sampler import DatadogSampler

    marker = request.node.get_closest_marker("snapshot")
    options = dict(marker.kwargs) if marker is not None else {}
    name = options.get("name") or snapshot_name(request.node.nodeid)

    session = test_agent.session()
    # Rates from the agent would make later traces differ from earlier ones.
    writer = session.writer(on_rate_by_service=lambda rates: None)
    agg = tracer._aggregator
    saved = (agg.writer, agg.sampler, agg.enabled)
    saved_config = [(key, getattr(config, key)) for key, _ in _RESET_CONFIG]
    for key, value in _RESET_CONFIG:
        setattr(config, key, type(value)() if isinstance(value, dict) else value)
    agg.writer = writer
    agg.sampler = DatadogSampler(rules=[])
    agg.enabled = True
    handle = SnapshotSession(
        tracer, session, writer, name, options.get("ignores"), options.get("wait_for_num_traces")
    )
    try:
        yield handle
        report = getattr(request.node, "_snapshot_call_report", None)
        if report is None or report.passed:
            handle.check()
            session.assert_no_failures()
    finally:
        agg.writer, agg.sampler, agg.enabled = saved
        for key, value in saved_config:
            setattr(config, key, value)
        session.close()


@pytest.fixture(autouse=True)
def _snapshot_marker(request):
    """Give every test marked ``@pytest.mark.snapshot`` the ``snapshot`` fixture."""
    if request.node.get_closest_marker("snapshot") is not None and "snapshot" not in request.fixturenames:
        request.getfixturevalue("snapshot")


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "snapshot(ignores=None, wait_for_num_traces=None, name=None): compare the spans the test sends "
        "with tests/snapshots/<test id>.json (see tests/utils/snapshot.py)",
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if call.when == "call":
        item._snapshot_call_report = outcome.get_result()
