"""Redis servers for the redis tests: the shared one on 127.0.0.1:6379 and a
three-node cluster the tests start themselves (and stop by PID)."""
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

REDIS_HOST = os.environ.get("TEST_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("TEST_REDIS_PORT", "6379"))
#: Database the tests use on the shared server (keys are prefixed and deleted, never flushed).
REDIS_DB = 9
#: Prefix of every key the tests write.
PREFIX = "ddtrace-test:"


def no_retry():
    """Client keyword arguments that turn redis-py's connection retries off (recent
    versions retry a refused connection with back-off, seconds per test)."""
    try:
        from redis.backoff import NoBackoff
        from redis.retry import Retry
    except ImportError:  # redis-py 3.x: no retries to turn off
        return {}
    return {"retry": Retry(NoBackoff(), 0)}


def _port_free(port):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_cluster_ports(n=3):
    """``n`` ports that are free along with their cluster-bus ports (port + 10000)."""
    rng = random.Random()
    chosen = []
    for _ in range(2000):
        port = rng.randrange(20000, 55000)
        if port in chosen or port + 10000 in chosen or port - 10000 in chosen:
            continue
        if _port_free(port) and _port_free(port + 10000):
            chosen.append(port)
            if len(chosen) == n:
                return chosen
    raise RuntimeError("no free ports for a redis cluster")


def _cli(*args, input=None, timeout=30):
    return subprocess.run(
        ["redis-cli"] + list(args),
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=None if input is not None else subprocess.DEVNULL,
    )


class RedisCluster:
    """Three ``redis-server --cluster-enabled yes`` nodes on 127.0.0.1, no replicas.

    ``start()`` launches them under a temporary directory with PID files and joins
    them with ``redis-cli --cluster create``; ``stop()`` ends exactly those processes
    (by the PIDs in their files) and removes the directory.
    """

    def __init__(self, nodes=3):
        self.nodes = nodes
        self.ports = []
        self.dir = None
        self.pids = []

    def _pidfile(self, port):
        return os.path.join(self.dir, str(port), "redis.pid")

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="ddtrace-redis-cluster-")
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self):
        last_error = None
        for _attempt in range(3):  # a port picked free can be taken before the server binds it
            self.ports = free_cluster_ports(self.nodes)
            started = []
            for port in self.ports:
                node_dir = os.path.join(self.dir, str(port))
                os.makedirs(node_dir, exist_ok=True)
                proc = subprocess.run(
                    [
                        "redis-server",
                        "--daemonize", "yes",
                        "--bind", "127.0.0.1",
                        "--port", str(port),
                        "--cluster-enabled", "yes",
                        "--cluster-config-file", os.path.join(node_dir, "nodes.conf"),
                        "--cluster-node-timeout", "5000",
                        "--dir", node_dir,
                        "--pidfile", self._pidfile(port),
                        "--logfile", os.path.join(node_dir, "redis.log"),
                        "--save", "",
                        "--appendonly", "no",
                    ],
                    capture_output=True,
                    text=True,
                    timeout=30,
                    stdin=subprocess.DEVNULL,
                )
                if proc.returncode != 0:
                    last_error = proc.stderr or proc.stdout
                    break
                started.append(port)
            if len(started) == len(self.ports) and self._wait_all_answer():
                break
            self._kill_all()
        else:
            raise RuntimeError("could not start the redis cluster nodes: %s" % (last_error,))
        addresses = ["127.0.0.1:%d" % p for p in self.ports]
        proc = _cli("--cluster", "create", *addresses, "--cluster-replicas", "0", input="yes\n", timeout=60)
        if proc.returncode != 0:
            raise RuntimeError("redis-cli --cluster create failed:\n%s\n%s" % (proc.stdout, proc.stderr))
        self._wait_cluster_ok()

    def _read_pids(self):
        pids = []
        for port in self.ports:
            try:
                with open(self._pidfile(port)) as f:
                    pids.append(int(f.read().strip()))
            except (OSError, ValueError):
                pass
        return pids

    def _wait_all_answer(self, timeout=10.0):
        give_up = time.monotonic() + timeout
        pending = list(self.ports)
        while pending and time.monotonic() < give_up:
            pending = [p for p in pending if _cli("-p", str(p), "ping", timeout=5).stdout.strip() != "PONG"]
            if pending:
                time.sleep(0.05)
        self.pids = self._read_pids()
        return not pending

    def _wait_cluster_ok(self, timeout=30.0):
        give_up = time.monotonic() + timeout
        while time.monotonic() < give_up:
            states = [_cli("-p", str(p), "cluster", "info", timeout=5).stdout for p in self.ports]
            if all("cluster_state:ok" in s for s in states):
                return
            time.sleep(0.1)
        raise RuntimeError("the redis cluster did not reach cluster_state:ok")

    def _kill_all(self):
        pids = self._read_pids() or self.pids
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        give_up = time.monotonic() + 10
        for pid in pids:
            while time.monotonic() < give_up:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
            else:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.pids = []

    def stop(self):
        """Stop the nodes this object started and remove their directory."""
        if self.dir is None:
            return
        self._kill_all()
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    @property
    def startup_port(self):
        return self.ports[0]


def have_redis_binaries():
    return shutil.which("redis-server") is not None and shutil.which("redis-cli") is not None


@pytest.fixture(scope="session")
def redis_cluster():
    """A three-node Redis cluster started for the session and stopped at its end
    (a fixture: conftests import it)."""
    if not have_redis_binaries():
        message = "redis-server / redis-cli not installed: cannot start a Redis cluster"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    cluster = RedisCluster().start()
    try:
        yield cluster
    finally:
        cluster.stop()
