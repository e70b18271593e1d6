"""The Config object: lazy loading, code over environment, on-load callbacks, reset."""
import sys
import threading

import pytest

import ddtrace
from ddtrace.internal import logger as ddlogger
from ddtrace.settings import Config
from ddtrace.settings import _config
from ddtrace.settings import _env

from .conftest import run_python


def test_one_config_object():
    import ddtrace.settings

    assert ddtrace.config is ddtrace.settings.config
    assert isinstance(ddtrace.config, Config)


def test_import_ddtrace_does_not_load_the_configuration():
    proc = run_python("import sys, ddtrace\nprint('envier' in sys.modules, ddtrace.config._loaded)\n")
    assert proc.stdout.strip() == "False False"


# Imported by ``import ddtrace``; they may import only cheap modules at module level.
EAGER_MODULES = ["__init__.py", "_config.py", "integration.py"]
HEAVY = {"envier", "typing", "logging", "re", "json", "inspect", "urllib", "socket", "attrs", "wrapt"}


@pytest.mark.parametrize("filename", EAGER_MODULES)
def test_eager_modules_import_nothing_heavy(filename):
    import ast
    import os

    import ddtrace.settings

    path = os.path.join(os.path.dirname(ddtrace.settings.__file__), filename)
    with open(path) as f:
        tree = ast.parse(f.read())
    imported = set()
    for node in tree.body:  # module level only: imports inside functions are lazy
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
            if node.module.startswith("ddtrace.settings."):
                assert node.module.rsplit(".", 1)[1] + ".py" in EAGER_MODULES, node.module
    assert not imported & HEAVY


def test_first_use_loads_from_the_environment():
    proc = run_python(
        "import sys, ddtrace\n"
        "print(ddtrace.config.service, ddtrace.config._loaded, 'envier' in sys.modules)\n",
        DD_SERVICE="from-env",
    )
    assert proc.stdout.strip() == "from-env True True"


def test_bad_value_in_the_real_environment_logs_one_warning_and_runs_on():
    proc = run_python(
        "import ddtrace\nprint(ddtrace.config._trace_sample_rate, ddtrace.config._trace_rate_limit)\n",
        DD_TRACE_SAMPLE_RATE="abc",
        DD_TRACE_RATE_LIMIT="-x",
    )
    assert proc.stdout.strip() == "None 100"
    lines = proc.stderr.splitlines()
    assert len([line for line in lines if "DD_TRACE_SAMPLE_RATE" in line]) == 1
    assert len([line for line in lines if "DD_TRACE_RATE_LIMIT" in line]) == 1


def test_creating_a_config_reads_nothing(monkeypatch):
    calls = []
    monkeypatch.setattr(_env, "read_tracer_settings", lambda environ=None: calls.append(environ))
    c = Config(environ={})
    assert calls == [] and c._loaded is False


def test_after_loading_every_setting_is_a_plain_attribute(load):
    c = load({"DD_SERVICE": "web"})
    assert set(_config.SETTING_NAMES) <= set(vars(c))
    assert vars(c)["service"] == "web"


def test_a_value_assigned_before_loading_wins_over_the_environment():
    c = Config(environ={"DD_SERVICE": "env-service", "DD_ENV": "env-env"})
    c.service = "code-service"
    assert c._loaded is False
    assert c.env == "env-env"  # loads
    assert c.service == "code-service"
    sources = c._sources()
    assert sources["service"] == ("code-service", "code")
    assert sources["env"] == ("env-env", "env")


def test_a_value_assigned_after_loading_is_reported_as_code():
    c = Config(environ={"DD_SERVICE": "env-service"})
    assert c.service == "env-service"
    c.service = "later"
    c._trace_rate_limit = 5
    sources = c._sources()
    assert sources["service"] == ("later", "code")
    assert sources["_trace_rate_limit"] == (5, "code")
    assert sources["version"] == (None, "default")


def test_monkeypatching_a_setting_works(monkeypatch):
    c = Config(environ={"DD_SERVICE": "env-service"})
    monkeypatch.setattr(c, "service", "patched")
    assert c.service == "patched"
    monkeypatch.undo()
    assert c.service == "env-service"


def test_unknown_private_names_raise_attribute_error():
    c = Config(environ={})
    with pytest.raises(AttributeError):
        c._no_such_setting
    assert not hasattr(c, "__no_such_dunder__")
    assert c._loaded is True  # looking up a private name loaded the settings first


def test_deleted_setting_raises_attribute_error_instead_of_becoming_an_integration():
    c = Config(environ={})
    c._ensure_loaded()
    del c.service
    with pytest.raises(AttributeError):
        c.service


def test_on_load_callbacks_run_once_in_order_after_loading():
    c = Config(environ={"DD_SERVICE": "web"})
    seen = []
    c._on_load(lambda: seen.append(("first", c.service)))
    c._on_load(lambda: seen.append(("second", c._loaded)))
    assert seen == []
    assert c.env is None  # triggers the load
    assert seen == [("first", "web"), ("second", True)]
    c.version
    c._reset()
    c.service
    assert seen == [("first", "web"), ("second", True)]


def test_on_load_after_loading_runs_right_away():
    c = Config(environ={})
    c._ensure_loaded()
    seen = []
    c._on_load(lambda: seen.append(c._loaded))
    assert seen == [True]


def test_a_failing_callback_is_reported_and_does_not_stop_the_others(internal_errors):
    internal_errors.allowed = True
    c = Config(environ={})
    seen = []

    def bad():
        raise RuntimeError("boom")

    c._on_load(bad)
    c._on_load(lambda: seen.append("ran"))
    assert c.service is None
    assert seen == ["ran"]
    assert [type(e) for _, e in internal_errors.errors] == [RuntimeError]


def test_reset_reads_the_environment_again():
    environ = {"DD_SERVICE": "one"}
    c = Config(environ=environ)
    assert c.service == "one"
    environ["DD_SERVICE"] = "two"
    assert c.service == "one"
    c.env = "code"
    c._reset()
    assert c._loaded is False
    assert c.service == "two"
    assert c.env is None
    c._reset(environ={"DD_SERVICE": "three"})
    assert c.service == "three"


def test_reset_keeps_registered_integrations():
    c = Config(environ={})
    flask = c._add("flask", {"x": 1})
    c._reset()
    assert c.flask is flask


@pytest.mark.parametrize("first", ["olddb", "newdb"])
def test_an_integration_alias_is_the_same_settings_object(first):
    from ddtrace.settings.integration import Setting

    declared = (Setting("rows", bool, False, "x", env="DD_OLDDB_ROWS"),)
    c = Config(environ={"DD_OLDDB_ROWS": "true"})
    c[first]["service"] = "set-in-code"
    ic = c._add("newdb", declared=declared, aliases=("olddb",))
    assert c.olddb is c.newdb is ic is c["olddb"]
    assert ic.integration_name == "newdb"
    assert ic.service == "set-in-code"
    assert ic.rows is True


def test_debug_mode_turns_on_debug_logging_at_load(monkeypatch):
    calls = []
    monkeypatch.setattr(ddlogger, "enable_debug", lambda: calls.append(1))
    c = Config(environ={"DD_TRACE_DEBUG": "true"})
    assert calls == []
    assert c._debug_mode is True
    assert calls == [1]
    c2 = Config(environ={"DD_TRACE_DEBUG": "false"})
    c2._ensure_loaded()
    assert calls == [1]


def test_loads_once_when_many_threads_race(monkeypatch):
    real = _env.read_tracer_settings
    calls = []

    def counting(environ=None):
        calls.append(1)
        return real(environ)

    monkeypatch.setattr(_env, "read_tracer_settings", counting)
    c = Config(environ={"DD_SERVICE": "web"})
    barrier = threading.Barrier(8)
    results = []

    def use():
        barrier.wait()
        results.append(c.service)

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["web"] * 8
    assert calls == [1]


def test_unreadable_environment_falls_back_to_safe_defaults(monkeypatch, internal_errors):
    internal_errors.allowed = True
    # Importing the envier declarations fails (as it would without envier installed).
    monkeypatch.setitem(sys.modules, "ddtrace.settings._env", None)
    c = Config(environ={"DD_SERVICE": "web"})
    assert c.service is None
    assert c._trace_agent_url == "http://localhost:8126"
    assert {name: value for name, (value, _) in c._sources().items()} == dict(
        _config.SAFE_DEFAULTS, _obfuscation_query_string_regexp=_env.DEFAULT_QUERY_STRING_REGEXP
    )
    assert internal_errors.errors and all(isinstance(e, ImportError) for _, e in internal_errors.errors)
    # Integrations still work, with their defaults.
    assert c.flask.distributed_tracing is True
    c.tags["x"] = "y"
    assert _config.SAFE_DEFAULTS["tags"] == {}


def test_repr_does_not_load():
    c = Config(environ={})
    assert "not loaded" in repr(c)
    assert c._loaded is False


def test_global_config_reads_os_environ(monkeypatch):
    monkeypatch.setenv("DD_VERSION", "9.9")
    c = Config()
    assert c.version == "9.9"


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_forked_child_is_not_blocked_by_a_lock_held_in_the_parent():
    proc = run_python(
        "import os, threading, ddtrace\n"
        "from ddtrace import config\n"
        "held, release = threading.Event(), threading.Event()\n"
        "def hold():\n"
        "    with config._lock:\n"
        "        held.set(); release.wait()\n"
        "threading.Thread(target=hold).start()\n"
        "held.wait()\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os._exit(0 if config._add('flask', {}).distributed_tracing else 1)\n"
        "release.set()\n"
        "import time\n"
        "deadline = time.monotonic() + 60\n"
        "while time.monotonic() < deadline:\n"
        "    done, status = os.waitpid(pid, os.WNOHANG)\n"
        "    if done:\n"
        "        print('exit', status >> 8); break\n"
        "    time.sleep(0.01)\n"
        "else:\n"
        "    os.kill(pid, 9); print('hung')\n"
    )
    assert proc.stdout.strip() == "exit 0"
