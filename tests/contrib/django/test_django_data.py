"""Database, cache and template spans of the django integration (off by default:
minimal tracing)."""
import pytest

from tests.contrib.django.test_django import named
from tests.contrib.django.test_django import root_of

BOOK_QUERY = (
    'SELECT "djapp_book"."id", "djapp_book"."title" FROM "djapp_book" '
    'WHERE "djapp_book"."id" = %s ORDER BY "djapp_book"."id" ASC LIMIT 1'
)


@pytest.fixture
def sqlite_patched():
    """The sqlite3 integration on, with Django's connections reopened through it."""
    from django.db import connections

    from ddtrace.contrib.sqlite3 import patch as sqlite_patch

    connections["default"].close()
    sqlite_patch.patch()
    yield
    connections["default"].close()
    sqlite_patch.unpatch()


class TestDatabases:
    def test_off_by_default(self, client, spans):
        client.get("/books/1/")
        client.get("/pg/")
        assert [s for s in spans() if s.span_type == "sql"] == []

    def test_orm_query(self, client, spans, djconfig):
        djconfig(instrument_databases=True)
        client.get("/books/1/")
        got = spans()
        (query,) = named(got, "sqlite.query")
        (get,) = named(got, "django.view.get")
        assert query.parent_id == get.span_id
        assert query.resource == BOOK_QUERY
        assert query.service == "defaultdb"
        assert query.span_type == "sql"
        assert query.error == 0
        assert query.get_tag("component") == "django-database"
        assert query.get_tag("span.kind") == "client"
        assert query.get_tag("db.system") == "sqlite"
        assert query.get_tag("django.db.vendor") == "sqlite"
        assert query.get_tag("django.db.alias") == "default"
        assert query.get_tag("db.name").endswith(".sqlite3")
        assert query.get_metric("_dd.measured") == 1

    def test_postgres_alias(self, client, spans, djconfig):
        djconfig(instrument_databases=True)
        assert client.get("/pg/").content == b"42"
        (query,) = named(spans(), "postgres.query")
        assert query.resource == "select %s + 1"
        assert query.service == "pgdb"
        assert query.get_tag("db.system") == "postgresql"
        assert query.get_tag("django.db.vendor") == "postgresql"
        assert query.get_tag("django.db.alias") == "pg"
        assert query.get_tag("db.name") == "test"
        assert query.get_tag("db.user") == "postgres"
        assert query.get_tag("out.host") == "127.0.0.1"
        assert query.get_tag("server.address") == "127.0.0.1"
        assert query.get_metric("network.destination.port") == 5432

    @pytest.mark.parametrize(
        "settings, services",
        [
            ({"database_service_name_prefix": "shop-"}, {"shop-defaultdb", "shop-pgdb"}),
            ({"database_service_name": "shop-db", "database_service_name_prefix": "x-"}, {"shop-db"}),
        ],
    )
    def test_service_names(self, client, spans, djconfig, settings, services):
        djconfig(instrument_databases=True, **settings)
        client.get("/db/")
        client.get("/pg/")
        assert {s.service for s in spans() if s.span_type == "sql"} == services

    def test_fetch_methods(self, client, spans, djconfig):
        djconfig(instrument_databases=True, trace_fetch_methods=True)
        client.get("/db/")
        names = [s.name for s in spans() if s.span_type == "sql"]
        assert names == ["sqlite.query", "sqlite.query.fetchone"]

    def test_sql_error(self, client, spans, djconfig):
        from django.db import OperationalError

        djconfig(instrument_databases=True)
        with pytest.raises(OperationalError, match="no such table"):
            client.get("/bad-sql/")
        got = spans()
        (query,) = named(got, "sqlite.query")
        assert query.error == 1
        assert query.get_tag("error.type") == "sqlite3.OperationalError"
        assert query.resource == "select * from no_such_table"
        assert root_of(got).get_tag("error.type") == "django.db.utils.OperationalError"

    def test_driver_integration_spans_get_django_tags(self, client, spans, djconfig, sqlite_patched):
        djconfig(instrument_databases=True)
        client.get("/db/")
        (query,) = [s for s in spans() if s.resource.startswith("select count")]
        # One span, the driver integration's, with the SQL Django sent.
        assert query.name == "sqlite.query"
        assert query.service == "sqlite"
        assert query.get_tag("component") == "sqlite"
        assert query.resource == "select count(*) from djapp_book where id > %s"
        assert query.get_tag("django.db.alias") == "default"
        assert query.get_tag("django.db.vendor") == "sqlite"

    def test_psycopg_integration_spans_get_django_tags(self, client, spans, djconfig):
        psycopg_patch = pytest.importorskip("ddtrace.contrib.psycopg.patch")
        from django.db import connections

        djconfig(instrument_databases=True)
        connections["pg"].close()
        psycopg_patch.patch()
        try:
            assert client.get("/pg/").content == b"42"
        finally:
            connections["pg"].close()
            psycopg_patch.unpatch()
        (query,) = [s for s in spans() if s.resource == "select %s + 1"]
        assert query.name == "postgres.query"
        assert query.get_tag("component") == "psycopg"
        assert query.get_tag("django.db.alias") == "pg"
        assert query.get_tag("django.db.vendor") == "postgresql"

    def test_commit_of_a_driver_connection_gets_django_tags(self, spans, djconfig, sqlite_patched):
        from django.db import transaction

        from tests.contrib.django.djapp.models import Book

        djconfig(instrument_databases=True)
        try:
            with transaction.atomic():
                Book.objects.create(title="Emma")
        finally:
            Book.objects.filter(title="Emma").delete()
        got = spans()
        commit = named(got, "sqlite.connection.commit")[0]
        assert commit.get_tag("component") == "sqlite"
        assert commit.get_tag("django.db.alias") == "default"
        assert commit.get_tag("django.db.vendor") == "sqlite"
        insert = [s for s in got if s.resource.startswith('INSERT INTO "djapp_book"')][0]
        assert insert.get_tag("django.db.alias") == "default"

    def test_connection_made_before_database_tracing_was_on_gets_django_tags(self, spans, djconfig, sqlite_patched):
        from django.db import connections
        from django.db import transaction

        with connections["default"].cursor() as cursor:
            cursor.execute("select 1")
        spans()
        djconfig(instrument_databases=True)
        with transaction.atomic():
            with connections["default"].cursor() as cursor:
                cursor.execute("select 2")
        got = spans()
        assert [s.get_tag("django.db.alias") for s in got] == ["default"] * len(got)
        assert "sqlite.connection.commit" in [s.name for s in got]

    def test_psycopg_commit_and_connection_set_up_get_django_tags(self, spans, djconfig):
        psycopg_patch = pytest.importorskip("ddtrace.contrib.psycopg.patch")
        from django.db import connections
        from django.db import transaction

        djconfig(instrument_databases=True)
        connections["pg"].close()
        psycopg_patch.patch()
        try:
            with transaction.atomic(using="pg"):
                pass
            with transaction.atomic(using="pg"):
                with connections["pg"].cursor() as cursor:
                    cursor.execute("select 1")
        finally:
            connections["pg"].close()
            psycopg_patch.unpatch()
        got = spans()
        # Django sets the connection up (its time zone) on the driver's connection itself.
        # (psycopg 3's integration names them psycopg.connection.commit, psycopg2's postgres.connection.commit)
        assert len([s for s in got if s.name.endswith(".connection.commit")]) == 2
        for span in got:
            assert span.get_tag("component") == "psycopg"
            assert span.get_tag("django.db.alias") == "pg"
            assert span.get_tag("django.db.vendor") == "postgresql"

    def test_minimal_tracing_leaves_queries_to_the_driver(self, client, spans, sqlite_patched):
        client.get("/db/")
        (query,) = [s for s in spans() if s.resource.startswith("select count")]
        assert query.get_tag("component") == "sqlite"
        assert query.get_tag("django.db.alias") is None

    def test_orm_outside_a_request(self, spans, djconfig):
        from tests.contrib.django.djapp.models import Book

        djconfig(instrument_databases=True)
        assert Book.objects.filter(title="Dune").count() == 1
        (query,) = spans()
        assert query.parent_id == 0
        assert query.resource.startswith('SELECT COUNT(*) AS "__count" FROM "djapp_book"')


class TestCaches:
    def test_off_by_default(self, client, spans):
        client.get("/cache/")
        assert named(spans(), "django.cache") == []

    def test_cache_calls(self, client, spans, djconfig):
        djconfig(instrument_caches=True)
        assert client.get("/cache/").content == b"hello"
        got = spans()
        (view,) = named(got, "django.view")
        caches = named(got, "django.cache")
        assert [(s.resource, s.get_tag("django.cache.key")) for s in caches] == [
            ("django.core.cache.backends.locmem.set", "greeting"),
            ("django.core.cache.backends.locmem.get", "greeting"),
            ("django.core.cache.backends.base.get_many", "greeting other"),
            ("django.core.cache.backends.locmem.get", "greeting"),
            ("django.core.cache.backends.locmem.get", "other"),
            ("django.core.cache.backends.locmem.delete", "greeting"),
        ]
        # The values found, as PyPI ddtrace counts them; 0 for writes.
        assert [s.get_metric("db.row_count") for s in caches] == [0, 1, 1, 1, 0, 0]
        get_many = caches[2]
        assert caches[3].parent_id == caches[4].parent_id == get_many.span_id
        for span in caches:
            assert span.service == "django"
            assert span.span_type == "cache"
            assert span.get_tag("component") == "django"
            assert span.get_tag("django.cache.backend") == "django.core.cache.backends.locmem.LocMemCache"
        assert get_many.parent_id == view.span_id

    def test_miss_with_a_default_counts_nothing(self, spans, djconfig):
        from django.core.cache import cache

        djconfig(instrument_caches=True)
        assert cache.get("never-set", "fallback") == "fallback"
        (span,) = spans()
        assert span.get_metric("db.row_count") == 0

    def test_calls_left_untraced(self, spans, djconfig):
        from django.core.cache import cache

        djconfig(instrument_caches=True)
        assert cache.get_or_set("made", "value") == "value"
        cache.has_key("made")
        cache.touch("made")
        cache.clear()
        # As PyPI ddtrace: only get_or_set's own get and add calls.
        assert [s.resource.rsplit(".", 1)[1] for s in spans()] == ["get", "add", "get"]

    def test_cache_service_name(self, spans, djconfig):
        from django.core.cache import cache

        djconfig(instrument_caches=True, cache_service_name="sessions-cache")
        cache.set_many({"a": 1, "b": 2})
        got = spans()
        assert {s.service for s in got} == {"sessions-cache"}
        assert got[0].get_tag("django.cache.key") == "a b"

    def test_cache_error_is_recorded_and_raised(self, spans, djconfig):
        from django.core.cache import cache

        djconfig(instrument_caches=True)
        with pytest.raises(ValueError):
            cache.incr("missing-key")
        (span,) = named(spans(), "django.cache")
        assert span.resource == "django.core.cache.backends.locmem.incr"
        assert span.error == 1
        assert span.get_tag("error.type") == "builtins.ValueError"

    @pytest.mark.filterwarnings("ignore::django.core.cache.backends.base.CacheKeyWarning")
    def test_long_keys_are_truncated(self, spans, djconfig):
        from django.core.cache import cache

        from ddtrace.contrib.django._cache import MAX_KEY_LENGTH

        djconfig(instrument_caches=True)
        cache.get("k" * 1000)
        (span,) = spans()
        assert span.get_tag("django.cache.key") == "k" * MAX_KEY_LENGTH


class TestTemplates:
    def test_off_by_default(self, client, spans):
        client.get("/render/")
        assert named(spans(), "django.template.render") == []

    def test_render_and_include(self, client, spans, djconfig):
        djconfig(instrument_templates=True)
        assert b"Dune" in client.get("/render/").content
        got = spans()
        (view,) = named(got, "django.view")
        page, footer = named(got, "django.template.render")
        assert page.resource == "book.html"
        assert page.parent_id == view.span_id
        assert footer.resource == "footer.html"
        assert footer.parent_id == page.span_id
        for span in (page, footer):
            assert span.span_type == "template"
            assert span.get_tag("component") == "django"
            assert span.get_tag("django.template.name") == span.resource
            assert span.get_tag("django.template.engine.class") == "django.template.engine.Engine"

    def test_template_response_renders_after_the_view(self, client, spans, djconfig):
        djconfig(instrument_templates=True)
        client.get("/template-response/")
        got = spans()
        (view,) = named(got, "django.view")
        page = named(got, "django.template.render")[0]
        assert page.resource == "book.html"
        assert page.start_ns >= view.start_ns + view.duration_ns

    def test_template_from_a_string_and_its_error(self, spans, djconfig):
        from django.template import Context
        from django.template import Engine
        from django.template import TemplateDoesNotExist

        djconfig(instrument_templates=True)
        engine = Engine(libraries={})
        assert engine.from_string("{{ x }}!").render(Context({"x": 1})) == "1!"
        (span,) = spans()
        # No name: the resource is the method, as PyPI ddtrace names it.
        assert span.resource == "django.template.base.Template.render"
        assert span.get_tag("django.template.name") is None
        broken = engine.from_string("{% include bad %}")
        with pytest.raises(TemplateDoesNotExist):
            broken.render(Context({"bad": "does-not-exist.html"}))
        (span,) = spans()
        assert span.error == 1


@pytest.mark.subprocess
def test_tracing_minimal_off_turns_everything_on():
    from tests.contrib.kit import check
    from tests.contrib.kit import python_env
    from tests.contrib.kit import run_python

    out = check(
        run_python(
            """
            from ddtrace.contrib.django import _utils
            from ddtrace.contrib.django.patch import integration
            print(*[_utils.instrumented(group) for group in ("databases", "caches", "templates")])
            print(integration.config.instrument_middleware)
            """,
            env=python_env(DD_DJANGO_TRACING_MINIMAL="false", DD_DJANGO_INSTRUMENT_CACHES="false"),
        )
    )
    assert out.split() == ["True", "False", "True", "True"]
