"""Run the test matrix described in riotfile.py.

    python scripts/matrix.py                 # every suite on every Python it lists
    python scripts/matrix.py -s core -p 3.11 # one suite, one Python
    python scripts/matrix.py -s core -- -k sampler -x

Each (suite, Python) gets its own venv under .riot/, with the package installed in
editable mode (which builds the Cython extensions in place for that interpreter) plus
the suite's packages. A venv is reused while its inputs are unchanged.
"""
import argparse
import glob
import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def find_python(version):
    candidates = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/%s.*/bin/python%s" % (version, version))))
    candidates += [shutil.which("python%s" % version) or ""]
    for c in candidates:
        if c and os.access(c, os.X_OK):
            return c
    raise SystemExit("matrix: no interpreter found for Python %s (looked in ~/.pyenv/versions and PATH)" % version)


def pkg_spec(name, version):
    if not version:
        return name
    if version[0] in "<>=!~":
        return name + version
    return "%s==%s" % (name, version)


def run(cmd, env=None, cwd=ROOT):
    print("+ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    return subprocess.call(cmd, env=env, cwd=cwd)


def ensure_venv(leaf, py):
    pkgs = sorted(pkg_spec(k, v) for k, v in leaf["pkgs"].items())
    inputs = [py, *pkgs]
    for f in ("pyproject.toml", "setup.py"):
        with open(os.path.join(ROOT, f), "rb") as fp:
            inputs.append(hashlib.sha256(fp.read()).hexdigest())
    digest = hashlib.sha256("\n".join(inputs).encode()).hexdigest()[:12]
    path = os.path.join(ROOT, ".riot", "%s-py%s" % (leaf["name"], py))
    stamp = os.path.join(path, ".matrix-stamp")
    vpy = os.path.join(path, "bin", "python")
    if os.path.exists(stamp) and open(stamp).read() == digest:
        # Inputs unchanged: only rebuild the extensions if their sources moved on.
        if run([vpy, "setup.py", "-q", "build_ext", "--inplace"]) != 0:
            raise SystemExit("matrix: building the extensions failed for Python %s" % py)
        return vpy
    shutil.rmtree(path, ignore_errors=True)
    if run([find_python(py), "-m", "venv", path]) != 0:
        raise SystemExit("matrix: could not create a venv for Python %s" % py)
    steps = [
        [vpy, "-m", "pip", "install", "-q", "--upgrade", "pip", "setuptools>=77", "wheel", "cython>=3.0.10,<4"],
        [vpy, "-m", "pip", "install", "-q", "-e", ".[test]", *pkgs],
        [vpy, "setup.py", "-q", "build_ext", "--inplace"],
    ]
    for step in steps:
        if run(step) != 0:
            raise SystemExit("matrix: setting up %s failed at: %s" % (path, " ".join(step)))
    with open(stamp, "w") as fp:
        fp.write(digest)
    return vpy


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-s", "--suite", action="append", help="suite name(s) to run (default: all)")
    ap.add_argument("-p", "--py", action="append", help="Python version(s) to run (default: each suite's own)")
    ap.add_argument("--list", action="store_true", help="list the matrix and exit")
    ap.add_argument("cmdargs", nargs="*", help="extra arguments for the suite command (after --)")
    args = ap.parse_args()

    import riotfile

    leaves = [l for l in riotfile.venv.leaves() if l["command"]]
    if args.suite:
        unknown = set(args.suite) - {l["name"] for l in leaves}
        if unknown:
            raise SystemExit("matrix: unknown suite(s): %s" % ", ".join(sorted(unknown)))
        leaves = [l for l in leaves if l["name"] in args.suite]
    jobs = [(l, py) for l in leaves for py in l["pys"] if not args.py or py in args.py]
    if args.list:
        for l, py in jobs:
            print("%-24s py%s  %s" % (l["name"], py, l["command"]))
        return 0
    if not jobs:
        raise SystemExit("matrix: nothing to run for that selection")

    results = []
    for leaf, py in jobs:
        started = time.monotonic()
        vpy = ensure_venv(leaf, py)
        env = dict(os.environ)
        env.update(leaf["env"])
        env["PATH"] = os.path.dirname(vpy) + os.pathsep + env.get("PATH", "")
        cmd = leaf["command"].replace("{cmdargs}", " ".join(shlex.quote(a) for a in args.cmdargs))
        argv = shlex.split(cmd)
        argv[0] = os.path.join(os.path.dirname(vpy), argv[0])
        rc = run(argv, env=env)
        if rc == 5:
            print("matrix: %s on Python %s collected no tests; that counts as a failure" % (leaf["name"], py))
        results.append((leaf["name"], py, rc, time.monotonic() - started))

    print("\n=== matrix summary ===")
    for name, py, rc, took in results:
        print("%-24s py%-5s %-6s %6.1fs" % (name, py, "ok" if rc == 0 else "FAIL(%d)" % rc, took))
    failed = sum(1 for r in results if r[2] != 0)
    print("matrix: %d suite runs ok, %d failed" % (len(results) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
