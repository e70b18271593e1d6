"""Run the test matrix described in riotfile.py.

    python scripts/matrix.py                  # every suite on every Python it lists
    python scripts/matrix.py -s core -p 3.11  # one suite, one Python
    python scripts/matrix.py -s core -- -k sampler -x
    python scripts/matrix.py --list           # the suites, their Pythons and venvs
    python scripts/matrix.py -j 1             # one suite at a time

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

Suites run --jobs at a time (default: one per core), never two of one family at once
(``redis-oldest`` and ``redis-latest`` use the same keys on the same server). With more
than one at a time, each suite's output is printed whole when it ends (and kept in
.riot/logs/); one at a time, it streams. Setup output is shown only when a step fails
(then in full), or with --verbose.
"""
import argparse
import glob
import hashlib
import os
import queue
import shlex
import shutil
import subprocess
import sys
import threading
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

#: uv creates the venvs and installs into them; pip only installs uv itself.
UV_VERSION = "0.13.9"
#: What builds the extensions and the editable wheel (pyproject.toml's [build-system]).
BUILD_REQUIRES = ("setuptools>=77", "wheel", "cython>=3.0.10,<4")
#: In every suite venv besides the package and the suite's packages: setuptools, as in
#: a venv made by pip (old libraries' ``import distutils`` gets setuptools' copy).
VENV_REQUIRES = ("setuptools>=77",)
RIOT = os.path.join(ROOT, ".riot")
TOOLS = os.path.join(RIOT, ".tools")
BUILD = os.path.join(RIOT, ".build")
LOGS = os.path.join(RIOT, "logs")
STAMP = ".matrix-stamp"
VERBOSE = False


class SetupError(Exception):
    def __init__(self, message, output=""):
        super().__init__(message)
        self.output = output


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


def sh(cmd, env=None, cwd=ROOT):
    """Run one setup step. Its output is kept and, if it fails, carried by the SetupError."""
    if VERBOSE:
        print("+ " + quote(cmd), flush=True)
        rc, out = subprocess.call(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL), ""
    else:
        proc = subprocess.run(
            cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        rc, out = proc.returncode, proc.stdout.decode("utf-8", "replace")
    if rc != 0:
        raise SetupError("exit code %d from: %s" % (rc, quote(cmd)), "+ %s\n%s" % (quote(cmd), out))


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


def venv_path(py, pkgs):
    """Where the venv for these packages on this Python lives (suites that agree share it)."""
    specs = sorted(pkg_spec(k, v) for k, v in pkgs.items())
    return os.path.join(RIOT, "py%s-%s" % (py, digest(py, *specs)[:10])), specs


class Setup:
    """What the suites share: uv, per-Python builders and extensions, the editable wheel, venvs."""

    def __init__(self):
        self.uv = None
        self.builders = {}  # py -> builder python
        self.wheel = None  # (path, digest)
        self._venv_locks = {}
        self._lock = threading.Lock()

    def ensure_uv(self):
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
        interp = find_python(py)
        path = os.path.join(BUILD, "py%s" % py)
        bpy = os.path.join(path, "bin", "python")
        want = digest(os.path.realpath(interp), UV_VERSION, *BUILD_REQUIRES)
        if read_stamp(path) != want or not os.path.exists(bpy):
            self.new_venv(path, interp, BUILD_REQUIRES)
            write_stamp(path, want)
        self.builders[py] = bpy
        return bpy

    def ensure_extensions(self, py):
        """``setup.py build_ext --inplace`` for this Python, unless its .so files are current."""
        files = ["setup.py"]
        for pattern in ("*.pyx", "*.pxd", "*.pxi", "*.h"):
            files += glob.glob(os.path.join("ddtrace", "**", pattern), recursive=True)
        sources = ["%s %s" % (f, file_digest(os.path.join(ROOT, f))) for f in sorted(files)]
        stamp_dir = os.path.join(BUILD, "py%s" % py, "ext")
        want = digest(read_stamp(os.path.dirname(stamp_dir)) or "", *sources)
        tag = "cpython-%s-" % py.replace(".", "")
        pyx = glob.glob(os.path.join(ROOT, "ddtrace", "**", "*.pyx"), recursive=True)
        present = all(glob.glob(p[: -len(".pyx")] + "." + tag + "*.so") for p in pyx)
        if read_stamp(stamp_dir) == want and present:
            return False
        jobs = str(os.cpu_count() or 1)
        sh([self.builders[py], "setup.py", "-q", "build_ext", "--inplace", "-j", jobs])
        os.makedirs(stamp_dir, exist_ok=True)
        write_stamp(stamp_dir, want)
        return True

    def ensure_wheel(self, py):
        """The package's editable wheel: metadata, entry points and an import hook, no extensions."""
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
            sh([self.builders[py], "-c", code, path], env=env)
            wheels = glob.glob(os.path.join(path, "*.whl"))
            if len(wheels) != 1:
                raise SetupError("building the editable wheel left %r in %s" % (wheels, path))
            write_stamp(path, want)
        self.wheel = (wheels[0], want)
        return self.wheel

    def ensure_venv(self, py, pkgs):
        """The venv's python and whether it was (re)created. Safe to call from several threads."""
        path, specs = venv_path(py, pkgs)
        with self._lock:
            lock = self._venv_locks.setdefault(path, threading.Lock())
        with lock:
            wheel, wheel_digest = self.wheel
            key = digest(os.path.realpath(find_python(py)), UV_VERSION, wheel_digest, *VENV_REQUIRES, *specs)
            vpy = os.path.join(path, "bin", "python")
            if read_stamp(path) == key and os.path.exists(vpy):
                return vpy, False
            self.new_venv(path, find_python(py), ["ddtrace[test] @ file://" + wheel, *VENV_REQUIRES, *specs])
            write_stamp(path, key)
            return vpy, True


def install_test_agent(setup):
    import scripts.test_agent as test_agent

    if not test_agent.installed():
        try:
            test_agent.install(quiet=True, uv=setup.ensure_uv())
        except subprocess.CalledProcessError as e:
            raise SetupError("installing the test agent: %s" % e)


class Job:
    def __init__(self, leaf, py):
        self.leaf, self.py = leaf, py
        self.name, self.family = leaf["name"], leaf["family"]
        self.result = None
        self.setup_s = self.tests_s = self.cpu_s = 0.0
        self.log = os.path.join(LOGS, "%s-py%s.log" % (self.name, py))

    def run(self, setup, cmdargs, stream):
        """Set up the venv and run the suite; output to stdout (stream) or to self.log."""
        out = sys.stdout if stream else open(self.log, "w")
        try:
            self._run(setup, cmdargs, out)
        except SetupError as e:
            out.write(e.output + "matrix: setting up %s on Python %s failed: %s\n" % (self.name, self.py, e))
            self.result = "SETUP FAILED"
        except Exception:
            out.write(traceback.format_exc())
            self.result = "ERROR"
        finally:
            out.flush()
            if not stream:
                out.close()

    def _run(self, setup, cmdargs, out):
        started = time.monotonic()
        vpy, created = setup.ensure_venv(self.py, self.leaf["pkgs"])
        self.setup_s = time.monotonic() - started
        venv = os.path.relpath(os.path.dirname(os.path.dirname(vpy)), ROOT)
        out.write("\n=== %s on Python %s (%s %s, set up in %.1fs) ===\n" % (
            self.name, self.py, "new venv" if created else "venv", venv, self.setup_s))  # fmt: skip
        env = dict(os.environ)
        env.update(self.leaf["env"])
        env["PATH"] = os.path.dirname(vpy) + os.pathsep + env.get("PATH", "")
        env.pop("VIRTUAL_ENV", None)
        argv = shlex.split(self.leaf["command"].replace("{cmdargs}", " ".join(shlex.quote(a) for a in cmdargs)))
        argv[0] = os.path.join(os.path.dirname(vpy), argv[0])
        out.write("+ %s\n" % quote(argv))
        out.flush()
        tests_started = time.monotonic()
        proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)  # with the CPU time the suite's processes used
        proc.returncode = rc = os.waitstatus_to_exitcode(status)
        self.tests_s = time.monotonic() - tests_started
        self.cpu_s = usage.ru_utime + usage.ru_stime
        if rc == 5:
            out.write("matrix: %s on Python %s collected no tests; that counts as a failure\n" % (self.name, self.py))
        self.result = "ok" if rc == 0 else "FAIL(%d)" % rc


def run_jobs(setup, jobs, n, cmdargs):
    """Run the jobs, n at a time, never two of one family at once."""
    events = queue.Queue()
    stream = n == 1 or len(jobs) == 1
    pending, running = list(jobs), []
    while pending or running:
        busy = {job.family for job in running}
        for job in list(pending):
            if len(running) >= n:
                break
            if job.family in busy:
                continue
            pending.remove(job)
            busy.add(job.family)
            running.append(job)

            def work(job=job):
                try:
                    job.run(setup, cmdargs, stream)
                finally:
                    events.put(job)

            threading.Thread(target=work, name=job.name, daemon=True).start()
        done = events.get()
        running.remove(done)
        if not stream:
            with open(done.log) as fp:
                sys.stdout.write(fp.read())
            sys.stdout.flush()


def main():
    global VERBOSE
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-s", "--suite", action="append", help="suite name(s) to run (default: all)")
    ap.add_argument("-p", "--py", action="append", help="Python version(s) to run (default: each suite's own)")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="suites run at once (default: %(default)s)")
    ap.add_argument("--list", action="store_true", help="list the matrix and exit")
    ap.add_argument("-v", "--verbose", action="store_true", help="show the setup commands and their output")
    ap.add_argument("cmdargs", nargs="*", help="extra arguments for the suite command (after --)")
    args = ap.parse_args()
    VERBOSE = args.verbose

    import riotfile

    leaves = [l for l in riotfile.venv.leaves() if l["command"]]
    known = {venv_path(py, l["pkgs"])[0] for l in leaves for py in l["pys"]}
    if args.suite:
        unknown = set(args.suite) - {l["name"] for l in leaves}
        if unknown:
            raise SystemExit("matrix: unknown suite(s): %s" % ", ".join(sorted(unknown)))
        leaves = [l for l in leaves if l["name"] in args.suite]
    jobs = [Job(l, py) for l in leaves for py in l["pys"] if not args.py or py in args.py]
    if args.list:
        for job in jobs:
            venv = os.path.relpath(venv_path(job.py, job.leaf["pkgs"])[0], ROOT)
            print("%-24s py%-5s %-22s %s" % (job.name, job.py, venv, job.leaf["command"]))
        return 0
    if not jobs:
        raise SystemExit("matrix: nothing to run for that selection")

    for stale in set(glob.glob(os.path.join(RIOT, "py[0-9]*-*"))) - known:
        shutil.rmtree(stale, ignore_errors=True)  # a venv no suite of riotfile.py uses any more
    run_started = time.monotonic()
    setup = Setup()
    try:
        setup.ensure_uv()
        install_test_agent(setup)
        # Every builder first: each Python's Cython then finds the C files newer than its
        # own includes, so the C code is generated once, not once per Python.
        pythons = list(dict.fromkeys(job.py for job in jobs))
        for py in pythons:
            setup.ensure_builder(py)
        setup.ensure_wheel(pythons[0])
    except SetupError as e:
        print(e.output + "matrix: setup failed: %s" % e)
        return 1
    tools_s = time.monotonic() - run_started
    print("matrix: tools ready in %.1fs" % tools_s, flush=True)
    # The extensions of each Python, before any suite runs: a build uses every core.
    builds = {}
    for py in pythons:
        started = time.monotonic()
        try:
            if setup.ensure_extensions(py):
                builds[py] = time.monotonic() - started
                print("matrix: extensions built for Python %s in %.1fs" % (py, builds[py]), flush=True)
        except SetupError as e:
            print(e.output + "matrix: building the extensions for Python %s failed: %s" % (py, e))
            for job in jobs:
                if job.py == py:
                    job.result = "SETUP FAILED"
    os.makedirs(LOGS, exist_ok=True)
    todo = [job for job in jobs if job.result is None]
    print("matrix: %d suite runs, %d at a time" % (len(todo), max(1, args.jobs)), flush=True)
    run_jobs(setup, todo, max(1, args.jobs), args.cmdargs)

    print("\n=== matrix summary ===")
    print("%-24s %-7s %8s %8s %8s  %s" % ("suite", "python", "setup", "tests", "cpu", "result"))
    for job in jobs:
        print("%-24s %-7s %7.1fs %7.1fs %7.1fs  %s" % (
            job.name, job.py, job.setup_s, job.tests_s, job.cpu_s, job.result))  # fmt: skip
    built = ", ".join("py%s %.1fs" % item for item in builds.items())
    print("tools %.1fs; extensions built: %s" % (tools_s, built or "none needed (up to date)"))
    failed = sum(1 for job in jobs if job.result != "ok")
    wall = time.monotonic() - run_started
    load = "load average %.2f %.2f %.2f" % os.getloadavg()
    print("total wall time %.1fs (suite tests %.1fs added up; %s)" % (wall, sum(j.tests_s for j in jobs), load))
    print("matrix: %d suite runs ok, %d failed" % (len(jobs) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
