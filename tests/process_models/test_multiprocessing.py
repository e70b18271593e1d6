"""multiprocessing pools, fork and spawn, created over and over while another thread of
the parent traces: every task's trace comes from the child that ran it, every trace
of the tracing thread from the parent, each exactly once, and nothing hangs (forking
while that thread is in the middle of a span, a send or a first-time import).
"""
import collections
import json
import os
import subprocess
import sys

import pytest

from tests.process_models.support import HANG
from tests.process_models.support import server_env
from tests.process_models.support import traces_by_root

PROGRAM = '''
import json, multiprocessing as mp, os, sys, threading, time
from ddtrace import tracer

def background(stop, count):
    while not stop.is_set():
        with tracer.trace("background", service="pm-mp"):
            count[0] += 1
        time.sleep(0.002)

def task(i):
    with tracer.trace("pool.task", service="pm-mp", resource="task-%d" % i):
        with tracer.trace("work"):
            pass
    return i, os.getpid()

if __name__ == "__main__":
    method, rounds = sys.argv[1], int(sys.argv[2])
    stop, count = threading.Event(), [0]
    t = threading.Thread(target=background, args=(stop, count))
    t.start()
    ctx = mp.get_context(method)
    answered = {}
    n = 0
    for _ in range(rounds):
        pool = ctx.Pool(2)
        for i, pid in pool.map(task, range(n, n + 4)):
            answered["task-%d" % i] = pid
        n += 4
        pool.close()  # not terminate(): the children leave through their exit hooks
        pool.join()
    stop.set()
    t.join()
    print(json.dumps({"answered": answered, "background": count[0], "parent": os.getpid()}))
'''


@pytest.mark.parametrize("method,rounds", [("fork", 10), ("spawn", 2)])
def test_pools_while_another_thread_traces(agent_session, tmp_path, method, rounds):
    if method not in __import__("multiprocessing").get_all_start_methods():
        pytest.skip("no %s start method here" % method)
    script = tmp_path / "pools.py"
    script.write_text(PROGRAM)
    proc = subprocess.run(
        [sys.executable, str(script), method, str(rounds)],
        env=server_env(agent_session),
        cwd=str(tmp_path),
        capture_output=True,
        text=True,
        timeout=HANG * 3,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    answered, background, parent = result["answered"], result["background"], result["parent"]
    assert len(answered) == rounds * 4 and background > 0
    roots = traces_by_root(agent_session, len(answered) + background)
    tasks = {r["resource"]: r for r in roots if r["name"] == "pool.task"}
    assert sorted(tasks) == sorted(answered)
    for resource, pid in answered.items():
        assert tasks[resource]["metrics"]["process_id"] == pid
    by_pid = collections.Counter(r["metrics"]["process_id"] for r in roots if r["name"] == "background")
    assert by_pid == {parent: background}
    assert parent not in answered.values() and len(set(answered.values())) >= rounds
