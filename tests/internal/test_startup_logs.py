"""DD_TRACE_STARTUP_LOGS: one configuration line, after the first send attempt."""
import json
import logging
import socket

import pytest

from ddtrace.internal import startup_logs
from ddtrace.internal.writer import AgentWriter
from ddtrace.settings import config
from ddtrace.trace import Tracer
from ddtrace.version import __version__


def config_lines(text):
    return [ln for ln in text.splitlines() if startup_logs.PREFIX in ln]


def parse(line):
    return json.loads(line.split(startup_logs.PREFIX, 1)[1])


@pytest.fixture(autouse=True)
def not_logged_yet(monkeypatch):
    from ddtrace.internal import writer as writer_module

    monkeypatch.setattr(writer_module, "_startup_logged", False)


@pytest.fixture
def startup_logs_on(monkeypatch):
    monkeypatch.setattr(config, "_startup_logs_enabled", True)
    # The ddtrace logger must not be set to show INFO, or the line goes through logging.
    monkeypatch.setattr(logging.getLogger("ddtrace"), "level", logging.NOTSET)


def send_one(writer):
    t = Tracer()
    t.configure(writer=writer)
    with t.trace("op"):
        pass
    t.flush()


def test_configuration_reflects_settings(monkeypatch):
    monkeypatch.setattr(config, "service", "svc")
    monkeypatch.setattr(config, "env", "staging")
    monkeypatch.setattr(config, "version", "1.2.3")
    monkeypatch.setattr(config, "_trace_sample_rate", 0.5)
    monkeypatch.setattr(config, "_trace_sampling_rules", '[{"service": "a", "sample_rate": 1}]')
    monkeypatch.setattr(config, "_trace_rate_limit", 7)
    monkeypatch.setattr(config, "_propagation_style_extract", ["datadog"])
    monkeypatch.setattr(config, "_propagation_style_inject", ["tracecontext", "baggage"])
    monkeypatch.setattr(config, "_partial_flush_enabled", False)
    monkeypatch.setattr(config, "_128_bit_trace_id_enabled", False)
    monkeypatch.setattr(config, "_debug_mode", True)
    w = AgentWriter(agent_url="unix:///tmp/x.sock", api_version="v0.4", headers={})
    info = startup_logs.configuration(w, "ConnectionRefusedError: nope")
    assert info["tracer_version"] == __version__ and info["lang"] == "python"
    assert info["agent_url"] == "unix:///tmp/x.sock" and info["api_version"] == "v0.4"
    assert info["agent_error"] == "ConnectionRefusedError: nope"
    assert (info["service"], info["env"], info["dd_version"]) == ("svc", "staging", "1.2.3")
    assert info["sample_rate"] == 0.5 and info["rate_limit"] == 7
    assert info["sampling_rules"] == '[{"service": "a", "sample_rate": 1}]'
    assert info["propagation_style_extract"] == ["datadog"]
    assert info["propagation_style_inject"] == ["tracecontext", "baggage"]
    assert info["partial_flush_enabled"] is False and info["128_bit_trace_id_enabled"] is False
    assert info["debug"] is True
    json.dumps(info)  # all of it is JSON


def test_line_is_json_even_with_odd_values(monkeypatch):
    monkeypatch.setattr(config, "tags", {"k": object()})
    line = startup_logs.format_line(startup_logs.configuration())
    assert line.startswith("DATADOG TRACER CONFIGURATION - {")
    assert parse(line)["tags"]["k"].startswith("<object")


def test_goes_to_stderr_when_logging_would_hide_it(startup_logs_on, capsys):
    startup_logs.log_configuration(None, None)
    (line,) = config_lines(capsys.readouterr().err)
    assert parse(line)["agent_error"] is None


def test_goes_through_logging_when_it_shows_info(startup_logs_on, capsys, caplog):
    with caplog.at_level(logging.INFO, logger="ddtrace"):
        startup_logs.log_configuration(None, "boom")
    assert config_lines(capsys.readouterr().err) == []
    (record,) = [r for r in caplog.records if startup_logs.PREFIX in r.getMessage()]
    assert record.levelno == logging.INFO and record.name.startswith("ddtrace")
    assert parse(record.getMessage())["agent_error"] == "boom"


def test_writer_logs_once_after_the_first_send(startup_logs_on, capsys, fake_agent):
    agent = fake_agent()
    w = AgentWriter(agent_url=agent.url, interval=3600, headers={})
    try:
        assert config_lines(capsys.readouterr().err) == []
        send_one(w)
        send_one(w)
    finally:
        w.stop()
    (line,) = config_lines(capsys.readouterr().err)
    info = parse(line)
    assert info["agent_error"] is None and info["agent_url"] == agent.url


def test_one_line_per_process_whatever_the_writers(startup_logs_on, capsys, fake_agent):
    agent = fake_agent()
    writers = [AgentWriter(agent_url=agent.url, interval=3600, headers={}) for _ in range(2)]
    try:
        for w in writers:
            send_one(w)
    finally:
        for w in writers:
            w.stop()
    assert len(config_lines(capsys.readouterr().err)) == 1
    assert len(agent.requests) == 2


def test_writer_reports_an_unreachable_agent(startup_logs_on, capsys, monkeypatch):
    from ddtrace.internal import writer as writer_module

    monkeypatch.setattr(writer_module, "RETRY_BASE_DELAY", 0.001)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    w = AgentWriter(agent_url="http://127.0.0.1:%d" % port, interval=3600, headers={})
    try:
        send_one(w)
    finally:
        w.stop()
    (line,) = config_lines(capsys.readouterr().err)
    assert "ConnectionRefusedError" in parse(line)["agent_error"]


def test_nothing_when_disabled(monkeypatch, capsys, fake_agent):
    monkeypatch.setattr(config, "_startup_logs_enabled", False)
    agent = fake_agent()
    w = AgentWriter(agent_url=agent.url, interval=3600, headers={})
    try:
        send_one(w)
    finally:
        w.stop()
    assert config_lines(capsys.readouterr().err) == []
    assert len(agent.requests) == 1
