"""The snapshot harness itself: normalization, comparison, and the CI / local modes."""
import json

import pytest

from tests.utils import snapshot as snap


def span(trace_id, span_id, parent_id, name, start, **kw):
    s = {
        "trace_id": trace_id,
        "span_id": span_id,
        "parent_id": parent_id,
        "name": name,
        "service": kw.pop("service", "svc"),
        "resource": kw.pop("resource", name),
        "type": kw.pop("type", ""),
        "error": kw.pop("error", 0),
        "start": start,
        "duration": kw.pop("duration", 10),
        "meta": kw.pop("meta", {}),
        "metrics": kw.pop("metrics", {}),
    }
    assert not kw
    return s


def test_snapshot_name():
    assert snap.snapshot_name("tests/contrib/x/test_y.py::test_z") == "tests.contrib.x.test_y.test_z"
    assert snap.snapshot_name("tests/a.py::TestC::test_d[p-1]") == "tests.a.TestC.test_d[p-1]"
    assert snap.snapshot_name("tests/a.py::test_e[a/b c]") == "tests.a.test_e[a_b_c]"


def test_normalize_renumbers_and_orders():
    # Two traces, chunks out of order, random ids and times.
    received = [
        [span(999, 55, 77, "child.b", 300), span(999, 77, 0, "root", 100, meta={"runtime-id": "abc"})],
        [span(111, 9, 0, "later.root", 500, metrics={"process_id": 42, "x": 1})],
        [span(999, 66, 77, "child.a", 200)],
        [span(999, 12, 66, "grandchild", 250)],
    ]
    out = snap.normalize(received)
    assert [[s["name"] for s in t] for t in out] == [["root", "child.a", "grandchild", "child.b"], ["later.root"]]
    assert [[(s["trace_id"], s["span_id"], s["parent_id"]) for s in t] for t in out] == [
        [(0, 1, 0), (0, 2, 1), (0, 3, 2), (0, 4, 1)],
        [(1, 5, 0)],
    ]
    assert out[0][0]["meta"] == {"runtime-id": snap.MASK}
    assert out[1][0]["metrics"] == {"process_id": snap.MASK, "x": 1}
    assert all("start" not in s and "duration" not in s for t in out for s in t)


def test_normalize_is_independent_of_ids_and_timing():
    a = [[span(1, 10, 0, "r", 1000, duration=5), span(1, 20, 10, "c", 1001)]]
    b = [[span(7, 3, 0, "r", 9000, duration=99), span(7, 4, 3, "c", 9005)]]
    assert snap.normalize(a) == snap.normalize(b)


def test_remote_parent_kept():
    out = snap.normalize([[span(5, 1, 5678, "server", 10)]])
    assert out[0][0]["parent_id"] == 5678


def test_ignores_mask_values_but_keep_presence():
    s = span(1, 1, 0, "r", 1, meta={"http.url": "http://127.0.0.1:1234/"}, resource="GET /x")
    out = snap.normalize([[s]], ignores=["meta.http.url", "resource", "meta.absent"])
    assert out[0][0]["meta"] == {"http.url": snap.MASK}
    assert out[0][0]["resource"] == snap.MASK


def test_compare_reports_a_diff():
    expected = snap.normalize([[span(1, 1, 0, "r", 1, meta={"k": "v"})]])
    assert snap.compare(snap.dumps(expected), expected, "n") is None
    received = snap.normalize([[span(1, 1, 0, "r", 1, meta={"k": "changed"})]])
    diff = snap.compare(snap.dumps(expected), received, "n")
    assert '-        "k": "v"' in diff
    assert '+        "k": "changed"' in diff
    assert "not valid JSON" in snap.compare("{nope", received, "n")


class FakeWriter:
    def flush_queue(self, timeout=None):
        pass


class FakeSession:
    def __init__(self, traces):
        self._traces = traces

    def traces(self):
        return self._traces


def make(tmp_path, monkeypatch, traces):
    monkeypatch.setattr(snap, "SNAPSHOT_DIR", str(tmp_path))
    return snap.SnapshotSession(None, FakeSession(traces), FakeWriter(), "the.test", [], None)


TRACES = [[span(1, 1, 0, "op", 1)]]


def test_missing_snapshot_fails_in_ci(tmp_path, monkeypatch):
    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv("DD_SNAPSHOT_UPDATE", raising=False)
    with pytest.raises(pytest.fail.Exception, match="is missing"):
        make(tmp_path, monkeypatch, TRACES).check()
    assert not (tmp_path / "the.test.json").exists()


def test_missing_snapshot_written_locally(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("DD_SNAPSHOT_UPDATE", raising=False)
    with pytest.warns(UserWarning, match="written"):
        make(tmp_path, monkeypatch, TRACES).check()
    stored = json.loads((tmp_path / "the.test.json").read_text())
    assert stored == snap.normalize(TRACES)
    # Now it exists: the same spans pass, different ones fail.
    make(tmp_path, monkeypatch, TRACES).check()
    with pytest.raises(pytest.fail.Exception, match="differ"):
        make(tmp_path, monkeypatch, [[span(1, 1, 0, "other", 1)]]).check()


def test_update_rewrites_but_not_in_ci(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    (tmp_path / "the.test.json").write_text("[]\n")
    monkeypatch.setenv("DD_SNAPSHOT_UPDATE", "1")
    with pytest.warns(UserWarning, match="rewritten"):
        make(tmp_path, monkeypatch, TRACES).check()
    assert json.loads((tmp_path / "the.test.json").read_text()) == snap.normalize(TRACES)
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="not allowed in CI"):
        make(tmp_path, monkeypatch, TRACES).check()


def test_wait_for_num_traces_fails_when_they_never_come(tmp_path, monkeypatch):
    s = make(tmp_path, monkeypatch, TRACES)
    s.wait_for_num_traces = 2
    with pytest.raises(pytest.fail.Exception, match="expected 2 trace"):
        s.received(timeout=0.2)
