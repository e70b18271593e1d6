"""Every lazy load of the tracer is a guarded load (ddtrace.internal.lazy).

A fork while another thread runs a first-time import leaves the child blocked forever
on that module's import lock. The tracer loads most of its modules on first use, on
whatever thread gets there first, so each of those loads must be one the fork waits
for. These tests enumerate them:

- statically: every ``import`` inside a function of the tracer names a module that
  ``import ddtrace`` has already loaded (so it only looks it up), or sits inside a
  ``with lazy.loading():`` block; any other lazy load goes through ``lazy.load(name)``.
  A new unguarded one fails here, with its file and line.
- dynamically: a program exercising the tracer (configuration, spans, errors, links,
  sampling rules, propagation, HTTP client integration, logging, a real send, a failing
  agent, start-up logs, flush, exit) records, with an audit hook, every first-time
  import: none may happen on the writer thread, or below a tracer function, outside a
  guarded load. That also catches what the standard library imports by itself (the
  first ``getaddrinfo`` loads the ``idna`` codec).
"""
import ast
import json
import os
import re
import subprocess
import sys

import pytest

from tests.contrib.kit import check
from tests.contrib.kit import python_env
from tests.contrib.kit import run_python

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGE = os.path.join(ROOT, "ddtrace")

#: Code outside the request path, run by the application's own start-up or command
#: (before it can have forked or started threads of its own), or inside the
#: application's own ``patch()`` call / ``import`` statement of the library being
#: instrumented (which holds that library's import lock anyway). Paths relative to
#: ``ddtrace/``; a directory covers everything below it.
OUTSIDE_THE_REQUEST_PATH = {
    "bootstrap/": "sitecustomize at interpreter start-up (ddtrace-run)",
    "commands/": "the ddtrace-run command line (exec's the program, or prints --info)",
    "_monkey.py": "patch()/patch_all(): the application's own call, or its import of the library",
    "contrib/_integration.py": "patching machinery, run by patch() and the post-import hooks",
    "contrib/_registry.py": "the integration table, read by patch_all() and --info",
    "internal/module_hooks.py": "post-import hooks: inside the application's import of the library",
}

#: Integration folders (``contrib/<name>/``): their wrappers import the instrumented
#: library's own modules (loaded by the library before it can call them) and their
#: patch() functions run inside patch(); imports of the tracer's modules there must be
#: guarded like any other. Listed: the ones that predate this check, owned by the
#: integrations' rework (module imported -> reason).
INTEGRATION_IMPORTS_TO_CONVERT = {
    ("flask", "inspect"): "loaded by Flask (and Werkzeug) themselves",
    ("asgi", "urllib.parse"): "loaded by every ASGI server before a request arrives",
    ("wsgi", "urllib.parse"): "loaded by every WSGI server before a request arrives",
}


# sys.stdlib_module_names is 3.10+; what the integrations here import lazily on 3.9.
_STDLIB = getattr(sys, "stdlib_module_names", None) or frozenset(("urllib", "inspect", "asyncio", "re", "json"))

#: Functions of an integration that run inside patch() / unpatch() (or, for a
#: package's ``__getattr__``, the application's own import of a name).
PATCH_TIME_FUNCTIONS = {"patch", "unpatch", "get_version", "_hooks", "__getattr__"}


def _preloaded():
    """Modules in ``sys.modules`` after ``import ddtrace`` in a bare interpreter (-S:
    no site-packages start-up imports, as after a regular install)."""
    code = "import sys, json; import ddtrace; print(json.dumps(sorted(sys.modules)))"
    env = python_env()
    proc = subprocess.run([sys.executable, "-S", "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout))


def _is_outside(rel):
    for prefix in OUTSIDE_THE_REQUEST_PATH:
        if rel == prefix or (prefix.endswith("/") and rel.startswith(prefix)):
            return True
    return False


def _is_guard(item):
    # with lazy.loading(): / with loading():
    call = item.context_expr
    if not isinstance(call, ast.Call):
        return False
    f = call.func
    name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
    return name == "loading"


class _Imports(ast.NodeVisitor):
    """Function-level import statements, with whether each is inside a guard block."""

    def __init__(self, package):
        self.package = package
        self.functions = []
        self.guarded = 0
        self.found = []  # (line, [module names], guarded, outermost function name)

    def _function(self, node):
        self.functions.append(getattr(node, "name", "<lambda>"))
        self.generic_visit(node)
        self.functions.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_With(self, node):
        guard = any(_is_guard(item) for item in node.items)
        self.guarded += guard
        self.generic_visit(node)
        self.guarded -= guard

    def _record(self, node, names):
        if self.functions:
            self.found.append((node.lineno, names, bool(self.guarded), self.functions[0]))

    def visit_Import(self, node):
        self._record(node, [a.name for a in node.names])

    def visit_ImportFrom(self, node):
        if node.level:
            base = self.package.rsplit(".", node.level - 1)[0] if node.level > 1 else self.package
            module = base + ("." + node.module if node.module else "")
        else:
            module = node.module
        # ``from package import name`` may load the submodule package.name
        self._record(node, [module] + ["%s.%s" % (module, a.name) for a in node.names])


_PYX_IMPORT = re.compile(r"^(\s+)(?:from\s+(\S+)\s+import\s+(.+)|import\s+(\S+))")


def _function_imports():
    """(relative path, line, [modules], guarded) for every function-level import."""
    out = []
    for dirpath, dirnames, filenames in os.walk(PACKAGE):
        dirnames[:] = [d for d in dirnames if not d.startswith((".", "__pycache__"))]
        for filename in filenames:
            path = os.path.join(dirpath, filename)
            rel = os.path.relpath(path, PACKAGE).replace(os.sep, "/")
            package = "ddtrace." + os.path.dirname(rel).replace("/", ".") if os.path.dirname(rel) else "ddtrace"
            if filename.endswith(".py"):
                visitor = _Imports(package.rstrip("."))
                with open(path) as f:
                    visitor.visit(ast.parse(f.read(), path))
                out.extend(visitor.found and [(rel,) + f for f in visitor.found])
            elif filename.endswith(".pyx"):
                # Cython: no parser at hand; an indented import is a function-level one.
                with open(path) as f:
                    for n, line in enumerate(f, 1):
                        m = _PYX_IMPORT.match(line)
                        if m and not line.lstrip().startswith("cimport"):
                            if m.group(2):
                                names = [m.group(2)] + ["%s.%s" % (m.group(2), x.strip().split()[0]) for x in m.group(3).split(",")]
                            else:
                                names = [m.group(4)]
                            out.append((rel, n, names, False, None))
    return out


def test_the_scan_sees_the_tracer_imports():
    found = _function_imports()
    files = {f[0] for f in found}
    # Sanity: known lazy users are seen (a scanner that finds nothing passes everything).
    assert "internal/writer.py" in files and "settings/_config.py" in files
    assert any(f[3] for f in found)


def test_every_function_level_import_is_guarded_or_a_lookup():
    preloaded = _preloaded()
    assert "ddtrace.internal.lazy" in preloaded and "envier" not in preloaded
    unguarded = []
    for rel, line, names, guarded, function in _function_imports():
        if guarded or _is_outside(rel):
            continue
        module = names[0]
        # ``from pkg import name``: a lookup if pkg is loaded and name is an attribute
        # of it or a loaded submodule; the audit test below catches the other case.
        if module in preloaded:
            continue
        parts = rel.split("/")
        if parts[0] == "contrib" and len(parts) > 2:
            integration = parts[1]
            if function in PATCH_TIME_FUNCTIONS or function.startswith(("_patch", "_unpatch")):
                continue  # inside the application's patch() call
            top = module.split(".")[0]
            if top != "ddtrace" and top not in _STDLIB:
                continue  # the instrumented library's own module
            if (integration, module) in INTEGRATION_IMPORTS_TO_CONVERT:
                continue
        unguarded.append("ddtrace/%s:%d imports %s" % (rel, line, module))
    assert not unguarded, (
        "lazy imports outside a guarded load (use ddtrace.internal.lazy.load(name), or "
        "`with lazy.loading():`):\n  " + "\n  ".join(unguarded)
    )


def test_every_lazy_load_names_a_module():
    """The modules passed to ``lazy.load`` exist (a typo would only fail on first use)."""
    names = set()
    pattern = re.compile(r"""\bload\(\s*["']([\w.]+)["']\s*\)""")
    for dirpath, _, filenames in os.walk(PACKAGE):
        for filename in filenames:
            if filename.endswith((".py", ".pyx")):
                with open(os.path.join(dirpath, filename)) as f:
                    names.update(pattern.findall(f.read()))
    assert "ddtrace.trace.sampler" in names and "http.client" in names
    optional = {"msgpack", "wrapt"}  # pure-Python encoder fallback; trace_utils.wrap (integrations)
    code = "import importlib.util, json, sys\nprint(json.dumps([n for n in %r if importlib.util.find_spec(n) is None]))" % (
        sorted(names - optional),
    )
    missing = json.loads(check(run_python(code)))
    assert missing == []


# ---------------------------------------------------------------- dynamic

AUDIT_PROGRAM = r"""
import os, sys, threading, json
ROOT = os.path.join({root!r}, "ddtrace") + os.sep
events = []
armed = [False]

def ddtrace_functions_below(frame):
    sites = []
    while frame is not None:
        code = frame.f_code
        if code.co_filename.startswith(ROOT) and code.co_name != "<module>":
            sites.append("%s:%s" % (code.co_filename[len(ROOT):].replace(os.sep, "/"), code.co_name))
        frame = frame.f_back
    return sites

def hook(event, args):
    if event != "import" or not armed[0]:
        return
    name = args[0]
    if name in sys.modules:
        return
    from ddtrace.internal import lazy
    thread = threading.current_thread().name
    if lazy.in_load():
        return
    sites = ddtrace_functions_below(sys._getframe(1))
    if thread.startswith("ddtrace") or sites:
        events.append((name, thread, sites))

sys.addaudithook(hook)
import ddtrace
from ddtrace import tracer, config
armed[0] = True

{workload}

armed[0] = False
print(json.dumps(events))
"""

WORKLOAD = r"""
import http.server, logging, time
from ddtrace import patch
from ddtrace.propagation.http import HTTPPropagator
from ddtrace.trace import Context

class Agent(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_PUT(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'{"rate_by_service": {"service:,env:": 1.0}}'
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    do_POST = do_GET = do_PUT
    def log_message(self, *a):
        pass

agent = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Agent)
threading.Thread(target=agent.serve_forever, daemon=True).start()
os.environ["DD_TRACE_AGENT_URL"] = "http://127.0.0.1:%d" % agent.server_address[1]

def app_thread():
    config.service
    with tracer.trace("root") as root:
        root.set_tag("k", "v")
        root.set_link(1, 2)
        with tracer.trace("child"):
            headers = {}
            HTTPPropagator.inject(tracer.current_span().context, headers)
            HTTPPropagator.extract(headers)
    try:
        with tracer.trace("error"):
            raise ValueError("boom")
    except ValueError:
        pass
    tracer.current_trace_context()
    root.set_traceback()
    logging.getLogger("ddtrace.test").warning("from the application")
    conn = __import__("http.client").client.HTTPConnection("127.0.0.1", agent.server_address[1], timeout=10)
    with tracer.trace("client"):
        conn.request("GET", "/info")
        conn.getresponse().read()
    conn.close()
    tracer.flush()
    done.append(tracer._writer.stats())

done = []
patch(httplib=True)
t = threading.Thread(target=app_thread, name="app")
t.start()
t.join(60)
time.sleep(0.3)  # the writer thread's own wake-up sends too
tracer.shutdown(timeout=10)
assert done and done[0]["sent_traces"] >= 3, done

# Agents that fail: refused, a Unix socket that is not there (retries, drop warnings).
from ddtrace.internal.writer import AgentWriter
from ddtrace.trace import Tracer
for url in ("http://127.0.0.1:1", "unix:///nonexistent/apm.socket"):
    failing = Tracer()
    failing.configure(writer=AgentWriter(agent_url=url, interval=0.01))
    def traced():
        with failing.trace("lost"):
            pass
    t = threading.Thread(target=traced, name="app2")
    t.start()
    t.join(60)
    time.sleep(0.5)
    failing.shutdown(timeout=5)
"""


def test_no_first_time_import_outside_a_guarded_load():
    env = python_env(
        DD_TRACE_STARTUP_LOGS="true",
        DD_TRACE_SAMPLING_RULES='[{"service": "*", "sample_rate": 1.0}]',
        DD_TRACE_WRITER_INTERVAL_SECONDS="0.05",
        DD_TRACE_AGENT_URL=None,
    )
    code = AUDIT_PROGRAM.format(root=ROOT, workload=WORKLOAD)
    out = check(run_python(code, env=env, timeout=120))
    events = json.loads(out.strip().splitlines()[-1])
    bad = [e for e in events if not any(_is_outside(site.split(":")[0]) for site in e[2])]
    assert bad == [], "first-time imports outside a guarded load (module, thread, tracer functions):\n%s" % (
        "\n".join(map(repr, bad))
    )


def test_the_audit_sees_unguarded_loads():
    """With the guard turned off, the audit reports the configuration's load."""
    workload = "from ddtrace.internal import lazy\nlazy._begin = lazy._end = lambda: None\nconfig.service\n"
    code = AUDIT_PROGRAM.format(root=ROOT, workload=workload)
    events = json.loads(check(run_python(code)).strip().splitlines()[-1])
    names = {e[0] for e in events}
    assert {"ddtrace.settings._env", "envier"} <= names, events
    assert all(any(site.startswith("settings/_config.py") for site in e[2]) for e in events), events
