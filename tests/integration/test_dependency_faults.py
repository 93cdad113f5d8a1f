"""Failing dependencies under load, on private servers this test starts and breaks (never
the machine's own PostgreSQL or Redis): no 500 ever, a bounded number of log lines,
recovery without a restart, and no acknowledged write lost (issue 10 rows 11, 13-15).

Load runs in threads until the faults are over; nothing is timed.
"""

from __future__ import annotations

import collections
import glob
import os
import pwd
import random
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import absent, free_port
from tests.integration.live_service import Simulator, serve
from tests.processes import Process, start_simulator, wait_until

TIMEOUT = 120.0


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    process = start_simulator(tmp_path_factory.mktemp("omdb-sim"))
    simulator = Simulator(process)
    simulator.configure(synthesize_ids=True)  # any well-formed id is a movie: adds succeed
    yield simulator
    process.terminate()


class Load:
    """Readers and adders hammering ``server`` until stopped; every status is counted and
    every acknowledged add (201) remembered."""

    def __init__(self, server: Process) -> None:
        self._url = server.url
        self._stop = threading.Event()
        self.statuses: collections.Counter[int] = collections.Counter()
        self.added: list[str] = []
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._read) for _ in range(2)]
        self._threads.append(threading.Thread(target=self._add))

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _loop(self, request: Callable[[httpx.Client], httpx.Response]) -> None:
        with httpx.Client(base_url=self._url, timeout=TIMEOUT) as http:
            while not self._stop.is_set():
                response = request(http)
                with self._lock:
                    self.statuses[response.status_code] += 1
                    if response.status_code == 201:
                        self.added.append(response.json()["id"])

    def _read(self) -> None:
        self._loop(
            lambda http: http.get("/movies", params={"page": random.randint(1, 5), "limit": 3})
        )

    def _add(self) -> None:
        self._loop(
            lambda http: http.post("/movies", json={"id": f"tt{random.randint(10**6, 10**7 - 1)}"})
        )

    def served(self, count: int) -> None:
        """Until at least ``count`` more requests were answered."""
        start = sum(self.statuses.values())
        wait_until(lambda: sum(self.statuses.values()) >= start + count, what="more requests")


def five_hundreds(load: Load) -> dict[int, int]:
    return {status: n for status, n in load.statuses.items() if status >= 500 and status != 503}


# --- PostgreSQL -------------------------------------------------------------------------------


class PrivatePostgres:
    """A PostgreSQL cluster of this test's own, on a free port, run as an unprivileged user."""

    def __init__(self, home: Path) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            absent("PostgreSQL's initdb", " (apt-get install postgresql)")
        self._bin = Path(found[-1]).parent
        self._home = home
        self.port = free_port()
        self._user = "nobody" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        if os.geteuid() == 0:
            shutil.chown(home, self._user)
        self._run("initdb", "-D", str(home / "data"), "-U", "postgres", "--auth=trust")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self._bin / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", self._user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=TIMEOUT)

    def _ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self._home} -c listen_addresses=127.0.0.1"
        self._run(
            "pg_ctl", "-D", str(self._home / "data"), "-o", options, "-l",
            str(self._home / "log"), "-w", *extra, action,
        )  # fmt: skip

    def start(self) -> None:
        self._ctl("start")

    def crash_and_restart(self) -> None:
        """Every connection dropped at once, as a crash or failover does."""
        self._ctl("restart", "-m", "immediate")

    def stop(self) -> None:
        self._ctl("stop", "-m", "immediate")


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    # Not under tmp_path: pytest's base directory is private to its owner, and the cluster's
    # unprivileged user must reach its own directory.
    home = Path(tempfile.mkdtemp(prefix="movies-api-pg-"))
    try:
        cluster = PrivatePostgres(home)
        cluster.start()
        yield cluster
        cluster.stop()
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_postgresql_crashing_under_load_is_503_never_500_and_loses_no_write(
    tmp_path: Path, simulator: Simulator, postgres: PrivatePostgres
) -> None:
    server = serve(
        tmp_path, postgres.url, simulator, env={"MOVIES_ADD_RATE_LIMIT": "1000000/minute"}
    )
    try:
        with Load(server) as load:
            load.served(50)
            for _ in range(3):
                postgres.crash_and_restart()
                load.served(50)  # answered again after the restart: recovered in place
        assert five_hundreds(load) == {}
        assert load.statuses[200]
        assert load.statuses[201]
        with httpx.Client(base_url=server.url, timeout=TIMEOUT) as http:
            for movie_id in load.added:
                assert http.get(f"/movies/{movie_id}").status_code == 200
        output = server.output()
        assert "Traceback" not in output
        # one warning per kind of failure and 10 s, not one per failed request
        warnings = output.count("StorageUnavailable")
        assert warnings <= 3 * 4, output
    finally:
        server.terminate()


# --- Redis ------------------------------------------------------------------------------------


class PrivateRedis:
    def __init__(self, home: Path) -> None:
        if shutil.which("redis-server") is None:
            absent("redis-server", " (apt-get install redis-server)")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._pidfile = home / "redis.pid"

    def start(self) -> None:
        subprocess.run(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--daemonize", "yes", "--pidfile", str(self._pidfile)),
            ],
            check=True,
            timeout=TIMEOUT,
        )
        wait_until(self._pidfile.exists, what="redis-server's pid file")

    @property
    def pid(self) -> int:
        return int(self._pidfile.read_text())

    def signal(self, number: signal.Signals) -> None:
        os.kill(self.pid, number)

    def kill(self) -> None:
        pid = self.pid
        self._pidfile.unlink()
        os.kill(pid, signal.SIGKILL)


@contextmanager
def private_redis(home: Path) -> Iterator[PrivateRedis]:
    redis = PrivateRedis(home)
    redis.start()
    try:
        yield redis
    finally:
        if redis._pidfile.exists():
            redis.signal(signal.SIGCONT)
            redis.kill()


def test_redis_hung_then_killed_is_served_from_the_database_with_two_lines_per_outage(
    tmp_path: Path, simulator: Simulator
) -> None:
    with private_redis(tmp_path) as redis:
        server = serve(
            tmp_path,
            f"sqlite:///{tmp_path}/movies.db",
            simulator,
            env={"MOVIES_REDIS_URL": redis.url, "MOVIES_ADD_RATE_LIMIT": "1000000/minute"},
        )
        try:
            with Load(server) as load:
                load.served(30)
                redis.signal(signal.SIGSTOP)  # hung: every call would wait for its timeout
                load.served(100)
                redis.signal(signal.SIGCONT)
                wait_until(lambda: "Redis is available again" in server.output(), what="recovery")
                redis.kill()
                load.served(100)
                redis.start()
                wait_until(
                    lambda: server.output().count("Redis is available again") == 2,
                    what="recovery after the restart",
                    process=server,
                )
            assert set(load.statuses) <= {200, 201}, load.statuses
            output = server.output()
            assert output.count("Redis is unavailable") == 2
            assert "Traceback" not in output
            metrics = httpx.get(server.url + "/metrics", timeout=TIMEOUT).text
            assert 'movies_api_dependency_failures_total{dependency="Redis"}' in metrics
        finally:
            server.terminate()
