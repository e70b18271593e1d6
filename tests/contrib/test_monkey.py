"""The integration framework: post-import hooks, the patch template, version checks,
``patch`` / ``patch_all`` / ``unpatch``, and the registry."""
import os
import re
import sys
import textwrap
import types

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from ddtrace import _monkey
from ddtrace.contrib import _registry
from ddtrace.contrib._integration import Integration
from ddtrace.contrib._integration import guard
from ddtrace.contrib._integration import version_satisfies
from ddtrace.internal import module_hooks
from tests.contrib.kit import check
from tests.contrib.kit import python_env
from tests.contrib.kit import run_python

# -- post-import hooks


@pytest.fixture
def module_dir(tmp_path, monkeypatch):
    """A directory on sys.path to write throw-away modules into."""
    monkeypatch.syspath_prepend(str(tmp_path))
    created = []

    def write(name, source):
        path = tmp_path.joinpath(*name.split("."))
        if "." in name:
            path.parent.mkdir(parents=True, exist_ok=True)
            init = path.parent / "__init__.py"
            if not init.exists():
                init.write_text("")
        path.with_suffix(".py").write_text(textwrap.dedent(source))
        created.append(name)
        return name

    yield write
    for name in created:
        sys.modules.pop(name, None)
        sys.modules.pop(name.split(".")[0], None)
        module_hooks._pending.pop(name, None)


def test_hook_runs_after_the_import(module_dir):
    name = module_dir("dd_hook_target_a", "VALUE = 1\n")
    seen = []
    module_hooks.register_post_import_hook(name, lambda m: seen.append(m.VALUE))
    assert seen == [] and name not in sys.modules
    import dd_hook_target_a  # noqa: F401

    assert seen == [1]
    import importlib

    importlib.reload(dd_hook_target_a)
    assert seen == [1]  # once


def test_hook_runs_at_once_for_an_imported_module():
    seen = []
    module_hooks.register_post_import_hook("os", seen.append)
    assert seen == [os]


def test_loader_is_restored(module_dir):
    name = module_dir("dd_hook_target_b", "X = 1\n")
    module_hooks.register_post_import_hook(name, lambda m: None)
    import dd_hook_target_b

    assert type(dd_hook_target_b.__loader__).__name__ == "SourceFileLoader"
    assert dd_hook_target_b.__spec__.loader is dd_hook_target_b.__loader__


def test_submodule_hook(module_dir):
    name = module_dir("dd_hook_pkg.sub", "Y = 2\n")
    seen = []
    module_hooks.register_post_import_hook(name, lambda m: seen.append(m.Y))
    import dd_hook_pkg  # noqa: F401

    assert seen == []
    import dd_hook_pkg.sub  # noqa: F401

    assert seen == [2]


def test_failing_hook_never_breaks_the_import(module_dir, internal_errors):
    internal_errors.allowed = True
    name = module_dir("dd_hook_target_c", "Z = 3\n")

    def bad(module):
        raise RuntimeError("hook bug")

    later = []
    module_hooks.register_post_import_hook(name, bad)
    module_hooks.register_post_import_hook(name, later.append)
    import dd_hook_target_c

    assert dd_hook_target_c.Z == 3
    assert later == [dd_hook_target_c]  # the next hook still runs
    assert len(internal_errors.errors) == 1


def test_failed_import_keeps_the_hook(module_dir, tmp_path):
    name = module_dir("dd_hook_target_d", "raise ImportError('not yet')\n")
    seen = []
    module_hooks.register_post_import_hook(name, seen.append)
    with pytest.raises(ImportError, match="not yet"):
        import dd_hook_target_d  # noqa: F401
    assert seen == []
    (tmp_path / "dd_hook_target_d.py").write_text("OK = True\n")
    import importlib

    importlib.invalidate_caches()
    sys.modules.pop(name, None)
    mod = importlib.import_module(name)
    assert seen == [mod]


def test_unregister(module_dir):
    name = module_dir("dd_hook_target_e", "")
    seen = []
    module_hooks.register_post_import_hook(name, seen.append)
    assert module_hooks.unregister_post_import_hook(name, seen.append)
    assert not module_hooks.unregister_post_import_hook(name, seen.append)
    import dd_hook_target_e  # noqa: F401

    assert seen == []


def test_other_imports_are_untouched(module_dir):
    name = module_dir("dd_hook_target_f", "")
    module_hooks.register_post_import_hook("dd_hook_other_name", lambda m: None)
    import dd_hook_target_f

    assert type(dd_hook_target_f.__spec__.loader).__name__ == "SourceFileLoader"
    module_hooks._pending.pop("dd_hook_other_name", None)


# -- versions


@pytest.mark.parametrize(
    "version,spec,ok",
    [
        ("2.31.0", ">=2.20,<3", True),
        ("3.0", ">=2.20,<3", False),
        ("2.20", ">=2.20,<3", True),
        ("2.19.9", ">=2.20", False),
        ("1.26.18", ">=1.25,<3", True),
        ("2.0.0rc1", ">=2.0", True),
        ("1.4.5", "~=1.4.2", True),
        ("1.5.0", "~=1.4.2", False),
        ("5.2.1", "==5.2.*", True),
        ("5.3", "==5.2.*", False),
        ("5.3", "!=5.2.*", True),
        ("1.0", "!=1.0.0", False),
        ("anything", ">=1", True),  # no number: not refused
        ("1.2", "", True),
    ],
)
def test_version_satisfies(version, spec, ok):
    assert version_satisfies(version, spec) is ok


def test_bad_spec_raises():
    with pytest.raises(ValueError):
        version_satisfies("1.0", ">=abc")


_versions = st.lists(st.integers(0, 30), min_size=1, max_size=4).map(lambda parts: ".".join(map(str, parts)))


@pytest.fixture(scope="module")
def specifiers():
    return pytest.importorskip("packaging.specifiers")


# No deadline: on a loaded machine the first example (and packaging's own first use)
# may take longer than hypothesis's default 200 ms; speed is not what is tested.
@settings(deadline=None)
@given(version=_versions, op=st.sampled_from([">=", "<=", ">", "<", "==", "!="]), bound=_versions)
def test_version_satisfies_agrees_with_packaging(specifiers, version, op, bound):
    expected = specifiers.SpecifierSet(op + bound).contains(version)
    assert version_satisfies(version, op + bound) is expected


# -- the patch template


def _target():
    class Base:
        def greet(self, who):
            return "hello " + who

        @staticmethod
        def static():
            return "static"

    class Child(Base):
        pass

    mod = types.ModuleType("dd_fake_lib")
    mod.Base = Base
    mod.Child = Child
    mod.func = lambda: "func"
    return mod


@pytest.fixture
def fake_lib():
    mod = _target()
    sys.modules[mod.__name__] = mod
    yield mod
    sys.modules.pop(mod.__name__, None)


def _upper(wrapped, instance, args, kwargs):
    return wrapped(*args, **kwargs).upper()


def _fake(name="fake", module="dd_fake_lib", versions="", service=None):
    """An integration of a throw-away row (no distribution: the module's ``__version__``)."""
    return Integration(name, row=_registry.Row(name, {module: versions}, service=service))


def test_patch_unpatch_restores(fake_lib):
    integ = _fake()
    originals = (fake_lib.Base.__dict__["greet"], fake_lib.Base.__dict__["static"], fake_lib.func)

    @integ.on_import("dd_fake_lib")
    def setup(mod):
        integ.wrap(mod.Base, "greet", _upper)
        integ.wrap(mod.Base, "static", _upper)
        integ.wrap(mod, "func", _upper)
        integ.wrap(mod.Child, "greet", _upper)  # inherited: unpatch must delete it again

    assert integ.status == "unpatched"
    assert integ.patch() is True
    assert integ.is_patched() and integ.status == "patched"
    assert fake_lib._datadog_patch is True
    assert fake_lib.Base().greet("x") == "HELLO X"
    assert fake_lib.Base.static() == "STATIC"
    assert fake_lib.func() == "FUNC"
    assert integ.patch() is False  # twice patches once
    assert fake_lib.Base().greet("x") == "HELLO X"

    assert integ.unpatch() is True
    assert (fake_lib.Base.__dict__["greet"], fake_lib.Base.__dict__["static"], fake_lib.func) == originals
    assert "greet" not in fake_lib.Child.__dict__
    assert fake_lib.Child().greet("y") == "hello y"
    assert fake_lib._datadog_patch is False
    assert integ.unpatch() is False
    assert integ.patch() is True  # and again
    assert fake_lib.func() == "FUNC"
    integ.unpatch()


def test_wrap_own_skips_inherited_methods(fake_lib):
    integ = _fake()

    @integ.on_import("dd_fake_lib")
    def setup(mod):
        integ.wrap_own(mod.Base, {"greet": _upper})
        integ.wrap_own(mod.Child, {"greet": _upper})  # inherited: left alone

    integ.patch()
    try:
        assert fake_lib.Child().greet("x") == "HELLO X"  # wrapped once, not twice
        assert "greet" not in fake_lib.Child.__dict__
    finally:
        integ.unpatch()


def test_wrap_on_import_table(fake_lib):
    integ = _fake()
    integ.wrap_on_import(
        "dd_fake_lib",
        {
            "": {"func": _upper},
            "Base": {"greet": _upper},
            "Child": {"greet": _upper},  # inherited: left alone
            "NotInThisVersion": {"x": _upper},  # absent: skipped
        },
    )
    integ.patch()
    try:
        assert fake_lib.func() == "FUNC"
        assert fake_lib.Child().greet("x") == "HELLO X"
        assert "greet" not in fake_lib.Child.__dict__
    finally:
        integ.unpatch()
    assert fake_lib.func() == "func"


def test_failed_setup_is_undone_and_reported(fake_lib, internal_errors):
    internal_errors.allowed = True
    integ = _fake()
    original = fake_lib.Base.__dict__["greet"]

    @integ.on_import("dd_fake_lib")
    def breaks(mod):
        integ.wrap(mod.Base, "greet", _upper)
        raise AttributeError("the library changed")

    @integ.on_import("dd_fake_lib")
    def works(mod):  # after the failure: still set up
        integ.wrap(mod, "func", _upper)

    integ.patch()
    # Only the failing set-up's work is undone; the status says something failed.
    assert fake_lib.Base.__dict__["greet"] is original
    assert fake_lib.func() == "FUNC"
    assert integ.status == "error"
    assert [w for w, _ in internal_errors.errors] == ["patching fake (dd_fake_lib)"]
    integ.unpatch()
    assert fake_lib.func() == "func"


def test_setup_waits_for_its_module(module_dir):
    integ = _fake(module="dd_kit_lib")
    module_dir("dd_kit_lib", "def f():\n    return 'f'\n")
    module_dir("dd_kit_lib.extra", "def g():\n    return 'g'\n")
    calls = []

    @integ.on_import("dd_kit_lib.extra")
    def setup(extra):
        calls.append(extra.__name__)
        integ.wrap(extra, "g", _upper)

    assert integ.patch() is True  # on, though nothing is instrumented before dd_kit_lib.extra is imported
    assert integ.status == "pending" and calls == []
    import dd_kit_lib.extra

    assert calls == ["dd_kit_lib.extra"] and integ.status == "patched"
    assert dd_kit_lib.extra.g() == "G"
    integ.unpatch()
    assert dd_kit_lib.extra.g() == "g"


def test_unpatch_forgets_modules_not_imported_yet(module_dir):
    integ = _fake(module="dd_kit_lib2")
    module_dir("dd_kit_lib2", "")
    module_dir("dd_kit_lib2.late", "def g():\n    return 'g'\n")

    @integ.on_import("dd_kit_lib2.late")
    def setup(late):
        integ.wrap(late, "g", _upper)

    integ.patch()
    integ.unpatch()
    import dd_kit_lib2.late

    assert dd_kit_lib2.late.g() == "g"


def test_unsupported_version_is_left_alone(fake_lib):
    fake_lib.__version__ = "1.5.0"
    integ = _fake(versions=">=2.0,<3")

    @integ.on_import("dd_fake_lib")
    def setup(mod):
        integ.wrap(mod, "func", _upper)

    integ.patch()
    assert integ.status == "unsupported" and not integ.is_patched()
    assert fake_lib.func() == "func"
    assert integ.version() == "1.5.0"
    integ.unpatch()


def test_patch_of_a_missing_library_raises_importerror():
    integ = _fake(module="dd_library_that_does_not_exist")
    with pytest.raises(ImportError):
        integ.patch()


def test_an_integration_needs_a_registry_row():
    with pytest.raises(ValueError, match="no row"):
        Integration("not_in_the_registry")


def test_guard_reports_and_swallows(internal_errors):
    internal_errors.allowed = True
    with guard("doing tracer work"):
        raise KeyError("x")
    assert [w for w, _ in internal_errors.errors] == ["doing tracer work"]
    with pytest.raises(KeyboardInterrupt):
        with guard("never swallowed"):
            raise KeyboardInterrupt


def test_should_trace(monkeypatch):
    from ddtrace.internal.suppress import suppressed
    from ddtrace.settings import config
    from ddtrace.trace import Pin
    from ddtrace.trace import Tracer

    integ = _fake("fake_should_trace", "os")
    assert integ.should_trace()
    with suppressed():
        assert not integ.should_trace()
    monkeypatch.setitem(config.fake_should_trace, "enabled", False)
    assert not integ.should_trace()
    monkeypatch.setitem(config.fake_should_trace, "enabled", True)
    other = Tracer()
    other.enabled = False
    assert not integ.should_trace(Pin(tracer=other))
    assert integ.tracer(Pin(tracer=other)) is other


def test_service_precedence(monkeypatch):
    from ddtrace.settings import config
    from ddtrace.trace import Pin

    monkeypatch.setattr(config, "service", "the-app")
    client = _fake("fake_client_service", "os", service="dflt")
    server = _fake("fake_server_service", "os")
    assert client.service() == "dflt"
    assert server.service() == "the-app"  # DD_SERVICE
    monkeypatch.setitem(config.fake_client_service, "service_name", "legacy")
    assert client.service() == "legacy"
    monkeypatch.setitem(config.fake_client_service, "service", "configured")
    assert client.service() == "configured"
    assert client.service(Pin(service="pinned")) == "pinned"


def test_start_span_tags(spans):
    from ddtrace.trace import Pin

    integ = _fake("fake_span", "os", service="fake-db")
    span = integ.start_span(
        "fake.query", Pin(tags={"team": "a"}), resource="SELECT 1", span_type="sql", kind="client",
        measured=True, host="db.local", port=5432,
    )
    span.finish()
    (got,) = spans()
    assert (got.name, got.service, got.resource, got.span_type) == ("fake.query", "fake-db", "SELECT 1", "sql")
    assert got.get_tags() == {
        "component": "fake_span", "span.kind": "client", "out.host": "db.local", "server.address": "db.local",
        "team": "a", **{k: v for k, v in got.get_tags().items() if k.startswith("_dd") or k in ("language", "runtime-id")},
    }
    assert got.get_metric("network.destination.port") == 5432 and got.get_metric("_dd.measured") == 1


def test_start_span_failure_is_none(internal_errors):
    internal_errors.allowed = True

    class BrokenPin:
        service = None
        tags = None

        @property
        def _tracer(self):
            raise RuntimeError("broken tracer")

    assert _fake("fake_broken", "os").start_span("x", BrokenPin()) is None
    assert [w for w, _ in internal_errors.errors] == ["starting a x span"]


# -- patch / patch_all resolution


def test_enabled_set_precedence():
    env = {
        "DD_TRACE_REQUESTS_ENABLED": "false",
        "DD_TRACE_URLLIB3_ENABLED": "true",
        "DD_PATCH_MODULES": "httplib:true, urllib3:false,logging:no",
    }
    enabled, origins = _monkey._enabled_set({"logging": True}, env)
    assert enabled["requests"] is False and origins["requests"] == "DD_TRACE_REQUESTS_ENABLED"
    assert enabled["urllib3"] is False and origins["urllib3"] == "DD_PATCH_MODULES"
    assert enabled["httplib"] is True
    assert enabled["logging"] is True and origins["logging"] == "code"
    assert enabled["futures"] is True and origins["futures"] == "default"


def test_bad_values_are_ignored():
    enabled, origins = _monkey._enabled_set({}, {"DD_TRACE_REQUESTS_ENABLED": "maybe", "DD_PATCH_MODULES": "flask,redis:x"})
    assert enabled["requests"] is True and origins["requests"] == "default"
    assert "flask" not in origins or origins["flask"] == "default"


def test_defaults_match_the_reference_tracer():
    off = {name for name, on in _registry.defaults().items() if not on}
    assert off == {"httplib", "urllib3", "sqlalchemy", "kombu", "tornado", "aiobotocore"}


# -- the registry

# Every integration of INTEGRATIONS.md (the product's scope).
EXPECTED = """
asgi aiohttp bottle cherrypy django djangorestframework falcon flask fastapi gunicorn molten pylons
pyramid pytest sanic starlette tornado wsgi algoliasearch asyncpg cassandra elasticsearch flask_cache
mariadb pylibmc pymemcache mongoengine pymongo mysqldb mysql aiopg psycopg pynamodb pyodbc redis
rediscluster sqlalchemy sqlite3 vertica aiobotocore asyncio botocore boto celery consul futures
gevent grpc httplib jinja2 kombu mako requests urllib3 graphql logging
""".split()


def test_registry_lists_every_integration():
    assert sorted(r.name for r in _registry.rows()) == sorted(EXPECTED)


def test_implemented_flags_match_the_code():
    contrib = os.path.dirname(os.path.abspath(_registry.__file__))
    for row in _registry.rows():
        has_patch = os.path.exists(os.path.join(contrib, row.name, "patch.py"))
        if row.kind == _registry.AUTO:
            assert row.implemented == has_patch, row.name


def test_patchable_rows_have_trigger_modules():
    for row in _registry.rows():
        if row.patchable:
            assert row.modules, row.name


def test_version_ranges_are_valid():
    for row in _registry.rows():
        for module in row.modules:
            version_satisfies("1.0", module.versions)  # raises on a malformed range


@pytest.mark.parametrize(
    "spec,text",
    [(">=3.0,<4", "3.x"), (">=3.2,<6", "3.2 - 5.x"), (">=2.8", "2.8+"), (">=0.12,<0.14", "0.12 - 0.13"), ("", "any")],
)
def test_describe_versions(spec, text):
    assert _registry.describe_versions(spec) == text


def test_the_row_is_the_only_declaration():
    # No integration declares its versions, settings or defaults anywhere else.
    contrib = os.path.dirname(os.path.abspath(_registry.__file__))
    for root, _, files in os.walk(contrib):
        for f in files:
            if f.endswith(".py"):
                text = open(os.path.join(root, f)).read()
                assert not re.search(r"^SUPPORTED = ", text, re.M), f
                assert "os.environ" not in text or f == "_registry.py", os.path.join(root, f)


def test_every_implemented_row_has_a_lifecycle_suite():
    tests = os.path.join(os.path.dirname(os.path.abspath(__file__)))
    for row in _registry.rows():
        if row.implemented and row.patchable:
            folder = os.path.join(tests, row.name)
            texts = [open(os.path.join(folder, f)).read() for f in os.listdir(folder) if f.endswith(".py")]
            assert any("lifecycle_tests(" in t for t in texts), "no lifecycle_tests() in %s" % folder


def test_declared_settings_reach_the_config(monkeypatch):
    from ddtrace.settings import Config

    c = Config(environ={"DD_REDIS_CMD_MAX_LENGTH": "12", "DD_REDIS_RESOURCE_ONLY_COMMAND": "nope"})
    ic = c._add("redis", declared=_registry.get("redis").settings)
    assert ic.cmd_max_length == 12 and ic._origin("cmd_max_length") == "env"
    assert ic.resource_only_command is True and ic._origin("resource_only_command") == "default"
    sources = {var: (value, origin) for var, value, origin in ic._sources()}
    assert sources["DD_REDIS_CMD_MAX_LENGTH"] == (12, "env")
    assert sources["DD_REDIS_SERVICE"] == (None, "default")
    ic.cmd_max_length = 3
    assert {v: o for v, _, o in ic._sources()}["DD_REDIS_CMD_MAX_LENGTH"] == "code"


def test_code_set_before_registration_wins_over_declared_defaults():
    from ddtrace.settings import Config

    c = Config(environ={})
    c.redis["cmd_max_length"] = 50
    ic = c._add("redis", declared=_registry.get("redis").settings)
    assert ic.cmd_max_length == 50


def test_render_rst():
    text = _registry.render_rst()
    for row in _registry.rows():
        assert row.name in text
    assert ":doc:`requests <integrations/requests>`" in text
    assert "``tornado``" in text  # not written yet: no page to link to


def test_render_integration_pages(tmp_path):
    written = _registry.render_integration_pages(str(tmp_path))
    names = sorted(os.path.basename(p)[:-4] for p in written)
    assert names == sorted(r.name for r in _registry.rows() if r.implemented and r.name != "djangorestframework")
    assert ".. automodule:: ddtrace.contrib.requests" in (tmp_path / "requests.rst").read_text()


# -- in fresh interpreters


@pytest.mark.subprocess
def test_patch_all_imports_nothing():
    out = check(
        run_python(
            """
            import sys
            import ddtrace._monkey as m
            before = set(sys.modules)
            m.patch_all(urllib3=True, httplib=True)
            new = sorted(set(sys.modules) - before)
            print([n for n in new if n.split(".")[0] in ("requests", "urllib3", "http", "asyncio", "concurrent", "wrapt")])
            """
        )
    )
    assert out.strip() == "[]"


@pytest.mark.subprocess
def test_import_ddtrace_stays_light():
    out = check(
        run_python(
            """
            import sys
            import ddtrace
            print(sorted(m for m in ("ddtrace._monkey", "ddtrace.contrib._registry", "wrapt", "logging", "http.client")
                         if m in sys.modules))
            """
        )
    )
    assert out.strip() == "[]"


@pytest.mark.subprocess
def test_public_patch_functions():
    out = check(
        run_python(
            """
            import sys
            import ddtrace
            assert "ddtrace._monkey" not in sys.modules
            ddtrace.patch(requests=True)
            import requests
            import ddtrace._monkey as m
            assert ddtrace.patch is m.patch and ddtrace.patch_all is m.patch_all
            print(m.get_patched_modules())
            """
        )
    )
    assert out.strip() == "['requests']"


@pytest.mark.subprocess
def test_unknown_and_missing_integrations_warn_explicitly_only():
    code = """
        import ddtrace._monkey as m
        m.patch(not_an_integration=True, tornado=True, pylons=True, asgi=True)
        print("done")
    """
    proc = run_python(code)
    assert check(proc).strip() == "done"
    assert "unknown integration 'not_an_integration'" in proc.stderr
    assert "tornado is not available in this release" in proc.stderr
    assert "pylons is not supported" in proc.stderr
    assert "asgi is not enabled by patching" in proc.stderr

    quiet = run_python(
        """
        import ddtrace._monkey as m
        m.patch_all()
        print("done")
        """
    )
    assert check(quiet).strip() == "done"
    assert quiet.stderr == ""


@pytest.mark.subprocess
def test_library_not_installed_named_explicitly(tmp_path):
    # A fake registry row for a library that is not installed.
    code = """
        import ddtrace._monkey as m
        from ddtrace.contrib import _registry
        _registry.REGISTRY["requests"].modules = (_registry.Module("dd_not_installed_lib"),)
        m.patch(requests=True)
        print(m._integration_status())
    """
    proc = run_python(code)
    assert check(proc).strip() == "{'requests': 'pending'}"
    assert "is not installed" in proc.stderr


@pytest.mark.subprocess
@pytest.mark.parametrize("explicit", [True, False])
def test_unsupported_version_is_not_patched(explicit):
    code = """
        import sys
        from ddtrace.contrib import _registry
        _registry.REGISTRY["requests"].modules[0].versions = ">=99"
        import ddtrace._monkey as m
        %s
        import requests
        print(m._integration_status().get("requests"), "ddtrace.contrib.requests.patch" in sys.modules)
    """ % ("m.patch(requests=True)" if explicit else "m.patch_all()")
    proc = run_python(code)
    assert check(proc).strip() == "unsupported False"
    assert ("supported versions are >=99" in proc.stderr) is explicit


@pytest.mark.subprocess
def test_a_failing_patch_never_breaks_the_users_import():
    # ... and is reported as failed, not patched (by get_patched_modules and --info).
    code = """
        import ddtrace.contrib.requests.patch as pm
        @pm.integration.on_import("requests")
        def broken(requests):
            raise RuntimeError("patch bug")
        import ddtrace._monkey as m
        m.patch(requests=True)
        import requests
        print(requests.__name__, m._integration_status()["requests"], m.get_patched_modules())
    """
    proc = run_python(code)
    assert check(proc).strip() == "requests error []"
    assert "patch bug" in proc.stderr


@pytest.mark.subprocess
def test_debug_line_for_patch_all():
    proc = run_python(
        """
        import ddtrace._monkey as m
        m.patch_all()
        import requests
        """,
        env=python_env(DD_TRACE_DEBUG="true"),
    )
    check(proc)
    assert "patched requests" in proc.stderr


@pytest.mark.subprocess
def test_set_up_is_immediate_inside_the_users_own_imports(tmp_path):
    # Only imports of standard modules in progress delay a set-up (see
    # test_logging_first_imported_by_another_module_under_patch_all): a library
    # imported by the application's module is patched before that module's next line.
    (tmp_path / "dd_users_module.py").write_text(
        "import concurrent.futures.thread as t\n"
        "PATCHED_AT_IMPORT = type(t.ThreadPoolExecutor.__dict__['submit']).__name__ == 'FunctionWrapper'\n"
    )
    code = """
        import sys
        sys.path.insert(0, sys.argv[1])
        import ddtrace._monkey as m
        m.patch(futures=True)
        import dd_users_module
        print(dd_users_module.PATCHED_AT_IMPORT)
    """
    assert check(run_python(code, args=[str(tmp_path)])).strip() == "True"
