"""``ddtrace-run``: run a Python program with tracing, without changing its code.

::

    ddtrace-run python app.py --port 8000
    ddtrace-run gunicorn app:wsgi
    ddtrace-run --info          # what would be traced, and where the settings come from
    ddtrace-run -d python app.py  # with debug logs

It puts ``ddtrace/bootstrap`` first on ``PYTHONPATH`` and replaces itself with the
command (``exec``): the program keeps its arguments, its process id, its output and
its exit code. At start-up the bootstrap ``sitecustomize`` enables the default
integrations and then runs the program's own ``sitecustomize``, if any.
"""
import os
import sys

USAGE = """usage: ddtrace-run [-h] [-d] [-v] [--info] <command> [<argument> ...]

Run <command> (a Python program: python, gunicorn, celery, ...) with Datadog tracing.

options:
  -h, --help     show this help and exit
  -d, --debug    print ddtrace's debug logs (DD_TRACE_DEBUG=true)
  -v, --version  print the ddtrace version and exit
  --info         print the version, the effective configuration, whether the agent
                 answers, and the integrations that would be enabled; then exit

Configuration comes from DD_* environment variables: DD_SERVICE, DD_ENV, DD_VERSION,
DD_TRACE_AGENT_URL, DD_PATCH_MODULES=flask:true,redis:false, DD_TRACE_<NAME>_ENABLED...
"""

BOOTSTRAP_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bootstrap")


def _parse(argv):
    """``(options, command)``: options end at the first argument that is not one."""
    options = {"debug": False, "info": False, "help": False, "version": False}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            i += 1
            break
        if not arg.startswith("-") or arg == "-":
            break
        if arg in ("-d", "--debug"):
            options["debug"] = True
        elif arg == "--info":
            options["info"] = True
        elif arg in ("-h", "--help"):
            options["help"] = True
        elif arg in ("-v", "--version"):
            options["version"] = True
        else:
            raise ValueError("unknown option %s" % arg)
        i += 1
    return options, argv[i:]


def _pythonpath(environ):
    current = environ.get("PYTHONPATH", "")
    parts = [p for p in current.split(os.pathsep) if p and os.path.abspath(p) != BOOTSTRAP_DIR]
    return os.pathsep.join([BOOTSTRAP_DIR] + parts)


def _resolve(command, environ):
    """``(executable, None)``, or ``(None, (exit status, message))`` when there is none
    to run: what a shell would say, and exit with (127 not found, 126 not runnable)."""
    import shutil

    if os.sep in command or (os.altsep and os.altsep in command):
        if not os.path.exists(command):
            return None, (127, "%s: no such file or directory" % command)
        if os.path.isdir(command):
            return None, (126, "%s: is a directory" % command)
        if not os.access(command, os.X_OK):
            return None, (126, "%s: permission denied (the file is not executable; try: ddtrace-run python %s)" % (command, command))
        return command, None
    found = shutil.which(command, path=environ.get("PATH", os.defpath))
    if found is None:
        return None, (127, "command not found: %s" % command)
    return found, None


def main(argv=None):
    """Entry point of the ``ddtrace-run`` console script."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        options, command = _parse(argv)
    except ValueError as e:
        sys.stderr.write("ddtrace-run: %s\n%s" % (e, USAGE))
        return 2
    if options["help"]:
        sys.stdout.write(USAGE)
        return 0
    if options["version"]:
        from ddtrace.version import __version__

        sys.stdout.write("ddtrace %s\n" % __version__)
        return 0
    if options["debug"]:
        os.environ["DD_TRACE_DEBUG"] = "true"
    if options["info"]:
        return print_info(sys.stdout)
    if not command:
        sys.stderr.write("ddtrace-run: no command given\n" + USAGE)
        return 2

    environ = os.environ
    environ["PYTHONPATH"] = _pythonpath(environ)
    executable, failure = _resolve(command[0], environ)
    if executable is None:
        status, message = failure
        sys.stderr.write("ddtrace-run: %s\n" % message)
        return status
    if options["debug"]:
        sys.stderr.write("ddtrace-run: exec %s %r with PYTHONPATH=%s\n" % (executable, command, environ["PYTHONPATH"]))
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(executable, command)
    except OSError as e:
        sys.stderr.write("ddtrace-run: cannot run %s: %s\n" % (command[0], e))
        return 126
    return 0  # pragma: no cover - execv does not return


# -- ddtrace-run --info

#: Seconds to wait for the agent's answer.
INFO_AGENT_TIMEOUT = 2.0


def _env_names():
    """``{config attribute: [DD_* variables that set it]}`` (best effort)."""
    names = {}
    try:
        from ddtrace.settings._env import RAW_TARGETS
        from ddtrace.settings._env import TracerEnv
        from ddtrace.settings._env import declared
        from ddtrace.settings._env import env_name

        for attr, var in declared(TracerEnv):
            target = RAW_TARGETS.get(attr, attr)
            names.setdefault(target, []).append(env_name(var))
    except Exception:
        pass
    return names


def _short(value, width=48):
    text = repr(value) if not isinstance(value, str) or not value else value
    return text if len(text) <= width else text[: width - 3] + "..."


def _configuration_lines():
    from ddtrace.settings import config

    lines = []
    try:
        sources = config._sources()
    except Exception as e:
        return ["  (could not read the configuration: %r)" % (e,)]
    from ddtrace.internal.agent import redact_url

    names = _env_names()
    rows = []
    for attr in sorted(sources, key=lambda a: a.lstrip("_")):
        value, origin = sources[attr]
        if attr == "_trace_agent_url":
            value = redact_url(value)
        variables = names.get(attr) or [attr]
        also = "  (also %s)" % ", ".join(variables[1:]) if len(variables) > 1 else ""
        rows.append((variables[0], _short(value), origin + also))
    width = max([len(r[0]) for r in rows] + [8])
    vwidth = max([len(r[1]) for r in rows] + [5])
    lines.append("  %-*s  %-*s  %s" % (width, "variable", vwidth, "value", "source"))
    for variable, value, origin in rows:
        lines.append("  %-*s  %-*s  %s" % (width, variable, vwidth, value, origin))
    return lines


def agent_status(url=None, timeout=INFO_AGENT_TIMEOUT):
    """Ask the agent's ``/info`` endpoint. Returns a dict: ``url``, ``reachable``
    (bool), ``version`` (agent version or None), ``endpoints`` (list), ``api``
    (the trace API the tracer will use, or None) and ``error`` (text or None)."""
    import json

    from ddtrace.internal.agent import AgentConnection
    from ddtrace.internal.suppress import suppressed
    from ddtrace.settings import config

    url = url or config._trace_agent_url
    result = {"url": url, "reachable": False, "version": None, "endpoints": [], "api": None, "error": None}
    conn = AgentConnection(url)
    try:
        with suppressed():
            resp = conn.request("GET", "/info", None, {}, timeout)
    except Exception as e:
        result["error"] = "%s: %s" % (type(e).__name__, e)
        return result
    finally:
        conn.close()
    result["reachable"] = True
    if resp.status == 404:
        # Agents older than 7.28 have no /info but still take v0.4 payloads.
        result["api"] = "v0.4"
        return result
    if resp.status != 200:
        result["error"] = "/info answered HTTP %d" % resp.status
        return result
    try:
        info = json.loads(resp.body.decode("utf-8"))
    except Exception as e:
        result["error"] = "/info answer is not JSON: %s" % e
        return result
    result["version"] = info.get("version")
    endpoints = [e for e in info.get("endpoints") or [] if isinstance(e, str)]
    result["endpoints"] = endpoints
    wanted = config._trace_api or "v0.5"
    for api in (wanted, "v0.5", "v0.4"):
        if "/%s/traces" % api in endpoints:
            result["api"] = api
            break
    return result


def _agent_lines():
    from ddtrace.internal.agent import redact_url

    status = agent_status()
    status["url"] = redact_url(status["url"])
    if not status["reachable"]:
        return [
            "  URL: %s" % status["url"],
            "  NOT REACHABLE (%s): traces will be dropped." % status["error"],
            "  Check DD_TRACE_AGENT_URL / DD_AGENT_HOST and that the Datadog Agent runs with APM enabled.",
        ]
    lines = ["  URL: %s" % status["url"], "  reachable, agent version %s" % (status["version"] or "unknown")]
    if status["api"]:
        lines.append("  traces are sent to /%s/traces" % status["api"])
    elif status["error"]:
        lines.append("  but: %s" % status["error"])
    else:
        lines.append("  but it lists no trace endpoint this tracer can use: %s" % ", ".join(status["endpoints"]))
    return lines


def integration_report(environ=None):
    """One dict per integration ``patch_all()`` can enable: ``name``, ``enabled`` (under
    ``ddtrace-run``), ``source`` of that decision, ``installed`` (``[(module, version)]``:
    version None if missing, "" for the standard library), ``supported`` (the range,
    as the docs show it) and ``ok`` (whether every installed version is in its range).
    Imports no instrumented library."""
    from ddtrace._monkey import _enabled_set
    from ddtrace.contrib import _registry
    from ddtrace.contrib._versions import version_satisfies

    enabled, origins = _enabled_set({}, environ)
    report = []
    for row in _registry.rows():
        if not row.patchable or not row.implemented:
            continue
        installed = [(m.name, _registry.installed_version(m)) for m in row.modules]
        ok = True
        for module, (_, version) in zip(row.modules, installed):
            if version and module.versions:
                try:
                    ok = ok and version_satisfies(version, module.versions)
                except ValueError:
                    pass
        report.append(
            {
                "name": row.name,
                "enabled": bool(enabled.get(row.name)),
                "source": origins.get(row.name, "default"),
                "installed": installed,
                "supported": row.versions,
                "ok": ok,
            }
        )
    return report


def _installed_text(item):
    installed = [(m, v) for m, v in item["installed"] if v is not None]
    if not installed:
        return "not installed"
    if all(v == "" for _, v in installed):
        return "standard library"
    if len(item["installed"]) == 1:
        text = installed[0][1]
    else:
        text = ", ".join("%s %s" % (m, v) for m, v in installed)
    if item["ok"] is False:
        text += " (UNSUPPORTED: not traced)"
    return text


#: What ``_monkey._integration_status()`` values mean to a reader.
_STATUS_TEXT = {
    "patched": "patched",
    "pending": "waiting for import",
    "unsupported": "unsupported version: not traced",
    "error": "FAILED: see the log",
}


def _table(header, rows):
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    fmt = "  " + "  ".join("%%-%ds" % w for w in widths)
    return [(fmt % header).rstrip()] + [(fmt % r).rstrip() for r in rows]


def _integration_lines():
    import sys

    from ddtrace.contrib import _registry

    report = integration_report()
    # Only in a process that patched something (print_info called from an application):
    # ddtrace-run --info itself patches nothing.
    monkey = sys.modules.get("ddtrace._monkey")
    status = monkey._integration_status() if monkey is not None else {}
    header = ("integration", "enabled", "decided by", "installed", "supported versions")
    if status:
        header += ("status",)
    rows = []
    for item in report:
        row = (item["name"], "yes" if item["enabled"] else "no", item["source"], _installed_text(item), item["supported"])
        if status:
            row += (_STATUS_TEXT.get(status.get(item["name"]), "not requested"),)
        rows.append(row)
    lines = _table(header, rows)
    code = [r.name for r in _registry.rows() if r.kind == _registry.MIDDLEWARE and r.implemented]
    unsupported = [r for r in _registry.rows() if r.kind == _registry.UNSUPPORTED]
    if code:
        lines.append("  enabled in code (middleware, plugin or wrapper): %s" % ", ".join(code))
    for r in unsupported:
        lines.append("  unsupported: %s (%s)" % (r.name, r.notes))
    return lines


def _integration_setting_lines():
    """Every implemented integration's own settings, and the common ones set in the
    environment or in code, with where each value came from."""
    from ddtrace.contrib import _registry
    from ddtrace.settings import config

    rows = []
    seen = set()
    for row in _registry.rows():
        if not row.implemented:
            continue
        own = {s.env_name(row.config_name) for s in row.settings}
        ic = config._add(row.config_name, declared=row.settings, aliases=row.aliases)
        for variable, value, origin in ic._sources():
            # Some variables are shared (DD_REDIS_RESOURCE_ONLY_COMMAND): list them once.
            if (variable in own or origin != "default") and variable not in seen:
                seen.add(variable)
                rows.append((variable, _short(value), origin))
    if not rows:
        return ["  (none)"]
    return _table(("variable", "value", "source"), rows)


def print_info(out):
    """Write the ``--info`` report to ``out``; returns the exit status (0)."""
    from ddtrace.version import __version__

    out.write("ddtrace %s\n" % __version__)
    out.write("Python %s (%s)\n" % (sys.version.split()[0], sys.executable))
    for title, producer in (
        ("Configuration", _configuration_lines),
        ("Agent", _agent_lines),
        ("Integrations (under ddtrace-run / patch_all)", _integration_lines),
        ("Integration settings", _integration_setting_lines),
    ):
        out.write("\n%s:\n" % title)
        try:
            lines = producer()
        except Exception as e:
            lines = ["  (failed: %r)" % (e,)]
        out.write("\n".join(lines) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
