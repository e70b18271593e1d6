"""The registry of integrations: one declarative table, the single source of truth.

Every integration the product supports has one row here, written or not yet: its name
(``ddtrace.patch(<name>=True)``, ``config.<name>``, ``DD_TRACE_<NAME>_ENABLED``), the
modules whose import triggers it, the PyPI distributions its version is read from, and
whether ``patch_all()`` / ``ddtrace-run`` enables it by default. ``ddtrace._monkey``,
``ddtrace-run --info``, the docs page (:func:`render_rst`) and the test matrix all read
this table; nothing else keeps a list of integrations.

Importing this module imports nothing else: ``ddtrace-run`` reads it at start-up.
"""
from __future__ import annotations

#: How an integration is enabled.
AUTO = "auto"  # ddtrace.patch() / patch_all() instrument the library on import
MIDDLEWARE = "middleware"  # the user adds a middleware / plugin / wrapper in code
UNSUPPORTED = "unsupported"  # listed so users find the reason


class Row:
    """One integration. Attributes:

    ``name``
        The integration's name: ``patch(<name>=True)``, ``config.<name>``.
    ``modules``
        Module names whose import triggers the patch (the first is the one ``patch.py``
        instruments).
    ``distributions``
        PyPI distributions to read the installed version from; empty for the
        standard library.
    ``default``
        Enabled by ``patch_all()`` / ``ddtrace-run`` unless switched off.
    ``implemented``
        ``ddtrace/contrib/<name>/patch.py`` exists in this release.
    ``kind``
        :data:`AUTO`, :data:`MIDDLEWARE` or :data:`UNSUPPORTED`.
    ``library``, ``versions``, ``category``, ``notes``
        For the documentation.
    """

    __slots__ = ("name", "modules", "distributions", "default", "implemented", "kind", "library", "versions", "category", "notes")

    def __init__(
        self,
        name,
        modules,
        distributions=None,
        default=True,
        implemented=False,
        kind=AUTO,
        library=None,
        versions="",
        category="library",
        notes="",
    ):
        self.name = name
        self.modules = tuple(modules)
        if distributions is None:
            distributions = (self.modules[0].split(".")[0],) if self.modules else ()
        self.distributions = tuple(distributions)
        self.default = default
        self.implemented = implemented
        self.kind = kind
        self.library = library or name
        self.versions = versions
        self.category = category
        self.notes = notes

    @property
    def patchable(self):
        """True if ``ddtrace.patch(<name>=True)`` can enable it (no code change needed)."""
        return self.kind == AUTO

    @property
    def stdlib(self):
        return not self.distributions

    def __repr__(self):
        return "Row(%r, modules=%r, default=%r, implemented=%r, kind=%r)" % (
            self.name,
            self.modules,
            self.default,
            self.implemented,
            self.kind,
        )


_WEB, _DB, _LIB = "web", "datastore", "library"

# fmt: off
_ROWS = (
    # -- web frameworks
    Row("asgi", (), (), default=False, kind=MIDDLEWARE, library="ASGI (asgiref)", versions="asgiref 3.x", category=_WEB,
        notes="Wrap the application in ``ddtrace.contrib.asgi.TraceMiddleware``."),
    Row("aiohttp", ("aiohttp",), library="aiohttp (client and server)", versions="3.x", category=_WEB),
    Row("bottle", ("bottle",), versions="0.12-0.13", category=_WEB),
    Row("cherrypy", (), ("CherryPy",), default=False, kind=MIDDLEWARE, library="CherryPy", versions="18.x", category=_WEB,
        notes="Add ``ddtrace.contrib.cherrypy.TraceMiddleware`` to the application."),
    Row("django", ("django",), ("Django",), library="Django", versions="3.2 LTS - 5.2", category=_WEB, implemented=True),
    Row("djangorestframework", (), ("djangorestframework",), default=False, kind=MIDDLEWARE,
        library="Django REST framework", versions="3.x", category=_WEB, notes="Traced by the ``django`` integration."),
    Row("falcon", ("falcon",), versions="3.x, 4.x", category=_WEB),
    Row("flask", ("flask",), ("Flask",), library="Flask", versions="1.0.3 - 3.1", category=_WEB, implemented=True),
    Row("fastapi", ("fastapi",), library="FastAPI", versions="0.100+", category=_WEB, implemented=True),
    Row("gunicorn", (), default=False, kind=MIDDLEWARE, library="Gunicorn", versions="20.x+", category=_WEB,
        notes="Run ``ddtrace-run gunicorn ...``; the WSGI framework integration traces requests."),
    Row("molten", ("molten",), versions="1.0.2", category=_WEB),
    Row("pylons", (), ("Pylons",), default=False, kind=UNSUPPORTED, library="Pylons", category=_WEB,
        notes="Python 2 only: it does not import on Python 3."),
    Row("pyramid", ("pyramid",), library="Pyramid", versions="1.10, 2.x", category=_WEB),
    Row("pytest", (), default=False, kind=MIDDLEWARE, versions="7.x - 9.x", category=_WEB,
        notes="A pytest plugin: ``pytest --ddtrace``."),
    Row("sanic", ("sanic",), library="Sanic", versions="21+", category=_WEB),
    Row("starlette", ("starlette",), library="Starlette", versions="0.13+ - 1.x", category=_WEB, implemented=True),
    Row("tornado", ("tornado",), default=False, library="Tornado", versions="6.x", category=_WEB),
    # -- datastores
    Row("algoliasearch", ("algoliasearch",), versions="2.x - 4.x", category=_DB),
    Row("asyncpg", ("asyncpg",), versions="0.2x - 0.3x", category=_DB),
    Row("cassandra", ("cassandra",), ("cassandra-driver",), library="cassandra-driver", versions="3.2x - 3.30", category=_DB),
    Row("elasticsearch", ("elasticsearch", "elasticsearch7", "elasticsearch8", "elastic_transport", "opensearchpy"),
        ("elasticsearch", "elasticsearch7", "elasticsearch8", "opensearch-py"), library="Elasticsearch / OpenSearch",
        versions="7.x - 9.x", category=_DB),
    Row("flask_cache", (), ("Flask-Caching", "Flask-Cache"), default=False, kind=MIDDLEWARE,
        library="Flask-Caching / Flask-Cache", versions="Flask-Cache 0.13, Flask-Caching 2.x", category=_DB,
        notes="Use ``ddtrace.contrib.flask_cache.get_traced_cache``."),
    Row("mariadb", ("mariadb",), library="MariaDB Connector/Python", versions="1.x", category=_DB),
    Row("pylibmc", ("pylibmc",), versions="1.6", category=_DB),
    Row("pymemcache", ("pymemcache",), versions="3.x, 4.x", category=_DB),
    Row("mongoengine", ("mongoengine",), library="MongoEngine", versions="0.2x", category=_DB),
    Row("pymongo", ("pymongo",), library="PyMongo", versions="3.12+, 4.x", category=_DB),
    Row("mysqldb", ("MySQLdb",), ("mysqlclient",), library="mysqlclient (MySQLdb)", versions="2.x", category=_DB),
    Row("mysql", ("mysql.connector",), ("mysql-connector-python",), library="mysql-connector-python",
        versions="8.x - 26.x", category=_DB),
    Row("aiopg", ("aiopg",), versions="1.1 - 1.4", category=_DB),
    Row("psycopg", ("psycopg", "psycopg2"), ("psycopg", "psycopg2", "psycopg2-binary", "psycopg-binary"),
        library="psycopg 3 and psycopg2", versions="psycopg2 2.8+, psycopg 3.x", category=_DB, implemented=True),
    Row("pynamodb", ("pynamodb",), library="PynamoDB", versions="5.x, 6.x", category=_DB),
    Row("pyodbc", ("pyodbc",), versions="4.x, 5.x", category=_DB),
    Row("redis", ("redis",), library="redis-py", versions="3.0 - 8.x (sync, asyncio, cluster)", category=_DB,
        implemented=True),
    Row("rediscluster", ("rediscluster",), ("redis-py-cluster",), library="redis-py-cluster",
        versions="2.1 (with redis-py 3.x)", category=_DB, implemented=True),
    Row("sqlalchemy", ("sqlalchemy",), ("SQLAlchemy",), default=False, library="SQLAlchemy", versions="1.4, 2.x",
        category=_DB, notes="Off by default: the database driver's own integration already traces the queries."),
    Row("sqlite3", ("sqlite3",), (), library="sqlite3 (standard library)", versions="standard library", category=_DB,
        implemented=True),
    Row("vertica", ("vertica_python",), ("vertica-python",), library="vertica-python", versions="1.x", category=_DB),
    # -- libraries
    Row("aiobotocore", ("aiobotocore",), default=False, versions="2.x", category=_LIB),
    Row("asyncio", ("asyncio",), (), library="asyncio (standard library)", versions="standard library", implemented=True),
    Row("botocore", ("botocore",), library="botocore / boto3", versions="1.2x - 1.4x"),
    Row("boto", ("boto",), library="boto (boto2)", versions="2.49"),
    Row("celery", ("celery",), library="Celery", versions="5.x"),
    Row("consul", ("consul",), ("python-consul", "py-consul"), library="python-consul / py-consul", versions="1.x"),
    Row("futures", ("concurrent.futures.thread",), (), library="concurrent.futures (standard library)",
        versions="standard library", implemented=True),
    Row("gevent", ("gevent",), versions="2x.x"),
    Row("grpc", ("grpc",), ("grpcio",), library="grpcio", versions="1.x"),
    Row("httplib", ("http.client",), (), default=False, library="http.client (standard library)",
        versions="standard library", implemented=True,
        notes="Off by default: higher-level clients (requests, urllib3) already trace their requests."),
    Row("jinja2", ("jinja2",), ("Jinja2",), library="Jinja2", versions="2.10+, 3.x", implemented=True),
    Row("kombu", ("kombu",), default=False, versions="5.x"),
    Row("logging", ("logging",), (), library="logging (standard library)", versions="standard library",
        implemented=True, notes="Adds trace ids to log records when ``DD_LOGS_INJECTION=true``."),
    Row("mako", ("mako",), ("Mako",), library="Mako", versions="1.x"),
    Row("requests", ("requests",), versions="2.x", implemented=True),
    Row("urllib3", ("urllib3",), default=False, versions="1.26, 2.x", implemented=True,
        notes="Off by default: requests already traces the requests it sends through urllib3."),
    Row("graphql", ("graphql",), ("graphql-core",), library="graphql-core", versions="3.x"),
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
            result.setdefault(module, []).append(row.name)
    return result


def installed_version(row):
    """The installed version of the row's library from package metadata (no import):
    ``""`` for the standard library, None when it is not installed."""
    if row.stdlib:
        return ""
    from ddtrace.contrib._integration import distribution_version

    return distribution_version(*row.distributions)


def supported_spec(name):
    """The version range in ``ddtrace/contrib/<name>/patch.py``'s ``SUPPORTED``
    (its first value), read from the source: importing the module would import the
    library. "" when it declares none, None when the file is missing."""
    import ast
    import os

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name, "patch.py")
    try:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
    except OSError:
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "SUPPORTED" for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return ""
            if isinstance(value, dict) and len(value) == 1:
                return str(next(iter(value.values())))
            if isinstance(value, dict) and value:
                # Several libraries (psycopg2 and psycopg 3): name each range.
                return "; ".join("%s %s" % (mod, spec) for mod, spec in value.items())
            return ""
    return ""


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
            name = (":doc:`%s <integrations/%s>`" % (row.name, row.name)) if row.implemented else ("``%s``" % row.name)
            lines += [
                "   * - " + name,
                "     - " + _cell(row.library),
                "     - " + _cell(row.versions or ""),
                "     - " + default,
                "     - " + _cell(status),
            ]
        lines.append("")
    pages = ["integrations/%s" % row.name for row in _ROWS if row.implemented]
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
    docstring of ``ddtrace.contrib.<name>`` rendered with ``automodule``."""
    import os

    os.makedirs(directory, exist_ok=True)
    written = []
    for row in _ROWS:
        if not row.implemented:
            continue
        path = os.path.join(directory, row.name + ".rst")
        title = row.name
        text = "%s\n%s\n\n.. automodule:: ddtrace.contrib.%s\n" % (title, "=" * len(title), row.name)
        with open(path, "w") as f:
            f.write(text)
        written.append(path)
    return written
