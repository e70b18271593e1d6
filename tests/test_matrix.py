"""The test matrix (riotfile.py) agrees with the registry: every implemented
integration runs its tests against versions its row supports, at two ends at least
(its oldest tested release and its latest, unpinned or pinned)."""
import os
import re
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: Rows tested at one release only, and why.
SINGLE_RELEASE = {
    "rediscluster": "redis-py-cluster 2.1.3 (2021) is the last release",
}


def _norm(name):
    return re.sub(r"[-_.]+", "-", name.split("[")[0]).lower()


@pytest.fixture(scope="module")
def leaves():
    sys.path.insert(0, ROOT)
    try:
        import riotfile
    finally:
        sys.path.remove(ROOT)
    return [leaf for leaf in riotfile.venv.leaves() if leaf["command"]]


def _rows():
    from ddtrace.contrib import _registry

    return [r for r in _registry.rows() if r.implemented and r.patchable and not r.stdlib]


@pytest.mark.parametrize("row", _rows(), ids=lambda r: r.name)
def test_pins_are_supported_and_both_ends_are_tested(row, leaves):
    from ddtrace.contrib._versions import version_satisfies

    suites = [leaf for leaf in leaves if re.search(r"tests/contrib/%s(\s|/|$)" % re.escape(row.name), leaf["command"])]
    assert suites, "no suite runs tests/contrib/%s" % row.name
    ends = set()
    for module in row.modules:
        dists = {_norm(d) for d in module.distributions}
        for leaf in suites:
            for pkg, spec in leaf["pkgs"].items():
                if _norm(pkg) not in dists:
                    continue
                if not spec:
                    ends.add("latest")
                    continue
                pinned = spec[2:] if spec.startswith("==") else spec.lstrip("=")
                assert version_satisfies(pinned, module.versions), "%s pins %s %s, outside the row's %s" % (
                    leaf["name"],
                    pkg,
                    spec,
                    module.versions,
                )
                ends.add(pinned)
    wanted = 1 if row.name in SINGLE_RELEASE else 2
    assert len(ends) >= wanted, "%s: the matrix tests only %s" % (row.name, sorted(ends) or "nothing")
