"""Run the test matrix described in riotfile.py.

    python scripts/matrix.py                  # every suite on every Python it lists
    python scripts/matrix.py -s core -p 3.11  # one suite, one Python
    python scripts/matrix.py -s core -- -k sampler -x
    python scripts/matrix.py --list           # the suites, their Pythons and venvs

How a run sets itself up (everything under .riot/, made by the run itself; only the
CPython interpreters under ~/.pyenv/versions/ are assumed):

- uv (pinned: UV_VERSION) is pip-installed once into .riot/.tools/uv. It creates every
  venv and installs into it (seconds, from its cache in ~/.cache/uv).
- The Cython extensions are built once per Python, in place, by a small builder venv
  (.riot/.build/py3.X: setuptools, wheel, Cython) running `setup.py build_ext
  --inplace`. The .so files are ABI-tagged, so every Python's extensions sit side by
  side in the tree, where the tests import ``ddtrace`` from. They are rebuilt only
  when the extension sources or setup.py change.
- One editable wheel of the package (its metadata, the ``ddtrace-run`` script, an
  import hook pointing at this checkout; no code, no extensions) serves every Python.
- A suite's venv holds that wheel with the [test] extra plus the suite's packages.
  Suites whose Python and packages are the same share one venv (.riot/py3.X-<hash>).
  A venv is reused while its inputs (interpreter, packages, the wheel's inputs, uv's
  version) are unchanged: one stamp file is read to know.

Setup output is shown only when a step fails (then in full), or with --verbose.
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

#: uv creates the venvs and installs into them; pip only installs uv itself.
UV_VERSION = "0.13.9"
#: What builds the extensions and the editable wheel (pyproject.toml's [build-system]).
BUILD_REQUIRES = ("setuptools>=77", "wheel", "cython>=3.0.10,<4")
RIOT = os.path.join(ROOT, ".riot")
TOOLS = os.path.join(RIOT, ".tools")
BUILD = os.path.join(RIOT, ".build")
#: In every suite venv besides the package and the suite's packages: setuptools, as in
#: a venv made by pip (old libraries' ``import distutils`` gets setuptools' copy).
VENV_REQUIRES = ("setuptools>=77",)
STAMP = ".matrix-stamp"
VERBOSE = False


class SetupError(Exception):
    pass


def find_python(version):
    candidates = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/%s.*/bin/python%s" % (version, version))))
    candidates += [shutil.which("python%s" % version) or ""]
    for c in candidates:
        if c and os.access(c, os.X_OK):
            return c
    raise SetupError("no interpreter found for Python %s (looked in ~/.pyenv/versions and PATH)" % version)


def pkg_spec(name, version):
    if not version:
        return name
    if version[0] in "<>=!~":
        return name + version
    return "%s==%s" % (name, version)


def quote(cmd):
    return " ".join(shlex.quote(c) for c in cmd)


def run(cmd, env=None, cwd=ROOT):
    print("+ " + quote(cmd), flush=True)
    return subprocess.call(cmd, env=env, cwd=cwd)


def sh(cmd, env=None, cwd=ROOT):
    """Run one setup step; its output is printed (all of it) only if it fails."""
    if VERBOSE:
        print("+ " + quote(cmd), flush=True)
        rc, out = subprocess.call(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL), ""
    else:
        proc = subprocess.run(
            cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        rc, out = proc.returncode, proc.stdout.decode("utf-8", "replace")
    if rc != 0:
        if not VERBOSE:
            print("+ " + quote(cmd))
            sys.stdout.write(out)
        raise SetupError("exit code %d from: %s" % (rc, quote(cmd)))


def digest(*parts):
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def file_digest(path):
    with open(path, "rb") as fp:
        return hashlib.sha256(fp.read()).hexdigest()


def read_stamp(directory):
    try:
        with open(os.path.join(directory, STAMP)) as fp:
            return fp.read()
    except OSError:
        return None


def write_stamp(directory, value):
    with open(os.path.join(directory, STAMP), "w") as fp:
        fp.write(value)


def uv_env():
    env = dict(os.environ)
    env.setdefault("UV_PYTHON_DOWNLOADS", "never")  # only the interpreters we name
    env.pop("VIRTUAL_ENV", None)
    return env


class Setup:
    """What the suites share: uv, per-Python builders and extensions, the editable wheel."""

    def __init__(self):
        self.uv = None
        self.builders = {}  # py -> builder python
        self.built = set()  # Pythons whose extensions are up to date
        self.wheel = None  # (path, digest)
        self._ext_digest = None

    def ensure_uv(self):
        if self.uv:
            return self.uv
        target = os.path.join(TOOLS, "uv")
        uv = os.path.join(target, "bin", "uv")
        if read_stamp(target) != UV_VERSION or not os.access(uv, os.X_OK):
            shutil.rmtree(target, ignore_errors=True)
            os.makedirs(target)
            sh([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                "--target", target, "uv==%s" % UV_VERSION])  # fmt: skip
            write_stamp(target, UV_VERSION)
        self.uv = uv
        return uv

    def new_venv(self, path, python, reqs):
        shutil.rmtree(path, ignore_errors=True)
        sh([self.uv, "venv", "-q", "--python", python, path], env=uv_env())
        vpy = os.path.join(path, "bin", "python")
        sh([self.uv, "pip", "install", "-q", "--python", vpy, *reqs], env=uv_env())
        return vpy

    def ensure_builder(self, py):
        if py in self.builders:
            return self.builders[py]
        interp = find_python(py)
        path = os.path.join(BUILD, "py%s" % py)
        bpy = os.path.join(path, "bin", "python")
        want = digest(os.path.realpath(interp), UV_VERSION, *BUILD_REQUIRES)
        if read_stamp(path) != want or not os.path.exists(bpy):
            self.new_venv(path, interp, BUILD_REQUIRES)
            write_stamp(path, want)
        self.builders[py] = bpy
        return bpy

    def ext_digest(self):
        if self._ext_digest is None:
            files = ["setup.py"]
            for pattern in ("*.pyx", "*.pxd", "*.pxi", "*.h"):
                files += glob.glob(os.path.join("ddtrace", "**", pattern), recursive=True)
            self._ext_digest = digest(*("%s %s" % (f, file_digest(os.path.join(ROOT, f))) for f in sorted(files)))
        return self._ext_digest

    def ensure_extensions(self, py):
        """``setup.py build_ext --inplace`` for this Python, unless its .so files are current."""
        if py in self.built:
            return
        bpy = self.ensure_builder(py)
        stamp_dir = os.path.join(BUILD, "py%s" % py, "ext")
        want = digest(self.ext_digest(), read_stamp(os.path.dirname(stamp_dir)) or "")
        tag = "cpython-%s-" % py.replace(".", "")
        pyx = glob.glob(os.path.join(ROOT, "ddtrace", "**", "*.pyx"), recursive=True)
        present = all(glob.glob(p[: -len(".pyx")] + "." + tag + "*.so") for p in pyx)
        if read_stamp(stamp_dir) != want or not present:
            jobs = str(os.cpu_count() or 1)
            sh([bpy, "setup.py", "-q", "build_ext", "--inplace", "-j", jobs])
            os.makedirs(stamp_dir, exist_ok=True)
            write_stamp(stamp_dir, want)
        self.built.add(py)

    def ensure_wheel(self, py):
        """The package's editable wheel: metadata, entry points and an import hook, no extensions."""
        if self.wheel:
            return self.wheel
        inputs = [ROOT, UV_VERSION, *BUILD_REQUIRES]
        inputs += [file_digest(os.path.join(ROOT, f)) for f in ("pyproject.toml", "setup.py", "ddtrace/version.py")]
        want = digest(*inputs)
        path = os.path.join(BUILD, "wheel")
        wheels = glob.glob(os.path.join(path, "*.whl"))
        if read_stamp(path) != want or len(wheels) != 1:
            shutil.rmtree(path, ignore_errors=True)
            os.makedirs(path)
            # DDTRACE_BUILD_ONLY=none: no extension in it (they are built in place per
            # Python), so one pure wheel serves every Python and building it compiles nothing.
            env = dict(os.environ, DDTRACE_BUILD_ONLY="none")
            code = "import sys, setuptools.build_meta as b; b.build_editable(sys.argv[1])"
            sh([self.ensure_builder(py), "-c", code, path], env=env)
            wheels = glob.glob(os.path.join(path, "*.whl"))
            if len(wheels) != 1:
                raise SetupError("building the editable wheel left %r in %s" % (wheels, path))
            write_stamp(path, want)
        self.wheel = (wheels[0], want)
        return self.wheel

    def ensure_venv(self, py, pkgs):
        """The venv's python and whether it was (re)created."""
        path, specs = venv_path(py, pkgs)
        key = digest(os.path.realpath(find_python(py)), UV_VERSION, self.ensure_wheel(py)[1], *VENV_REQUIRES, *specs)
        vpy = os.path.join(path, "bin", "python")
        if read_stamp(path) == key and os.path.exists(vpy):
            return vpy, False
        wheel = self.ensure_wheel(py)[0]
        self.new_venv(path, find_python(py), ["ddtrace[test] @ file://" + wheel, *VENV_REQUIRES, *specs])
        write_stamp(path, key)
        return vpy, True


def venv_path(py, pkgs):
    """Where the venv for these packages on this Python lives (suites that agree share it)."""
    specs = sorted(pkg_spec(k, v) for k, v in pkgs.items())
    return os.path.join(RIOT, "py%s-%s" % (py, digest(py, *specs)[:10])), specs


def install_test_agent(setup):
    import scripts.test_agent as test_agent

    if not test_agent.installed():
        try:
            test_agent.install(quiet=True, uv=setup.ensure_uv())
        except subprocess.CalledProcessError as e:
            raise SetupError("installing the test agent: %s" % e)


def main():
    global VERBOSE
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-s", "--suite", action="append", help="suite name(s) to run (default: all)")
    ap.add_argument("-p", "--py", action="append", help="Python version(s) to run (default: each suite's own)")
    ap.add_argument("--list", action="store_true", help="list the matrix and exit")
    ap.add_argument("-v", "--verbose", action="store_true", help="show the setup commands and their output")
    ap.add_argument("cmdargs", nargs="*", help="extra arguments for the suite command (after --)")
    args = ap.parse_args()
    VERBOSE = args.verbose

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
            venv = os.path.relpath(venv_path(py, l["pkgs"])[0], ROOT)
            print("%-24s py%-5s %-22s %s" % (l["name"], py, venv, l["command"]))
        return 0
    if not jobs:
        raise SystemExit("matrix: nothing to run for that selection")

    run_started = time.monotonic()
    setup = Setup()
    try:
        setup.ensure_uv()
        install_test_agent(setup)
        # All builders first: each Python's Cython then sees C files newer than its own
        # includes, so the C is generated once, not once per Python.
        for py in dict.fromkeys(py for _, py in jobs):
            setup.ensure_builder(py)
    except SetupError as e:
        print("matrix: setup failed: %s" % e)
        return 1
    print("matrix: tools ready in %.1fs" % (time.monotonic() - run_started), flush=True)

    results = []
    for leaf, py in jobs:
        started = time.monotonic()
        try:
            setup.ensure_extensions(py)
            vpy, created = setup.ensure_venv(py, leaf["pkgs"])
        except SetupError as e:
            print("matrix: setting up %s on Python %s failed: %s" % (leaf["name"], py, e))
            results.append((leaf["name"], py, "SETUP FAILED", time.monotonic() - started, 0.0))
            continue
        setup_took = time.monotonic() - started
        print(
            "\n=== %s on Python %s (%s %s, set up in %.1fs) ==="
            % (leaf["name"], py, "new venv" if created else "venv", os.path.relpath(os.path.dirname(os.path.dirname(vpy)), ROOT), setup_took),
            flush=True,
        )
        env = dict(os.environ)
        env.update(leaf["env"])
        env["PATH"] = os.path.dirname(vpy) + os.pathsep + env.get("PATH", "")
        env.pop("VIRTUAL_ENV", None)
        cmd = leaf["command"].replace("{cmdargs}", " ".join(shlex.quote(a) for a in args.cmdargs))
        argv = shlex.split(cmd)
        argv[0] = os.path.join(os.path.dirname(vpy), argv[0])
        tests_started = time.monotonic()
        rc = run(argv, env=env)
        if rc == 5:
            print("matrix: %s on Python %s collected no tests; that counts as a failure" % (leaf["name"], py))
        result = "ok" if rc == 0 else "FAIL(%d)" % rc
        results.append((leaf["name"], py, result, setup_took, time.monotonic() - tests_started))

    print("\n=== matrix summary ===")
    print("%-24s %-7s %8s %8s  %s" % ("suite", "python", "setup", "tests", "result"))
    for name, py, result, setup_took, tests_took in results:
        print("%-24s %-7s %7.1fs %7.1fs  %s" % (name, py, setup_took, tests_took, result))
    failed = sum(1 for r in results if r[2] != "ok")
    print("total wall time %.1fs (setup %.1fs, tests %.1fs)" % (
        time.monotonic() - run_started,
        time.monotonic() - run_started - sum(r[4] for r in results),
        sum(r[4] for r in results),
    ))  # fmt: skip
    print("matrix: %d suite runs ok, %d failed" % (len(results) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
