"""A celery worker with the prefork pool (billiard forks the pool processes), Redis as
broker and result backend. Tasks trace by hand (no celery integration yet): each
task's trace comes from the pool process that ran it, exactly once, including those
that finished just before the worker's warm shutdown; nothing hangs.
"""
import os
import signal
import socket
import uuid

import pytest

from tests.process_models.support import BIN
from tests.process_models.support import HANG
from tests.process_models.support import Server
from tests.process_models.support import server_env
from tests.process_models.support import traces_by_root

celery = pytest.importorskip("celery")

BROKER = "redis://127.0.0.1:6379/0"

TASKS = '''
import os
from celery import Celery
from ddtrace import tracer

app = Celery("tasks", broker={broker!r}, backend={broker!r})
app.conf.broker_connection_retry_on_startup = True


@app.task(name="pm.traced")
def traced(n):
    with tracer.trace("celery.task", service="pm-worker", resource="task-%d" % n):
        with tracer.trace("work"):
            pass
    return os.getpid()
'''


def _redis_up():
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_celery_prefork_worker(agent_session, tmp_path):
    (tmp_path / "tasks.py").write_text(TASKS.format(broker=BROKER))
    queue = "pm-%s" % uuid.uuid4().hex
    cmd = [os.path.join(BIN, "celery"), "-A", "tasks", "worker", "--pool", "prefork", "--concurrency", "2"]
    cmd += ["-Q", queue, "--loglevel", "WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"]
    env = server_env(agent_session)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env["PYTHONPATH"]])
    worker = Server(cmd, env, str(tmp_path), None)
    app = celery.Celery("client", broker=BROKER, backend=BROKER)
    try:
        results = [app.send_task("pm.traced", args=[i], queue=queue) for i in range(12)]
        answered = {"task-%d" % i: r.get(timeout=HANG) for i, r in enumerate(results)}
    except BaseException:
        worker.kill()
        raise
    finally:
        app.close()
    # Warm shutdown: the pool processes finish and leave through their exit hooks.
    assert worker.stop(signal.SIGTERM) == 0, worker.log()
    roots = traces_by_root(agent_session, len(answered))
    got = {r["resource"]: r["metrics"]["process_id"] for r in roots}
    assert got == answered
    assert worker.proc.pid not in answered.values()
