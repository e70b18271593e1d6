"""uWSGI with a master and two workers, with and without --lazy-apps (the app is
imported in each worker, or once in the master and forked) and --enable-threads
(without it, Python threads of a worker never run: traces leave at the worker's exit).

uWSGI forks its workers in C without running Python's at-fork hooks; the tracer
notices the fork itself (ddtrace.internal.forks). Every request's trace, and the
trace of each process that imported the app, reaches the agent exactly once, from
the process that made it, with ids and a runtime id of its own; nothing hangs.
"""
import os
import signal

import pytest

from tests.process_models.support import BIN
from tests.process_models.support import WSGI_APP
from tests.process_models.support import Server
from tests.process_models.support import check_web_traces
from tests.process_models.support import free_port
from tests.process_models.support import server_env

UWSGI = os.path.join(BIN, "uwsgi")
pytestmark = pytest.mark.skipif(not os.path.exists(UWSGI), reason="uWSGI is not installed")

REQUESTS = 16


@pytest.mark.parametrize("threads", [False, True], ids=["no-threads", "enable-threads"])
@pytest.mark.parametrize("lazy_apps", [False, True], ids=["forked-app", "lazy-apps"])
def test_uwsgi(agent_session, tmp_path, lazy_apps, threads):
    (tmp_path / "app.py").write_text(WSGI_APP)
    port = free_port()
    cmd = [UWSGI, "--master", "--processes", "2", "--http-socket", "127.0.0.1:%d" % port]
    cmd += ["--wsgi-file", "app.py", "--need-app", "--die-on-term", "--disable-logging", "--worker-reload-mercy", "30"]
    if lazy_apps:
        cmd.append("--lazy-apps")
    if threads:
        cmd.append("--enable-threads")
    server = Server(cmd, server_env(agent_session), str(tmp_path), port)
    try:
        answered = {"/ready": server.wait_until_serving()}
        answered.update(server.requests(["/r%d" % i for i in range(REQUESTS)]))
    except BaseException:
        server.kill()
        raise
    assert server.stop(signal.SIGTERM) == 0, server.log()
    assert server.proc.pid not in answered.values()
    check_web_traces(agent_session, answered, str(tmp_path), preload_pid=None if lazy_apps else server.proc.pid)
