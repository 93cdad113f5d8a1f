"""How ``movies-api serve`` behaves as a process (contract §2 Operations, §4, §5): the port
and address it binds, its shutdown on SIGTERM, its log lines, its refusal of bad
configuration and its database URLs."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import asyncpg
import httpx
import orjson
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import free_port
from tests.processes import Process, start_server, start_simulator, wait_until

# Cloud Run's grace period after SIGTERM (contract §2).
EXIT_BOUND_SECONDS = 10.0
LISTEN = "0A"  # TCP state "listening" in /proc/net/tcp
# Variables that change what ``serve`` does; a test sets the ones it is about.
RUNTIME_VARIABLES = ("PORT", "K_SERVICE", "GOOGLE_CLOUD_PROJECT", "MOVIES_LOG_FORMAT")


def _environment(env: Mapping[str, str]) -> dict[str, str]:
    """The whole environment of a process started here, without the caller's settings."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("MOVIES_") and name not in RUNTIME_VARIABLES
    }
    return {**inherited, "PYTHONUNBUFFERED": "1", "MOVIES_SEED_ON_STARTUP": "false", **env}


def _serve_without_port_option(tmp_path: Path, env: Mapping[str, str], port: int) -> Process:
    """``movies-api serve`` with no ``--port``: the port comes from ``PORT`` in ``env``."""
    env = {"MOVIES_SEED_ON_STARTUP": "false", **env}
    return Process(
        ["serve"], env=env, cwd=tmp_path, log=tmp_path / "serve.log", port=port
    ).wait_ready()


def _listening_addresses(port: int) -> set[str]:
    """The IPv4 addresses something listens on at ``port``, from /proc/net/tcp (host order)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        address, hex_port = fields[1].split(":")
        if fields[3] == LISTEN and int(hex_port, 16) == port:
            found.add(socket.inet_ntoa(struct.pack("=I", int(address, 16))))
    return found


def test_serve_listens_on_the_port_variable_and_only_on_loopback_by_default(
    tmp_path: Path, sqlite_url: str
) -> None:
    port = free_port()
    server = _serve_without_port_option(
        tmp_path, {"PORT": str(port), "MOVIES_DATABASE_URL": sqlite_url}, port
    )
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").json() == {"status": "ok"}
        assert _listening_addresses(port) == {"127.0.0.1"}
    finally:
        server.terminate()


def test_serve_listens_on_every_interface_on_cloud_run(tmp_path: Path, sqlite_url: str) -> None:
    port = free_port()
    server = _serve_without_port_option(
        tmp_path,
        {"PORT": str(port), "K_SERVICE": "movies-api", "MOVIES_DATABASE_URL": sqlite_url},
        port,
    )
    try:
        assert _listening_addresses(port) == {"0.0.0.0"}
    finally:
        server.terminate()


# --- SIGTERM -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def omdb_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    simulator = start_simulator(tmp_path_factory.mktemp("omdb-sim"))
    yield simulator
    simulator.terminate()


def _requests_seen(sim: Process) -> int:
    """How many OMDb requests the simulator has received."""
    response = httpx.get(sim.url + "/__sim/stats")
    response.raise_for_status()
    return int(response.json()["requests"])


def _set_latency(sim: Process, milliseconds: int) -> None:
    httpx.post(sim.url + "/__sim/config", json={"latency_ms": milliseconds}).raise_for_status()


@pytest.fixture
def slow_omdb(omdb_sim: Process) -> Iterator[Process]:
    """The simulator, its latency set by the test; back to instant afterwards."""
    yield omdb_sim
    _set_latency(omdb_sim, 0)


class InFlightAdd:
    """``POST /movies`` running in a thread, known to be waiting on OMDb once started."""

    def __init__(self, server: Process, sim: Process, title: str) -> None:
        self.response: httpx.Response | None = None
        self.error: Exception | None = None
        asked = _requests_seen(sim)
        self._thread = threading.Thread(target=self._post, args=(server.url, title), daemon=True)
        self._thread.start()
        wait_until(lambda: _requests_seen(sim) > asked, what="the add to reach OMDb")

    def _post(self, url: str, title: str) -> None:
        try:
            self.response = httpx.post(url + "/movies", json={"title": title}, timeout=30)
        except httpx.HTTPError as error:
            self.error = error

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def result(self) -> httpx.Response:
        self._thread.join(timeout=30)
        assert self.response is not None, f"no response: {self.error!r}"
        return self.response


def _serve_with_omdb(tmp_path: Path, sqlite_url: str, sim: Process) -> Process:
    return start_server(
        tmp_path,
        {
            "MOVIES_DATABASE_URL": sqlite_url,
            "MOVIES_SEED_ON_STARTUP": "false",
            "MOVIES_OMDB_API_KEY": "test-key",
            "MOVIES_OMDB_BASE_URL": sim.url + "/",
            "MOVIES_OMDB_TIMEOUT": "60",
        },
    )


def _refuses_connections(port: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        except ConnectionRefusedError:
            return True
        time.sleep(0.02)
    return False


def _stored_ids(sqlite_url: str) -> set[str]:
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as connection:
        return {row[0] for row in connection.execute("SELECT id FROM movies")}


def _exit_status_within_bound(server: Process, signalled_at: float) -> int | None:
    """The exit status, or None if the process still ran 10 s after SIGTERM."""
    try:
        return server.popen.wait(
            timeout=max(0.0, signalled_at + EXIT_BOUND_SECONDS - time.monotonic())
        )
    except subprocess.TimeoutExpired:
        return None


def test_sigterm_lets_an_in_flight_add_finish_refuses_new_connections_and_exits_0(
    tmp_path: Path, sqlite_url: str, slow_omdb: Process
) -> None:
    server = _serve_with_omdb(tmp_path, sqlite_url, slow_omdb)
    # OMDb answers after 6 s: the add outlives the refusal checked below by seconds, and
    # still ends inside the 8 s grace period.
    _set_latency(slow_omdb, 6000)
    try:
        add = InFlightAdd(server, slow_omdb, "The Matrix")
        server.popen.send_signal(signal.SIGTERM)
        signalled_at = time.monotonic()

        assert _refuses_connections(server.port, within=5.0)
        assert add.running, "new connections must be refused while the add is still running"
        response = add.result()
        status = _exit_status_within_bound(server, signalled_at)
    finally:
        server.terminate()

    assert response.status_code == 201
    assert status == 0, server.output()
    assert response.json()["id"] in _stored_ids(sqlite_url)


def test_an_add_still_running_after_the_grace_period_is_cancelled_and_nothing_is_stored(
    tmp_path: Path, sqlite_url: str, slow_omdb: Process
) -> None:
    server = _serve_with_omdb(tmp_path, sqlite_url, slow_omdb)
    _set_latency(slow_omdb, 20_000)
    try:
        add = InFlightAdd(server, slow_omdb, "The Matrix")
        server.popen.send_signal(signal.SIGTERM)
        signalled_at = time.monotonic()
        status = _exit_status_within_bound(server, signalled_at)
        response = add.result()
    finally:
        server.terminate()

    assert status == 0, server.output()
    # Cancelled, it answers as every error does: a problem, not a bare 500 (contract §2).
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 503
    assert _stored_ids(sqlite_url) == set()


# --- JSON logs -----------------------------------------------------------------------


class SplitOutputServer:
    """``movies-api serve`` with stdout and stderr kept apart, as Cloud Logging reads them."""

    def __init__(self, tmp_path: Path, env: Mapping[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stdout_path = tmp_path / "stdout.log"
        with self.stdout_path.open("wb") as stdout, (tmp_path / "stderr.log").open("wb") as err:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "movies_api", "serve", "--port", str(self.port)],
                env=_environment(env),
                cwd=tmp_path,
                stdout=stdout,
                stderr=err,
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        try:
            wait_until(self._answers, what="serve to answer /healthz", process=self)
        except BaseException:
            self.stop()
            raise

    def _answers(self) -> bool:
        try:
            return httpx.get(self.url + "/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def exited(self) -> bool:
        return self.popen.poll() is not None

    def output(self) -> str:
        return self.stdout_path.read_text()

    def stop(self) -> str:
        """SIGTERM, wait, and the whole of stdout."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.stdout_path.read_text()


@pytest.mark.parametrize(
    "env",
    [
        pytest.param({"MOVIES_LOG_FORMAT": "json"}, id="MOVIES_LOG_FORMAT=json"),
        pytest.param({"K_SERVICE": "movies-api"}, id="K_SERVICE-set"),
    ],
)
def test_json_logs_are_one_object_a_line_with_cloud_logging_fields(
    tmp_path: Path, sqlite_url: str, env: dict[str, str]
) -> None:
    server = SplitOutputServer(
        tmp_path, {**env, "MOVIES_DATABASE_URL": sqlite_url, "GOOGLE_CLOUD_PROJECT": "p"}
    )
    try:
        traced = httpx.get(
            server.url + "/movies?page=1&limit=5",
            headers={"X-Cloud-Trace-Context": "abc123/1;o=1"},
        )
        untraced = httpx.get(server.url + "/movies/tt0000001")
    finally:
        stdout = server.stop()
    assert (traced.status_code, untraced.status_code) == (200, 404)

    lines = [orjson.loads(line) for line in stdout.splitlines()]
    assert lines, "serve wrote nothing to stdout"
    for line in lines:
        assert isinstance(line, dict)
        assert isinstance(line["severity"], str)
        assert isinstance(line["message"], str)
    requests = {line["httpRequest"]["requestUrl"]: line for line in lines if "httpRequest" in line}
    first = requests["/movies?page=1&limit=5"]
    assert first["httpRequest"]["requestMethod"] == "GET"
    assert first["httpRequest"]["status"] == 200
    assert first["httpRequest"]["latency"].endswith("s")
    float(first["httpRequest"]["latency"].removesuffix("s"))
    assert first["logging.googleapis.com/trace"] == "projects/p/traces/abc123"
    second = requests["/movies/tt0000001"]
    assert second["httpRequest"]["status"] == 404
    assert "logging.googleapis.com/trace" not in second


# --- configuration -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MOVIES_ADD_RATE_LIMIT", "5/day"),
        ("MOVIES_DATABASE_URL", "mysql://x"),
        ("PORT", "eighty"),
    ],
)
def test_invalid_configuration_stops_serve_at_once_with_one_line_naming_the_variable(
    tmp_path: Path, variable: str, value: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "movies_api", "serve"],
        env=_environment({variable: value}),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f" {variable}: " in lines[0]  # the variable itself, not MOVIES_{variable}
    assert "Traceback" not in lines[0]


# --- database URL --------------------------------------------------------------------


def _socket_directory(postgres_url: str) -> Path:
    """The first directory the running PostgreSQL puts its unix socket in."""

    async def ask() -> str:
        connection = await asyncpg.connect(postgres_url)
        try:
            return str(await connection.fetchval("SHOW unix_socket_directories"))
        finally:
            await connection.close()

    return Path(asyncio.run(ask()).split(",")[0].strip())


def test_a_unix_socket_database_url_is_migrated_and_served(
    tmp_path: Path, postgres_url: str
) -> None:
    # The socket is reached through a directory of our own, linked to the server's, so the
    # test fails if the URL's host were dropped (asyncpg would then try its default places).
    admin = make_url(postgres_url)
    socket_name = f".s.PGSQL.{admin.port or 5432}"
    sockets = tmp_path / "sockets"
    sockets.mkdir()
    (sockets / socket_name).symlink_to(_socket_directory(postgres_url) / socket_name)
    url = f"postgresql://{admin.username}@/{admin.database}?host={sockets}"
    if admin.port not in (None, 5432):
        url += f"&port={admin.port}"
    server = start_server(tmp_path, {"MOVIES_DATABASE_URL": url, "MOVIES_SEED_ON_STARTUP": "false"})
    try:
        listing = httpx.get(server.url + "/movies")
        ready = httpx.get(server.url + "/readyz")
    finally:
        server.terminate()
    assert listing.status_code == 200
    assert listing.json()["total"] == 0
    assert ready.status_code == 200
