"""Seeding (contract §3) end to end: real ``movies-api serve`` processes, the real OMDb
simulator, real SQLite files and a real PostgreSQL database.

Waits are generous and nothing here asserts a duration: the machine may be loaded, and
speed is the benchmark's business (benchmarks/seed.py).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from movies_api.db.engine import create_engine, session_factory
from movies_api.db.unit_of_work import SqlUnitOfWork
from movies_api.db.urls import async_url
from movies_api.domain.listing import Listing
from tests.processes import HANG_SECONDS, Process, start_server, start_simulator, wait_until

# The contract's 100 where the count is the point; elsewhere a smaller seed exercises the
# same behaviour (once, atomically, never again) in a fifth of the time.
FULL_SEED = 100
SEED_COUNT = 20
DEFAULT_KNOBS: dict[str, object] = {
    "latency_ms": 0,
    "max_concurrency": None,
    "error_rate": 0,
    "hang_rate": 0,
    "quota": None,
    "down": False,
}

Seed = dict[str, Any]
Launch = Callable[..., Process]


class Omdb:
    """The simulator as tests drive it: counters and knobs."""

    def __init__(self, process: Process) -> None:
        self.process = process
        self.base_url = process.url + "/"

    def stats(self) -> dict[str, Any]:
        response = httpx.get(self.process.url + "/__sim/stats", timeout=10)
        response.raise_for_status()
        stats: dict[str, Any] = response.json()
        return stats

    def requests(self) -> int:
        return int(self.stats()["requests"])

    def configure(self, **knobs: object) -> None:
        httpx.post(self.process.url + "/__sim/config", json=knobs, timeout=10).raise_for_status()

    def reset(self) -> None:
        httpx.post(self.process.url + "/__sim/reset", timeout=10).raise_for_status()

    def record(self, movie_id: str) -> dict[str, Any]:
        """What OMDb itself says of ``movie_id``, with the full plot."""
        params = {"i": movie_id, "plot": "full", "apikey": "test"}
        found: dict[str, Any] = httpx.get(self.base_url, params=params, timeout=10).json()
        return found


@pytest.fixture(scope="module")
def shared_simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    process = start_simulator(tmp_path_factory.mktemp("omdb-sim"))
    yield process
    process.terminate()


@pytest.fixture
def omdb(shared_simulator: Process) -> Omdb:
    """The module's simulator with default knobs and zeroed counters."""
    simulator = Omdb(shared_simulator)
    simulator.configure(**DEFAULT_KNOBS)
    simulator.reset()
    return simulator


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Launch]:
    """Start ``movies-api serve`` processes; whatever is still running is stopped at the end."""
    started: list[Process] = []

    def launch(env: dict[str, str], *, wait: bool = True) -> Process:
        process = start_server(tmp_path, env, wait=False)
        started.append(process)
        return process.wait_ready() if wait else process

    yield launch
    for process in started:
        if process.popen.poll() is None:
            process.terminate()


def one_seeds_requests(count: int) -> int:
    """What one seed of ``count`` asks OMDb for: the details, a few replacements and retries
    at most; well under what two seeds would ask."""
    return count + 10


def server_env(database_url: str, omdb: Omdb | None, **extra: str) -> dict[str, str]:
    """Everything a seeding server needs, and nothing the test runner's own env might leak."""
    return {
        "MOVIES_DATABASE_URL": database_url,
        "MOVIES_OMDB_BASE_URL": omdb.base_url if omdb else "http://127.0.0.1:9/",
        "MOVIES_OMDB_API_KEY": "test",
        "MOVIES_SEED_COUNT": str(SEED_COUNT),
        "MOVIES_SEED_ON_STARTUP": "true",
        "MOVIES_SEED_SEARCH": "",
        "MOVIES_REDIS_URL": "",
        **extra,
    }


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def seed_status(server: Process) -> Seed:
    response = httpx.get(server.url + "/readyz", timeout=10)
    assert response.status_code == 200, response.text
    seed: Seed = response.json()["seed"]
    return seed


def wait_for_seed(server: Process, until: Callable[[Seed], bool]) -> Seed:
    """Poll ``/readyz`` until the seed's status satisfies ``until``; that status."""
    seen: list[Seed] = []

    def matches() -> bool:
        seen.append(seed_status(server))
        return until(seen[-1])

    wait_until(matches, what="the seed's status to match", process=server)
    return seen[-1]


def is_done(seed: Seed) -> bool:
    return bool(seed["state"] == "done")


def catalogue(server: Process) -> dict[str, Any]:
    """The first page of 100: with a seed of 100 that is the whole catalogue."""
    response = httpx.get(server.url + "/movies", params={"limit": 100}, timeout=10)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def stored_in_sqlite(path: Path) -> tuple[int, bool]:
    """How many movies the file holds, and whether it is marked seeded."""
    with sqlite3.connect(path) as db:
        (movies,) = db.execute("SELECT count(*) FROM movies").fetchone()
        (seeded,) = db.execute("SELECT seeded FROM catalogue_state").fetchone()
    return int(movies), bool(seeded)


def run_seed_command(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "movies_api", "seed"],
        env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=HANG_SECONDS,
        check=False,
    )


# --- a fresh start, and restarts ------------------------------------------------------------


def test_fresh_start_seeds_100_distinct_movies_with_full_details(
    sqlite_url: str, omdb: Omdb, launch: Launch
) -> None:
    server = launch(server_env(sqlite_url, omdb, MOVIES_SEED_COUNT=str(FULL_SEED)))

    seed = wait_for_seed(server, is_done)

    assert seed["fetched"] == seed["target"] == FULL_SEED
    assert "error" not in seed
    page = catalogue(server)
    assert page["total"] == FULL_SEED
    ids = [movie["id"] for movie in page["items"]]
    assert len(set(ids)) == FULL_SEED
    assert {movie["type"] for movie in page["items"]} == {"movie"}
    sample = httpx.get(f"{server.url}/movies/{ids[len(ids) // 2]}", timeout=10).json()
    upstream = omdb.record(sample["id"])
    assert sample["title"] == upstream["Title"]
    assert sample["plot"] == upstream["Plot"]  # the full plot, not OMDb's short one
    assert sample["directors"]
    assert sample["actors"]
    assert sample["genres"]
    assert sample["released"] is not None
    assert sample["runtime_minutes"] is not None
    assert sample["imdb_rating"] is not None
    assert sample["ratings"]
    # +1: the check just above
    assert omdb.stats()["by_kind"]["i"] <= one_seeds_requests(FULL_SEED) + 1


def test_restart_sends_omdb_nothing(sqlite_url: str, omdb: Omdb, launch: Launch) -> None:
    env = server_env(sqlite_url, omdb)
    first = launch(env)
    wait_for_seed(first, is_done)
    assert first.terminate() == 0
    requests_after_seed = omdb.requests()

    second = launch(env)
    seed = wait_for_seed(second, is_done)

    assert omdb.requests() == requests_after_seed
    assert seed["attempts"] == 1
    assert catalogue(second)["total"] == SEED_COUNT


def empty_through_the_data_layer(url: str) -> None:
    """Delete every movie as the service deletes one (so the kept total follows)."""

    async def run() -> None:
        engine = create_engine(async_url(url))
        sessions = session_factory(engine)
        try:
            async with SqlUnitOfWork(sessions) as uow:
                page = await uow.movies.listing(Listing(), limit=1000)
                for item in page.items:
                    await uow.movies.delete(str(item.position[-1]))
                await uow.commit()
        finally:
            sessions.close()
            await engine.dispose()

    asyncio.run(run())


def test_emptied_catalogue_is_not_seeded_again_on_restart(
    sqlite_url: str, omdb: Omdb, launch: Launch
) -> None:
    env = server_env(sqlite_url, omdb)
    first = launch(env)
    wait_for_seed(first, is_done)
    assert first.terminate() == 0
    empty_through_the_data_layer(sqlite_url)
    assert stored_in_sqlite(sqlite_path(sqlite_url)) == (0, True)
    requests_after_seed = omdb.requests()

    second = launch(env)
    wait_for_seed(second, is_done)

    assert omdb.requests() == requests_after_seed
    assert catalogue(second)["total"] == 0


# --- several instances on one database ------------------------------------------------------


def test_two_servers_on_one_sqlite_file_seed_it_once(
    sqlite_url: str, omdb: Omdb, launch: Launch
) -> None:
    env = server_env(sqlite_url, omdb)
    servers = [launch(env, wait=False) for _ in range(2)]
    for server in servers:
        server.wait_ready()

    for server in servers:
        wait_for_seed(server, is_done)

    assert omdb.requests() <= one_seeds_requests(SEED_COUNT)
    assert [catalogue(server)["total"] for server in servers] == [SEED_COUNT] * 2
    assert stored_in_sqlite(sqlite_path(sqlite_url)) == (SEED_COUNT, True)


@pytest.mark.postgres
def test_three_servers_on_one_postgres_database_seed_it_once(
    postgres_url: str, omdb: Omdb, launch: Launch
) -> None:
    env = server_env(postgres_url, omdb)
    servers = [launch(env, wait=False) for _ in range(3)]
    for server in servers:
        server.wait_ready()

    for server in servers:
        wait_for_seed(server, is_done)

    assert omdb.requests() <= one_seeds_requests(SEED_COUNT)
    pages = [catalogue(server) for server in servers]
    assert [page["total"] for page in pages] == [SEED_COUNT] * 3
    assert len({movie["id"] for movie in pages[0]["items"]}) == SEED_COUNT


# --- crashes and outages ----------------------------------------------------------------------


def test_sigkill_mid_seed_leaves_no_movies_and_next_start_completes(
    tmp_path: Path, sqlite_url: str, launch: Launch
) -> None:
    # 100 requests, 8 at a time, 300 ms each: the seed takes about four seconds.
    slow = Omdb(start_simulator(tmp_path, "--latency-ms", "300"))
    try:
        env = server_env(sqlite_url, slow, MOVIES_SEED_COUNT=str(FULL_SEED))
        first = launch(env)
        seed = wait_for_seed(first, lambda s: s["state"] == "running" and s["fetched"] > 0)
        first.kill()
        assert seed["fetched"] < FULL_SEED  # killed mid-seed, not after it

        assert stored_in_sqlite(sqlite_path(sqlite_url)) == (0, False)

        slow.configure(latency_ms=0)
        second = launch(env)
        wait_for_seed(second, is_done)
        assert catalogue(second)["total"] == FULL_SEED
        assert stored_in_sqlite(sqlite_path(sqlite_url)) == (FULL_SEED, True)
    finally:
        slow.process.terminate()


def test_omdb_down_at_start_serves_meanwhile_and_seeds_once_omdb_returns(
    sqlite_url: str, omdb: Omdb, launch: Launch
) -> None:
    omdb.configure(down=True)
    server = launch(server_env(sqlite_url, omdb))

    failed = wait_for_seed(server, lambda s: s["state"] == "failed")
    assert failed["error"]
    assert httpx.get(server.url + "/healthz", timeout=10).status_code == 200
    assert catalogue(server)["total"] == 0
    assert stored_in_sqlite(sqlite_path(sqlite_url)) == (0, False)

    omdb.configure(down=False)
    # The contract's promise is "within a minute of OMDb coming back": its timing is the
    # benchmarks' business, so here it is waited for as long as it takes.
    seed = wait_for_seed(server, is_done)

    assert "error" not in seed
    assert catalogue(server)["total"] == SEED_COUNT


def test_seed_completes_despite_30_percent_upstream_errors(
    tmp_path: Path, sqlite_url: str, launch: Launch
) -> None:
    flaky = Omdb(start_simulator(tmp_path, "--error-rate", "0.3", "--seed", "7"))
    try:
        server = launch(server_env(sqlite_url, flaky))

        wait_for_seed(server, is_done)

        page = catalogue(server)
        assert page["total"] == SEED_COUNT
        assert len({movie["id"] for movie in page["items"]}) == SEED_COUNT
        assert flaky.stats()["requests"] > SEED_COUNT  # errors were indeed injected and retried
    finally:
        flaky.process.terminate()


# --- movies-api seed ------------------------------------------------------------------------


def test_seed_command_seeds_then_has_nothing_to_do(
    tmp_path: Path, sqlite_url: str, omdb: Omdb
) -> None:
    env = server_env(sqlite_url, omdb)

    first = run_seed_command(tmp_path, env)

    assert first.returncode == 0, first.stdout + first.stderr
    assert f"seeded {SEED_COUNT} movies" in first.stdout + first.stderr
    assert stored_in_sqlite(sqlite_path(sqlite_url)) == (SEED_COUNT, True)
    requests_after_seed = omdb.requests()

    second = run_seed_command(tmp_path, env)

    assert second.returncode == 0, second.stdout + second.stderr
    assert "nothing to do" in second.stdout + second.stderr
    assert omdb.requests() == requests_after_seed


def test_seed_command_without_an_omdb_key_exits_1_saying_which_setting_is_missing(
    tmp_path: Path, sqlite_url: str
) -> None:
    result = run_seed_command(tmp_path, server_env(sqlite_url, None, MOVIES_OMDB_API_KEY=""))

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "MOVIES_OMDB_API_KEY" in output
    assert "Traceback" not in output
    assert stored_in_sqlite(sqlite_path(sqlite_url)) == (0, False)
