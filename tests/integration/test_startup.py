"""Start-up as people see it, in real processes: one line that says what ``serve`` runs on
and no chatter from libraries; and each failure people meet in their first hour ends the
command with one line on stderr naming the variable or path to fix, a non-zero status,
and no traceback (README, Configuration)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from movies_api import __version__
from movies_api.db.schema import SCHEMA_HEAD
from tests.conftest import free_port
from tests.integration.live_service import wait_seeded
from tests.processes import HANG_SECONDS, start_server, start_simulator

# Settings a test does not set must not come from the environment of whoever runs it.
PROCESS_VARIABLES = ("PORT", "K_SERVICE", "GOOGLE_CLOUD_PROJECT")


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str

    @property
    def one_line(self) -> str:
        """The failure's only line on stderr."""
        lines = self.stderr.strip().splitlines()
        assert len(lines) == 1, self.stderr
        assert "Traceback" not in self.stderr
        return lines[0]


def movies_api(
    tmp_path: Path, *args: str, env: dict[str, str], prefix: Sequence[str] = ()
) -> Finished:
    """``movies-api ARGS`` run to its end, as an operator runs it."""
    environment = {
        **{
            name: value
            for name, value in os.environ.items()
            if not name.startswith("MOVIES_") and name not in PROCESS_VARIABLES
        },
        "PYTHONUNBUFFERED": "1",
        "MOVIES_SEED_ON_STARTUP": "false",
        **env,
    }
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "movies_api", *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=HANG_SECONDS,
        check=False,
    )
    return Finished(done.returncode, done.stdout, done.stderr)


def serve(tmp_path: Path, env: dict[str, str], *, prefix: Sequence[str] = ()) -> Finished:
    return movies_api(tmp_path, "serve", "--port", str(free_port()), env=env, prefix=prefix)


def log_lines(text: str) -> list[tuple[str, str, str]]:
    """(level, logger, message) of each text-format log line."""
    lines = []
    for line in text.splitlines():
        _day, _time, level, logger, message = line.split(maxsplit=4)
        lines.append((level, logger.removesuffix(":"), message))
    return lines


def test_start_is_one_line_naming_what_it_runs_on_and_libraries_say_nothing(
    tmp_path: Path,
) -> None:
    omdb_key = "omdb-key-that-must-stay-secret"
    simulator = start_simulator(tmp_path)
    database = tmp_path / "movies.db"
    redis_port = free_port()  # nobody there: serve reaches Redis only when a request needs it
    try:
        server = start_server(
            tmp_path,
            {
                "MOVIES_DATABASE_URL": f"sqlite:///{database}",
                "MOVIES_OMDB_BASE_URL": simulator.url + "/",
                "MOVIES_OMDB_API_KEY": omdb_key,
                "MOVIES_SEED_COUNT": "3",
                "MOVIES_REDIS_URL": f"redis://:hunter2@127.0.0.1:{redis_port}/0",
                "MOVIES_LOG_FORMAT": "text",
                "MOVIES_ACCESS_LOG": "false",
            },
        )
        wait_seeded(server)
        assert server.terminate() == 0
    finally:
        simulator.terminate()
    output = server.log.read_text()

    (start, seeded) = log_lines(output)
    assert start[:2] == ("INFO", "movies_api")
    assert start[2] == (
        f"movies-api {__version__} serving {server.url}; "
        f"database sqlite:///{database} (schema {SCHEMA_HEAD}, migrated from nothing); "
        "cache in-process, 4096 responses, shared with rate limits through Redis "
        f"redis://:***@127.0.0.1:{redis_port}/0; "
        f"OMDb {simulator.url}/ (key set); "
        "seed starting: 3 movies from OMDb (bundled ids) in the background"
    )
    assert seeded == ("INFO", "movies_api.seeding", "seeded 3 movies (0 already stored)")
    assert omdb_key not in output
    assert "hunter2" not in output


def test_at_debug_each_omdb_request_is_a_line_without_the_key(tmp_path: Path) -> None:
    omdb_key = "omdb-key-that-must-stay-secret"
    simulator = start_simulator(tmp_path)
    try:
        server = start_server(
            tmp_path,
            {
                "MOVIES_DATABASE_URL": f"sqlite:///{tmp_path}/movies.db",
                "MOVIES_OMDB_BASE_URL": simulator.url + "/",
                "MOVIES_OMDB_API_KEY": omdb_key,
                "MOVIES_SEED_COUNT": "3",
                "MOVIES_LOG_LEVEL": "debug",
                "MOVIES_ACCESS_LOG": "false",
            },
        )
        wait_seeded(server)
        assert server.terminate() == 0
    finally:
        simulator.terminate()
    output = server.log.read_text()

    requests = [m for _level, logger, m in log_lines(output) if logger == "httpx"]
    assert len(requests) >= 3
    assert all(m.startswith(f"HTTP Request: GET {simulator.url}/?i=tt") for m in requests)
    assert omdb_key not in output


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port something else listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


@pytest.fixture
def as_unprivileged() -> list[str]:
    """A command prefix under which file permissions hold: root reads and writes anything
    (CAP_DAC_OVERRIDE), so as root the process runs without that capability."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is needed to drop root's file-permission override")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def test_unreachable_postgresql_is_one_line_naming_the_variable_without_the_password(
    tmp_path: Path,
) -> None:
    url = f"postgresql://movies:s3cret@127.0.0.1:{free_port()}/movies"

    done = serve(tmp_path, {"MOVIES_DATABASE_URL": url})

    assert done.returncode == 1
    line = done.one_line
    assert line.startswith("movies-api: MOVIES_DATABASE_URL: cannot use the database ")
    assert "postgresql://movies:***@127.0.0.1" in line
    assert "s3cret" not in done.stdout + done.stderr
    assert done.stdout == ""


def test_a_postgresql_database_that_does_not_exist_is_one_line(
    tmp_path: Path, postgres_url: str
) -> None:
    absent = postgres_url.rsplit("/", 1)[0] + "/movies_no_such_database"

    done = serve(tmp_path, {"MOVIES_DATABASE_URL": absent})

    assert done.returncode == 1
    assert 'database "movies_no_such_database" does not exist' in done.one_line
    assert "MOVIES_DATABASE_URL" in done.one_line


def test_migrate_and_keys_fail_the_same_way_on_an_unreachable_database(tmp_path: Path) -> None:
    env = {"MOVIES_DATABASE_URL": f"postgresql://movies@127.0.0.1:{free_port()}/movies"}

    for args in (("migrate",), ("keys", "list"), ("seed",)):
        done = movies_api(tmp_path, *args, env=env)
        assert done.returncode == 1, args
        assert done.one_line.startswith("movies-api: MOVIES_DATABASE_URL: cannot use"), args


def test_a_missing_sqlite_directory_is_refused_not_created(tmp_path: Path) -> None:
    directory = tmp_path / "typo" / "data"

    done = serve(tmp_path, {"MOVIES_DATABASE_URL": f"sqlite:///{directory}/movies.db"})

    assert done.returncode == 1
    assert done.one_line == (
        f"movies-api: MOVIES_DATABASE_URL: the directory {directory} does not exist; "
        "create it or correct the path"
    )
    assert not (tmp_path / "typo").exists()


def test_keys_create_refuses_a_missing_sqlite_directory_too(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/nowhere/movies.db"

    done = movies_api(tmp_path, "keys", "create", "--name", "x", env={"MOVIES_DATABASE_URL": url})

    assert done.returncode == 1
    assert "does not exist" in done.one_line
    assert done.stdout == ""  # no key was handed out
    assert not (tmp_path / "nowhere").exists()


def test_a_read_only_directory_is_one_line_naming_it(
    tmp_path: Path, as_unprivileged: list[str]
) -> None:
    directory = tmp_path / "read-only"
    directory.mkdir()
    directory.chmod(0o555)

    url = f"sqlite:///{directory}/movies.db"

    done = serve(tmp_path, {"MOVIES_DATABASE_URL": url}, prefix=as_unprivileged)

    assert done.returncode == 1
    assert f"the directory {directory} is read-only" in done.one_line
    assert done.one_line.startswith("movies-api: MOVIES_DATABASE_URL: ")


def test_the_default_database_in_a_read_only_working_directory_names_the_variable(
    tmp_path: Path, as_unprivileged: list[str]
) -> None:
    tmp_path.chmod(0o555)
    try:
        done = serve(tmp_path, {}, prefix=as_unprivileged)
    finally:
        tmp_path.chmod(0o755)

    assert done.returncode == 1
    assert done.one_line.startswith(
        "movies-api: MOVIES_DATABASE_URL (not set, so movies.db in the working directory): "
    )
    assert f"the directory {tmp_path} is read-only" in done.one_line


def test_a_read_only_database_file_is_one_line_naming_it(
    tmp_path: Path, as_unprivileged: list[str]
) -> None:
    url = f"sqlite:///{tmp_path}/movies.db"
    assert movies_api(tmp_path, "migrate", env={"MOVIES_DATABASE_URL": url}).returncode == 0
    (tmp_path / "movies.db").chmod(0o444)

    done = serve(tmp_path, {"MOVIES_DATABASE_URL": url}, prefix=as_unprivileged)

    assert done.returncode == 1
    assert f"{tmp_path / 'movies.db'} is read-only" in done.one_line


@pytest.mark.parametrize("url", ["http://x", "localhost:6379", "redis//127.0.0.1"])
def test_a_redis_url_that_is_not_one_is_one_line_naming_the_variable(
    tmp_path: Path, url: str
) -> None:
    done = serve(tmp_path, {"MOVIES_REDIS_URL": url})

    assert done.returncode == 2
    assert done.one_line == (
        "movies-api: invalid configuration: MOVIES_REDIS_URL: "
        "must be a redis://, rediss:// or unix:// URL"
    )


def test_a_port_in_use_fails_first_before_any_migration(tmp_path: Path, taken_port: int) -> None:
    database = tmp_path / "movies.db"

    done = movies_api(
        tmp_path,
        "serve",
        "--port",
        str(taken_port),
        env={"MOVIES_DATABASE_URL": f"sqlite:///{database}"},
    )

    assert done.returncode == 1
    assert done.one_line == (
        f"movies-api: port {taken_port} on 127.0.0.1 is already in use (--port): stop what "
        "listens there, or choose another port"
    )
    assert not database.exists()  # it never got as far as the database


def test_a_port_in_use_names_the_port_variable_when_it_chose_the_port(
    tmp_path: Path, taken_port: int
) -> None:
    done = movies_api(tmp_path, "serve", env={"PORT": str(taken_port)})

    assert done.returncode == 1
    assert f"port {taken_port} on 127.0.0.1 is already in use (PORT)" in done.one_line


def test_omdb_sim_on_a_taken_port_fails_with_one_line_and_never_says_listening(
    tmp_path: Path, taken_port: int
) -> None:
    done = movies_api(tmp_path, "omdb-sim", "--port", str(taken_port), env={})

    assert done.returncode == 1
    assert "listening" not in done.stdout
    assert f"port {taken_port} on 127.0.0.1 is already in use (--port)" in done.one_line
