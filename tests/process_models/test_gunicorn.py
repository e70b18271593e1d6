"""gunicorn: sync, gthread and gevent workers, with and without --preload, with and
without --max-requests recycling. Each request's trace, and the trace each importing
process makes, reaches the agent exactly once; no worker hangs at start, fork or exit.
"""
import time

import pytest

from tests.process_models.support import BIN
from tests.process_models.support import WSGI_APP
from tests.process_models.support import Server
from tests.process_models.support import check_web_traces
from tests.process_models.support import free_port
from tests.process_models.support import server_env

pytest.importorskip("gunicorn")

REQUESTS = 24


def _cmd(port, worker, preload, max_requests):
    from gunicorn import config as gunicorn_config

    cmd = [BIN + "/gunicorn", "-b", "127.0.0.1:%d" % port, "-w", "2", "-k", worker, "--graceful-timeout", "20"]
    if worker == "gthread":
        cmd += ["--threads", "4"]
    if worker == "gevent":
        cmd += ["--worker-connections", "50"]
    if preload:
        cmd.append("--preload")
    if max_requests:
        # Each worker is replaced after a few requests: traces of the old one must still
        # be sent (at its exit), the new one starts clean.
        cmd += ["--max-requests", str(max_requests), "--max-requests-jitter", "0"]
    if any("--no-control-socket" in (s.cli or []) for s in gunicorn_config.KNOWN_SETTINGS):
        cmd.append("--no-control-socket")  # gunicorn >= 24 would leave one in ~/.gunicorn
    return cmd + ["app:app"]


@pytest.mark.parametrize("max_requests", [0, 5], ids=["no-recycling", "max-requests"])
@pytest.mark.parametrize("preload", [False, True], ids=["lazy", "preload"])
@pytest.mark.parametrize("worker", ["sync", "gthread", "gevent"])
def test_gunicorn(agent_session, tmp_path, worker, preload, max_requests):
    if worker == "gevent":
        pytest.importorskip("gevent")
    (tmp_path / "app.py").write_text(WSGI_APP)
    port = free_port()
    server = Server(_cmd(port, worker, preload, max_requests), server_env(agent_session), str(tmp_path), port)
    try:
        answered = {"/ready": server.wait_until_serving()}
        answered.update(server.requests(["/r%d" % i for i in range(REQUESTS)]))
    except BaseException:
        server.kill()
        raise
    if worker == "gevent":
        # gunicorn 27's gevent worker sometimes misses a SIGTERM that arrives right after
        # a burst of requests and sits out --graceful-timeout before the master kills
        # it (the same with an untraced app); let it settle first.
        time.sleep(1.5)
    assert server.stop() == 0, server.log()
    log = server.log()
    for sign in ("SIGKILL", "SIGSEGV", "SIGABRT", "WORKER TIMEOUT", "graceful timeout", "exited with code"):
        assert sign not in log, log
    if not max_requests:
        assert len(set(answered.values())) <= 2
    check_web_traces(agent_session, answered, str(tmp_path), preload_pid=server.proc.pid if preload else None)
