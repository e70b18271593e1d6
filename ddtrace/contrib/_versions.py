"""Installed versions of libraries and the ranges integrations support.

Pure Python with no imports at module level: ``ddtrace-run`` and the post-import hooks
check versions before any integration code is loaded.
"""
from __future__ import annotations


def version_tuple(text):
    """``"2.31.0rc1"`` -> ``(2, 31, 0)``: the leading numeric release segment."""
    parts = []
    for piece in str(text).strip().lstrip("vV").split("."):
        digits = ""
        for ch in piece:
            if ch.isdigit():
                digits += ch
            else:
                break
        if not digits:
            break
        parts.append(int(digits))
        if len(digits) != len(piece):
            break
    return tuple(parts)


def _cmp(a, b):
    n = max(len(a), len(b))
    a = a + (0,) * (n - len(a))
    b = b + (0,) * (n - len(b))
    return (a > b) - (a < b)


_OPS = (">=", "<=", "==", "!=", "~=", ">", "<")


def version_satisfies(version, spec):
    """Whether ``version`` (a string) satisfies ``spec`` like ``">=1.2,<3"``.

    Supports ``>= <= > < == != ~=`` and ``==1.2.*``; pre-release and local suffixes
    are ignored (``2.0rc1`` counts as ``2.0``). An empty spec accepts everything; a
    version with no number (unknown) is accepted too, since refusing to trace an
    unusual build is worse than tracing it.
    """
    v = version_tuple(version)
    if not v:
        return True
    for clause in (spec or "").split(","):
        clause = clause.strip()
        if not clause:
            continue
        op = next((o for o in _OPS if clause.startswith(o)), "==")
        target = clause[len(op):].strip() if clause.startswith(op) else clause
        if target.endswith(".*"):
            prefix = version_tuple(target[:-2])
            ok = v[: len(prefix)] == prefix
            if op == "!=":
                ok = not ok
            elif op != "==":
                raise ValueError("wildcard only allowed with == or != in %r" % (spec,))
            if not ok:
                return False
            continue
        t = version_tuple(target)
        if not t:
            raise ValueError("no version number in clause %r of %r" % (clause, spec))
        c = _cmp(v, t)
        if op == ">=":
            ok = c >= 0
        elif op == "<=":
            ok = c <= 0
        elif op == ">":
            ok = c > 0
        elif op == "<":
            ok = c < 0
        elif op == "==":
            ok = c == 0
        elif op == "!=":
            ok = c != 0
        else:  # ~=1.4.2 means >=1.4.2,==1.4.*
            ok = c >= 0 and v[: max(1, len(t) - 1)] == t[: max(1, len(t) - 1)]
        if not ok:
            return False
    return True


_versions = {}


def distribution_version(*names):
    """The installed version of the first of these PyPI distributions found, or None.

    Reads the package metadata (once per name per process); never imports the library.
    """
    for name in names:
        version = _versions.get(name, _versions)
        if version is _versions:
            try:
                from ddtrace.internal.lazy import load

                version = load("importlib.metadata").version(name)
            except Exception:
                version = None
            _versions[name] = version
        if version:
            return version
    return None


def module_version(module, distributions):
    """The version of an imported library: its distribution's metadata, else its
    ``__version__`` (cleaned of build notes such as psycopg2's ``"2.9.2 (dt dec pq3)"``);
    ``""`` for the standard library (no distributions); None if unknown."""
    if not distributions:
        return ""
    version = distribution_version(*distributions)
    if version:
        return version
    text = getattr(module, "__version__", None) if module is not None else None
    if isinstance(text, str) and text.strip():
        return text.strip().split()[0]
    return None
