"""Per-integration settings: config.<name> / config["name"]."""
import pytest

from ddtrace.settings import Config
from ddtrace.settings import IntegrationConfig


def test_add_registers_and_returns_the_integration_config(load):
    c = load({})
    flask = c._add("flask", {"service": "flask", "trace_signals": True})
    assert isinstance(flask, IntegrationConfig)
    assert c.flask is flask and c["flask"] is flask
    assert flask.service == "flask" and flask["service"] == "flask"
    assert flask.trace_signals is True and flask.get("trace_signals") is True
    assert flask.integration_name == "flask"


def test_base_settings_and_their_defaults(load):
    ic = load({})._add("redis", {})
    assert ic.service is None
    assert ic.distributed_tracing is True
    assert ic.enabled is True
    assert ic.split_by_domain is None  # an HTTP client's own setting, declared in its row
    assert ic.trace_query_string is None
    assert ic.http_header_tags == {}


def test_environment_variables(load):
    c = load(
        {
            "DD_REDIS_SERVICE": "cache",
            "DD_REDIS_DISTRIBUTED_TRACING": "false",
            "DD_TRACE_REDIS_ENABLED": "false",
            "DD_REDIS_TRACE_QUERY_STRING": "true",
        }
    )
    ic = c._add("redis", {"service": "redis"})
    assert (ic.service, ic.distributed_tracing, ic.enabled, ic.trace_query_string) == ("cache", False, False, True)
    assert ic._origin("service") == "env"


def test_environment_wins_over_registered_defaults(load):
    c = load({"DD_TRACE_SQLALCHEMY_ENABLED": "true"})
    assert c._add("sqlalchemy", {"enabled": False}).enabled is True
    assert load({})._add("sqlalchemy", {"enabled": False}).enabled is False


def test_bad_integration_value_warns_once_and_uses_the_default(load):
    c = load({"DD_FLASK_DISTRIBUTED_TRACING": "maybe"})
    assert load.warnings == []
    ic = c._add("flask", {})
    assert ic.distributed_tracing is True


def test_bad_integration_value_warning_names_the_variable(caplog):
    caplog.set_level("WARNING", logger="ddtrace.settings")
    c = Config(environ={"DD_FLASK_DISTRIBUTED_TRACING": "maybe"})
    assert c._add("flask", {}).distributed_tracing is True
    messages = [r.getMessage() for r in caplog.records if r.name == "ddtrace.settings"]
    assert len(messages) == 1
    assert "DD_FLASK_DISTRIBUTED_TRACING" in messages[0] and "'maybe'" in messages[0]


def test_code_wins_over_defaults_and_environment(load):
    c = load({"DD_FLASK_SERVICE": "env"})
    c.flask["service"] = "before-registration"
    c.flask.custom = "mine"
    ic = c._add("flask", {"service": "default", "custom": "default", "other": 2})
    assert ic is c.flask
    assert (ic.service, ic.custom, ic.other) == ("before-registration", "mine", 2)
    assert ic._origin("service") == "code"
    assert ic._origin("other") == "default"
    assert ic._origin("never-set") is None


def test_registering_again_replaces_defaults_but_not_code(load):
    c = load({})
    c._add("x", {"a": 1, "b": 1})
    c.x.b = "code"
    c._add("x", {"a": 2, "b": 2, "c": 3})
    assert (c.x.a, c.x.b, c.x.c) == (2, "code", 3)


def test_merge_false_replaces_code_but_never_the_environment(load):
    c = load({"DD_X_SERVICE": "env"})
    c._add("x", {"a": 1})
    c.x.a = "code"
    c._add("x", {"a": 2, "service": "default"}, merge=False)
    assert (c.x.a, c.x.service) == (2, "env")


def test_unregistered_integration_is_empty_and_kept(load):
    c = load({})
    ic = c.unknown
    assert isinstance(ic, IntegrationConfig)
    assert ic["x"] is None and ic.x is None and ic.get("x", 5) == 5
    assert "x" not in ic
    with pytest.raises(AttributeError):
        ic._private
    assert c._add("unknown", {"x": 1}) is ic
    assert ic.x == 1


def test_attribute_and_item_access_are_the_same_values(load):
    ic = load({})._add("requests", {})
    ic["split_by_domain"] = True
    assert ic.split_by_domain is True
    ic.service = "http-out"
    assert ic["service"] == "http-out"
    assert "service" in ic and "service" in list(ic) and dict(ic.items())["service"] == "http-out"
    ic.update({"a": 1}, b=2)
    assert (ic.a, ic.b) == (1, 2)
    del ic["a"]
    assert ic.a is None
    assert len(ic) == len(list(ic.keys())) == len(list(ic.values()))


def test_names_that_are_not_identifiers_are_reached_by_item(load):
    c = load({"DD_AWS_LAMBDA_SERVICE": "fn"})
    ic = c["aws-lambda"]
    assert ic.service == "fn"
    assert c["aws-lambda"] is ic


def test_integration_named_like_a_setting_does_not_shadow_it(load):
    c = load({"DD_TAGS": "a:b"})
    ic = c._add("tags", {"x": 1})
    assert c.tags == {"a": "b"}
    assert c["tags"] is ic


def test_mutable_defaults_are_not_shared(load):
    c = load({})
    a, b = c._add("a", {}), c._add("b", {})
    a.http_header_tags["x-a"] = "a"
    assert b.http_header_tags == {}
    defaults = {"things": [1]}
    c._add("d", defaults).things.append(2)
    assert defaults == {"things": [1]}


def test_header_tags_merge_global_and_own(load):
    c = load({"DD_TRACE_HEADER_TAGS": "User-Agent:http.useragent,X-Id"})
    ic = c._add("flask", {})
    assert ic.header_tags() == {"user-agent": "http.useragent", "x-id": ""}
    ic.http_header_tags = {"X-Id": "flask.request_id", "Host": ""}
    assert ic.header_tags() == {"user-agent": "http.useragent", "x-id": "flask.request_id", "host": ""}
    assert c.http_header_tags == {"user-agent": "http.useragent", "x-id": ""}


def test_tag_query_string_follows_the_global_settings_unless_set(load):
    c = load({"DD_HTTP_SERVER_TAG_QUERY_STRING": "false"})
    ic = c._add("flask", {})
    assert ic.tag_query_string(server=True) is False
    assert ic.tag_query_string(server=False) is True
    ic.trace_query_string = True
    assert ic.tag_query_string(server=True) is True


def test_integration_config_before_global_load_reads_the_same_environment():
    c = Config(environ={"DD_FLASK_SERVICE": "web", "DD_SERVICE": "main"})
    ic = c._add("flask", {})
    assert ic.service == "web"
    assert c.service == "main"


def test_every_change_bumps_the_global_generation(load):
    # Integrations cache what they derive from their settings against this counter.
    c = load({})
    ic = c._add("redis", {})
    seen = [c._generation]

    def changed():
        seen.append(c._generation)
        return seen[-1] != seen[-2]

    ic.service = "a"
    assert changed()
    ic["service"] = "b"
    assert changed()
    ic.update(split_by_domain=True)
    assert changed()
    del ic["service"]
    assert changed()
    ic.extra = 1
    del ic.extra
    assert changed()
    with pytest.raises(AttributeError):
        del ic.extra
    assert ic.service is None and ic.split_by_domain is True
    ic.get("split_by_domain")
    assert not changed()
