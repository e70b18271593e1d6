"""The registry of integrations: one row per integration, the only place its facts live.

A row says everything the framework needs to know about an integration without
importing it: its name (``ddtrace.patch(<name>=True)``, ``config.<name>``,
``DD_TRACE_<NAME>_ENABLED``), the modules whose import triggers it with the versions
supported for each and the PyPI distributions those versions are read from, whether
``patch_all()`` / ``ddtrace-run`` enables it by default, the service its client spans
use, and its own settings (``DD_<NAME>_<KEY>``, parsed by the settings system).
``ddtrace._monkey``, :class:`ddtrace.contrib._integration.Integration`,
``ddtrace-run --info``, the docs page (:func:`render_rst`) and the test matrix's checks
all read this table.

Importing this module imports nothing heavier than the settings declarations:
``ddtrace-run`` reads it at start-up.
"""
from __future__ import annotations

from ddtrace.contrib._versions import distribution_version
from ddtrace.settings.integration import Setting

#: How an integration is enabled.
AUTO = "auto"  # ddtrace.patch() / patch_all() instrument the library on import
MIDDLEWARE = "middleware"  # the user adds a middleware / plugin / wrapper in code
UNSUPPORTED = "unsupported"  # listed so users find the reason


class Module:
    """A module whose import triggers an integration.

    ``name``
        The module (``"psycopg2"``, ``"mysql.connector"``).
    ``versions``
        The supported versions of its distribution (``">=2.8,<3"``; ``""``: any). An
        installed version outside the range is left untraced, with a warning.
    ``distributions``
        PyPI distributions its version is read from (the first installed wins); empty
        for the standard library.
    """

    __slots__ = ("name", "versions", "distributions")

    def __init__(self, name, versions="", distributions=None):
        self.name = name
        self.versions = versions
        if distributions is None:
            distributions = (name.split(".")[0],)
        self.distributions = tuple(distributions)

    @property
    def stdlib(self):
        return not self.distributions

    def __repr__(self):
        return "Module(%r, %r, %r)" % (self.name, self.versions, self.distributions)


class Row:
    """One integration. Attributes:

    ``name``
        ``patch(<name>=True)``, ``config.<name>``, ``ddtrace/contrib/<name>/``.
    ``modules``
        The :class:`Module` objects whose import triggers the patch. Written as a dict
        ``{module: versions}`` when every module's version comes from its top-level
        package (or from ``distributions``, the same for all of them).
    ``default``
        Enabled by ``patch_all()`` / ``ddtrace-run`` unless switched off.
    ``implemented``
        ``ddtrace/contrib/<name>/`` exists in this release.
    ``kind``
        :data:`AUTO`, :data:`MIDDLEWARE` or :data:`UNSUPPORTED`.
    ``service``
        The service of the integration's spans when neither a pin nor
        ``DD_<NAME>_SERVICE`` names one; None: ``DD_SERVICE`` (servers, in-process work).
    ``settings``
        The integration's own :class:`~ddtrace.settings.integration.Setting` objects
        (every integration also has ``service``, ``distributed_tracing``, ``enabled``
        and ``trace_query_string``).
    ``config_name``
        The name of its settings, ``config.<config_name>`` and ``DD_<CONFIG_NAME>_*``,
        when users know them under another name than the integration's (``sqlite3``:
        ``config.sqlite``, ``DD_SQLITE_SERVICE``).
    ``aliases``
        Other names ``config.<alias>`` answers to with the same settings object.
    ``library``, ``category``, ``notes``
        For the documentation.
    """

    __slots__ = (
        "name",
        "config_name",
        "aliases",
        "modules",
        "default",
        "implemented",
        "kind",
        "service",
        "settings",
        "library",
        "category",
        "notes",
    )

    def __init__(
        self,
        name,
        modules=(),
        distributions=None,
        default=True,
        implemented=False,
        kind=AUTO,
        service=None,
        settings=(),
        library=None,
        category="library",
        notes="",
        config_name=None,
        aliases=(),
    ):
        self.name = name
        self.config_name = config_name or name
        self.aliases = tuple(aliases)
        if isinstance(modules, dict):
            modules = tuple(Module(m, spec, distributions) for m, spec in modules.items())
        self.modules = tuple(modules)
        self.default = default
        self.implemented = implemented
        self.kind = kind
        self.service = service
        self.settings = tuple(settings)
        self.library = library or name
        self.category = category
        self.notes = notes

    @property
    def patchable(self):
        """True if ``ddtrace.patch(<name>=True)`` can enable it (no code change needed)."""
        return self.kind == AUTO

    @property
    def stdlib(self):
        return bool(self.modules) and all(m.stdlib for m in self.modules)

    @property
    def module_names(self):
        return tuple(m.name for m in self.modules)

    @property
    def distributions(self):
        """Every distribution named by the row's modules, in order."""
        seen = []
        for m in self.modules:
            for d in m.distributions:
                if d not in seen:
                    seen.append(d)
        return tuple(seen)

    def module(self, name):
        """The trigger :class:`Module` that ``name`` (a module or a submodule of one)
        belongs to, or None."""
        best = None
        for m in self.modules:
            if name == m.name or name.startswith(m.name + "."):
                if best is None or len(m.name) > len(best.name):
                    best = m
        return best

    @property
    def versions(self):
        """The supported versions, as the docs and ``--info`` show them."""
        if self.stdlib:
            return "standard library"
        described = [(m, describe_versions(m.versions)) for m in self.modules]
        if len({text for _, text in described}) <= 1 or len(self.modules) == 1:
            return described[0][1] if described else ""
        return "; ".join("%s %s" % (m.name, text) for m, text in described)

    def __repr__(self):
        return "Row(%r, modules=%r, default=%r, implemented=%r, kind=%r)" % (
            self.name,
            self.modules,
            self.default,
            self.implemented,
            self.kind,
        )


def describe_versions(spec):
    """``">=3.2,<6"`` -> ``"3.2 - 5.x"``; ``">=2.8"`` -> ``"2.8+"``; ``""`` -> ``"any"``."""
    low = high = None
    others = []
    for clause in (spec or "").split(","):
        clause = clause.strip()
        if clause.startswith(">="):
            low = clause[2:].strip()
        elif clause.startswith("<") and not clause.startswith("<="):
            high = clause[1:].strip()
        elif clause:
            others.append(clause)
    if high is not None:
        parts = high.split(".")
        if all(p.isdigit() for p in parts) and parts[-1] == "0" and len(parts) > 1:
            parts = parts[:-1]
        if len(parts) == 1 and parts[0].isdigit() and int(parts[0]) > 0:
            high_text = "%d.x" % (int(parts[0]) - 1)
        elif len(parts) == 2 and all(p.isdigit() for p in parts) and int(parts[1]) > 0:
            high_text = "%s.%d" % (parts[0], int(parts[1]) - 1)
        else:
            high_text = "below " + high
    text = ""
    if low is not None and high is not None:
        # ">=3.0,<4" is simply "3.x"
        text = high_text if high_text == low.split(".")[0] + ".x" and low.endswith(".0") else "%s - %s" % (low, high_text)
    elif low is not None:
        text = low + "+"
    elif high is not None:
        text = high_text
    if others:
        text = ", ".join(([text] if text else []) + others)
    return text or "any"


_WEB, _DB, _LIB = "web", "datastore", "library"

_STDLIB = ()  # the distributions of a standard library module: none


def _split_by_domain():
    return Setting(
        "split_by_domain",
        bool,
        False,
        "Use the request's host as the service of the client span (one service per domain)",
    )


def _cmd_max_length(env=None):
    return Setting(
        "cmd_max_length", int, 1000, "Longest ``redis.raw_command`` tag; longer commands end in ``...``", env=env, low=1
    )


_RESOURCE_ONLY_COMMAND = Setting(
    "resource_only_command",
    bool,
    True,
    "The span's resource is the command name alone (``GET``); ``false`` puts the whole command there",
    env="DD_REDIS_RESOURCE_ONLY_COMMAND",
)

_TRACE_FETCH_METHODS = Setting(
    "trace_fetch_methods", bool, False, "Also trace ``fetchone`` / ``fetchmany`` / ``fetchall`` on cursors"
)

# fmt: off
_ROWS = (
    # -- web frameworks
    Row("asgi", kind=MIDDLEWARE, default=False, implemented=True, library="ASGI (any ASGI 3 server)", category=_WEB,
        notes="Wrap the application in ``ddtrace.contrib.asgi.TraceMiddleware``."),
    Row("aiohttp", {"aiohttp": ">=3.0,<4"}, library="aiohttp (client and server)", category=_WEB),
    Row("bottle", {"bottle": ">=0.12,<0.14"}, category=_WEB),
    Row("cherrypy", {"cherrypy": ">=18.0,<19"}, ("CherryPy",), kind=MIDDLEWARE, default=False, library="CherryPy",
        category=_WEB, notes="Add ``ddtrace.contrib.cherrypy.TraceMiddleware`` to the application."),
    Row("django", {"django": ">=3.2,<6"}, ("Django",), implemented=True, library="Django", category=_WEB, settings=(
        Setting("tracing_minimal", bool, True,
                "Trace requests, middleware and views only; database, cache and template spans are left to "
                "the drivers' own integrations (``DD_DJANGO_INSTRUMENT_*`` switch them back on)"),
        Setting("instrument_middleware", bool, True, "Make a span per middleware call"),
        Setting("instrument_databases", bool, None,
                "Trace queries through Django's database wrappers (unset: the opposite of ``tracing_minimal``)"),
        Setting("instrument_caches", bool, None, "Trace Django's cache calls (unset: the opposite of ``tracing_minimal``)"),
        Setting("instrument_templates", bool, None,
                "Trace template rendering (unset: the opposite of ``tracing_minimal``)"),
        Setting("include_user_name", bool, False, "Record the authenticated user's name as ``django.user.name``"),
        Setting("use_handler_resource_format", bool, False, "Resources are ``<METHOD> <view module.function>``"),
        Setting("use_legacy_resource_format", bool, False, "Resources are the view's module and function alone"),
        Setting("cache_service_name", str, "django", "Service of the cache spans"),
        Setting("database_service_name", str, "", "Service of the database spans (default: the database alias)"),
        Setting("database_service_name_prefix", str, "", "Prefix added to the database spans' service"),
        _TRACE_FETCH_METHODS,
    )),
    Row("djangorestframework", {"rest_framework": ">=3.0,<4"}, ("djangorestframework",), kind=MIDDLEWARE,
        default=False, implemented=True, library="Django REST framework", category=_WEB,
        notes="Traced by the ``django`` integration."),
    Row("falcon", {"falcon": ">=3.0,<5"}, category=_WEB),
    Row("flask", {"flask": ">=1.0,<4"}, ("Flask", "flask"), implemented=True, library="Flask", category=_WEB,
        settings=(
            Setting("collect_view_args", bool, True, "Record the view's arguments as ``flask.view_args.<name>`` tags"),
            Setting("template_default_name", str, "<memory>",
                    "Resource of template spans for templates rendered from a string"),
        )),
    Row("fastapi", {"fastapi": ">=0.100"}, implemented=True, library="FastAPI", category=_WEB,
        settings=(
            Setting("request_span_name", str, "fastapi.request", "Name of the server span of each request"),
        )),
    Row("gunicorn", {"gunicorn": ">=20.0"}, kind=MIDDLEWARE, default=False, library="Gunicorn", category=_WEB,
        notes="Run ``ddtrace-run gunicorn ...``; the WSGI framework integration traces requests."),
    Row("molten", {"molten": ">=1.0.2,<2"}, category=_WEB),
    Row("pylons", kind=UNSUPPORTED, default=False, library="Pylons", category=_WEB,
        notes="Python 2 only: it does not import on Python 3."),
    Row("pyramid", {"pyramid": ">=1.10,<3"}, library="Pyramid", category=_WEB),
    Row("pytest", {"pytest": ">=7.0,<10"}, kind=MIDDLEWARE, default=False, category=_WEB,
        notes="A pytest plugin: ``pytest --ddtrace``."),
    Row("sanic", {"sanic": ">=21.0"}, library="Sanic", category=_WEB),
    Row("starlette", {"starlette": ">=0.13"}, implemented=True, library="Starlette", category=_WEB,
        settings=(
            Setting("request_span_name", str, "starlette.request", "Name of the server span of each request"),
        )),
    Row("tornado", {"tornado": ">=6.0,<7"}, default=False, library="Tornado", category=_WEB),
    Row("wsgi", kind=MIDDLEWARE, default=False, implemented=True, library="WSGI (any WSGI server)", category=_WEB,
        notes="Wrap the application in ``ddtrace.contrib.wsgi.DDWSGIMiddleware``."),
    # -- datastores
    Row("algoliasearch", {"algoliasearch": ">=2.0,<5"}, category=_DB),
    Row("asyncpg", {"asyncpg": ">=0.22,<1"}, service="postgres", category=_DB),
    Row("cassandra", {"cassandra": ">=3.20,<3.31"}, ("cassandra-driver",), library="cassandra-driver",
        service="cassandra", category=_DB),
    Row("elasticsearch", (
        Module("elasticsearch", ">=7.0,<10"), Module("elasticsearch7", ">=7.0,<8"),
        Module("elasticsearch8", ">=8.0,<9"), Module("opensearchpy", ">=1.0,<4", ("opensearch-py",)),
    ), library="Elasticsearch / OpenSearch", service="elasticsearch", category=_DB),
    Row("flask_cache", {"flask_caching": ">=2.0,<3"}, ("Flask-Caching",), kind=MIDDLEWARE, default=False,
        library="Flask-Caching / Flask-Cache", category=_DB,
        notes="Use ``ddtrace.contrib.flask_cache.get_traced_cache``."),
    Row("mariadb", {"mariadb": ">=1.0,<2"}, library="MariaDB Connector/Python", service="mariadb", category=_DB),
    Row("pylibmc", {"pylibmc": ">=1.6,<2"}, service="memcached", category=_DB),
    Row("pymemcache", {"pymemcache": ">=3.0,<5"}, service="memcached", category=_DB),
    Row("mongoengine", {"mongoengine": ">=0.20,<1"}, library="MongoEngine", service="mongodb", category=_DB),
    Row("pymongo", {"pymongo": ">=3.12,<5"}, library="PyMongo", service="pymongo", category=_DB),
    Row("mysqldb", {"MySQLdb": ">=2.0,<3"}, ("mysqlclient",), library="mysqlclient (MySQLdb)", service="mysql",
        category=_DB),
    Row("mysql", {"mysql.connector": ">=8.0"}, ("mysql-connector-python",), library="mysql-connector-python",
        service="mysql", category=_DB),
    Row("aiopg", {"aiopg": ">=1.1,<2"}, service="postgres", category=_DB),
    Row("psycopg", (
        Module("psycopg2", ">=2.8,<3", ("psycopg2", "psycopg2-binary")),
        Module("psycopg", ">=3.0,<4", ("psycopg", "psycopg-binary")),
    ), implemented=True, library="psycopg 3 and psycopg2", service="postgres", category=_DB,
        settings=(_TRACE_FETCH_METHODS,)),
    Row("pynamodb", {"pynamodb": ">=5.0,<7"}, library="PynamoDB", service="pynamodb", category=_DB),
    Row("pyodbc", {"pyodbc": ">=4.0,<6"}, service="pyodbc", category=_DB),
    Row("redis", {"redis": ">=3.0,<9"}, implemented=True, library="redis-py (sync, asyncio, cluster)",
        service="redis", category=_DB, settings=(_cmd_max_length(), _RESOURCE_ONLY_COMMAND)),
    Row("rediscluster", {"rediscluster": ">=2.0,<3"}, ("redis-py-cluster",), implemented=True,
        library="redis-py-cluster", service="rediscluster", category=_DB,
        settings=(_cmd_max_length(), _RESOURCE_ONLY_COMMAND)),
    Row("sqlalchemy", {"sqlalchemy": ">=1.4,<3"}, ("SQLAlchemy",), default=False, library="SQLAlchemy", category=_DB,
        notes="Off by default: the database driver's own integration already traces the queries."),
    # Settings under the PyPI tracer's names: config.sqlite, DD_SQLITE_*.
    Row("sqlite3", {"sqlite3": ""}, _STDLIB, implemented=True, library="sqlite3 (standard library)",
        service="sqlite", category=_DB, config_name="sqlite", aliases=("sqlite3",), settings=(
            _TRACE_FETCH_METHODS,
            Setting("service_name", str, None, "Legacy name of ``DD_SQLITE_SERVICE``, used only when that is unset",
                    env="DD_SQLITE3_SERVICE"),
        )),
    Row("vertica", {"vertica_python": ">=1.0,<2"}, ("vertica-python",), library="vertica-python", service="vertica",
        category=_DB),
    # -- libraries
    Row("aiobotocore", {"aiobotocore": ">=2.0,<3"}, default=False),
    Row("asyncio", {"asyncio": ""}, _STDLIB, implemented=True, library="asyncio (standard library)"),
    Row("botocore", {"botocore": ">=1.20,<2"}, library="botocore / boto3"),
    Row("boto", {"boto": ">=2.49,<3"}, library="boto (boto2)"),
    Row("celery", {"celery": ">=5.0,<6"}, library="Celery"),
    Row("consul", {"consul": ">=1.1,<2"}, ("python-consul", "py-consul"), library="python-consul / py-consul",
        service="consul"),
    Row("futures", {"concurrent.futures.thread": ""}, _STDLIB, implemented=True,
        library="concurrent.futures (standard library)"),
    Row("gevent", {"gevent": ">=20.0"}),
    Row("grpc", {"grpc": ">=1.0,<2"}, ("grpcio",), library="grpcio"),
    Row("httplib", {"http.client": ""}, _STDLIB, default=False, implemented=True,
        library="http.client (standard library)",
        notes="Off by default: higher-level clients (requests, urllib3) already trace their requests."),
    Row("jinja2", {"jinja2": ">=2.10,<4"}, ("Jinja2", "jinja2"), implemented=True, library="Jinja2", settings=(
        Setting("template_default_name", str, "<memory>", "Resource of spans for templates made from a string"),
    )),
    Row("kombu", {"kombu": ">=5.0,<6"}, default=False),
    Row("logging", {"logging": ""}, _STDLIB, implemented=True, library="logging (standard library)",
        notes="Adds trace ids to log records when ``DD_LOGS_INJECTION=true``."),
    Row("mako", {"mako": ">=1.0,<2"}, ("Mako",), library="Mako"),
    Row("requests", {"requests": ">=2.20,<3"}, implemented=True, service="requests", settings=(_split_by_domain(),)),
    Row("urllib3", {"urllib3": ">=1.25,<3"}, default=False, implemented=True, service="urllib3",
        settings=(_split_by_domain(),),
        notes="Off by default: requests already traces the requests it sends through urllib3."),
    Row("graphql", {"graphql": ">=3.0,<4"}, ("graphql-core",), library="graphql-core"),
)
# fmt: on

#: name -> Row
REGISTRY = {row.name: row for row in _ROWS}


def rows():
    """Every integration, in table order."""
    return _ROWS


def get(name):
    """The row of integration ``name``, or None."""
    return REGISTRY.get(name)


def defaults():
    """``{name: enabled by default}`` for every integration ``patch_all()`` can enable."""
    return {row.name: row.default for row in _ROWS if row.patchable}


def by_module():
    """``{module name: [integration names]}`` (which integrations a module's import triggers)."""
    result = {}
    for row in _ROWS:
        for module in row.modules:
            result.setdefault(module.name, []).append(row.name)
    return result


def installed_version(module):
    """The installed version of a :class:`Module`'s library from package metadata (no
    import): ``""`` for the standard library, None when it is not installed."""
    if module.stdlib:
        return ""
    return distribution_version(*module.distributions)


def _has_page(row):
    """Whether the row has a docs page: its folder's docstring (djangorestframework is
    documented by the django integration that traces it)."""
    import os

    return row.implemented and os.path.exists(os.path.join(os.path.dirname(__file__), row.name, "__init__.py"))


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_rst(title="Integrations"):
    """The integrations page of the documentation, as reStructuredText.

    One table per category: name, library, versions, enabled by default, status.
    """
    lines = [title, "=" * len(title), ""]
    lines.append(
        "``ddtrace-run`` and ``ddtrace.patch_all()`` enable the integrations marked *on*; "
        "the others are enabled with ``ddtrace.patch(<name>=True)``, "
        "``DD_TRACE_<NAME>_ENABLED=true`` or ``DD_PATCH_MODULES=<name>:true``. "
        "Patching waits until the library is imported, so enabling an integration imports nothing."
    )
    lines.append("")
    headings = {_WEB: "Web frameworks", _DB: "Datastores", _LIB: "Libraries"}
    for category in (_WEB, _DB, _LIB):
        heading = headings[category]
        lines += [heading, "-" * len(heading), "", ".. list-table::", "   :header-rows: 1", ""]
        lines += [
            "   * - Integration",
            "     - Library",
            "     - Versions",
            "     - Default",
            "     - Status",
        ]
        for row in _ROWS:
            if row.category != category:
                continue
            if row.kind == UNSUPPORTED:
                default, status = "n/a", "unsupported"
            elif row.kind == MIDDLEWARE:
                default, status = "in code", "available" if row.implemented else "planned"
            else:
                default = "on" if row.default else "off"
                status = "available" if row.implemented else "planned"
            if row.notes:
                status += ". " + row.notes
            name = (":doc:`%s <integrations/%s>`" % (row.name, row.name)) if _has_page(row) else ("``%s``" % row.name)
            lines += [
                "   * - " + name,
                "     - " + _cell(row.library),
                "     - " + _cell(row.versions if row.modules else "n/a"),
                "     - " + default,
                "     - " + _cell(status),
            ]
        lines.append("")
    pages = ["integrations/%s" % row.name for row in _ROWS if _has_page(row)]
    if pages:
        lines += [".. toctree::", "   :hidden:", ""] + ["   " + page for page in pages] + [""]
    return "\n".join(lines) + "\n"


def write_docs(docs_dir):
    """Write ``<docs_dir>/integrations.rst`` (:func:`render_rst`) and one page per
    implemented integration under ``<docs_dir>/integrations/``; for ``docs/conf.py``."""
    import os

    with open(os.path.join(docs_dir, "integrations.rst"), "w") as f:
        f.write(render_rst())
    return render_integration_pages(os.path.join(docs_dir, "integrations"))


def render_integration_pages(directory):
    """Write ``<directory>/<name>.rst`` for every implemented integration: the module
    docstring of ``ddtrace.contrib.<name>`` rendered with ``automodule``, then a table
    of the integration's own settings."""
    import os

    os.makedirs(directory, exist_ok=True)
    written = []
    for row in _ROWS:
        if not _has_page(row):
            continue
        path = os.path.join(directory, row.name + ".rst")
        title = row.name
        text = "%s\n%s\n\n.. automodule:: ddtrace.contrib.%s\n" % (title, "=" * len(title), row.name)
        if row.settings:
            text += "\nSettings\n--------\n\n.. list-table::\n   :header-rows: 1\n\n"
            text += "   * - Variable\n     - Default\n     - Meaning\n"
            for s in row.settings:
                text += "   * - ``%s``\n     - ``%r``\n     - %s\n" % (s.env_name(row.config_name), s.default, _cell(s.help))
        with open(path, "w") as f:
            f.write(text)
        written.append(path)
    return written
