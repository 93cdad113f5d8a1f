"""Several ``serve`` processes on one database, as Cloud Run scales out (contract §2, §5):
whatever one instance changes, every other serves at once, cache or no cache, Redis or not.
(A rate limit shared through Redis by two servers is test_add_http's.)"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from movies_api.cli.seed import run_seed
from movies_api.settings import DEFAULT_SQLITE_FILE, Settings
from tests.conftest import fresh_postgres_database, held_redis_database
from tests.processes import Process, start_server, start_simulator

SEEDED = 12
LISTING = "/movies?page=1&limit=100"
OMDB_KEY = "test-key"


@pytest.fixture(scope="module")
def omdb_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    simulator = start_simulator(tmp_path_factory.mktemp("omdb-sim"))
    yield simulator
    simulator.terminate()


def _start_instances(tmp_path: Path, env: dict[str, str], count: int) -> list[Process]:
    """``count`` serve processes started together, as a scale-out starts them."""
    instances = [start_server(tmp_path, env, wait=False) for _ in range(count)]
    try:
        for instance in instances:
            instance.wait_ready()
    except BaseException:
        for instance in instances:
            instance.terminate()
        raise
    return instances


@dataclass
class Deployment:
    """Instances A, B (and C) of one service on one database."""

    instances: list[Process]
    env: dict[str, str]
    cwd: Path

    def api_key(self) -> str:
        """A new key with the delete scope, made as an operator makes one."""
        done = subprocess.run(
            [sys.executable, "-m", "movies_api", "keys", "create", "--name", "t"],
            env={**os.environ, **self.env},
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout.strip().splitlines()[-1]


@pytest.fixture(
    scope="module",
    params=[
        pytest.param(("postgresql", False, 3), id="postgresql-3-instances"),
        pytest.param(("postgresql", True, 3), id="postgresql-redis-3-instances"),
        pytest.param((None, False, 2), id="default-sqlite-file-2-instances"),
    ],
)
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, omdb_sim: Process
) -> Iterator[Deployment]:
    """A seeded database (seeding on start off) served by several instances; without a
    database server, the embedded default: an SQLite file in the instances' directory.

    The module's tests share each deployment: one deletes a movie, the other adds one, and
    each measures against what it finds, never against the seed."""
    database, with_redis, count = request.param
    tmp_path = tmp_path_factory.mktemp("deployment")
    env = {
        "MOVIES_SEED_ON_STARTUP": "false",
        "MOVIES_OMDB_API_KEY": OMDB_KEY,
        "MOVIES_OMDB_BASE_URL": omdb_sim.url + "/",
    }
    with contextlib.ExitStack() as resources:
        if database is None:
            database_url = f"sqlite:///{tmp_path / DEFAULT_SQLITE_FILE}"
        else:
            database_url = resources.enter_context(fresh_postgres_database())
            env["MOVIES_DATABASE_URL"] = database_url
        if with_redis:
            env["MOVIES_REDIS_URL"] = resources.enter_context(held_redis_database())
        seeded = Settings(
            database_url=database_url,
            omdb_api_key=OMDB_KEY,
            omdb_base_url=omdb_sim.url + "/",
            seed_count=SEEDED,
        )
        assert run_seed(seeded) == 0
        instances = _start_instances(tmp_path, env, count)
        try:
            yield Deployment(instances, env, tmp_path)
        finally:
            for instance in instances:
                instance.terminate()


def _get(instance: Process, path: str, etag: str | None = None) -> httpx.Response:
    headers = {"If-None-Match": etag} if etag else {}
    return httpx.get(instance.url + path, headers=headers)


def _ids(listing: httpx.Response) -> set[str]:
    return {movie["id"] for movie in listing.json()["items"]}


def _warm(instances: list[Process], path: str) -> str:
    """Read ``path`` on every instance until each answers from its cache (304 on its
    ETag); every instance must agree on that ETag. Returns it."""
    etags = set()
    for instance in instances:
        first = _get(instance, path)
        assert first.status_code == 200, (path, first.text)
        etag = first.headers["ETag"]
        assert _get(instance, path, etag).status_code == 304
        etags.add(etag)
    assert len(etags) == 1, f"instances disagree on the ETag of {path}: {etags}"
    return etags.pop()


def _movie_with_unique_title(instance: Process) -> dict[str, Any]:
    for movie in _get(instance, LISTING).json()["items"]:
        if _get(instance, _by_title(movie)).status_code == 200:
            return dict(movie)
    raise AssertionError("no seeded movie has a title of its own")


def _by_title(movie: dict[str, Any]) -> str:
    return f"/movies/by-title?title={quote(movie['title'])}"


def test_a_delete_through_one_instance_is_never_served_by_another(
    deployment: Deployment,
) -> None:
    instances = deployment.instances
    a = instances[0]
    victim = _movie_with_unique_title(a)
    by_id, by_title = f"/movies/{victim['id']}", _by_title(victim)
    old = {path: _warm(instances, path) for path in (LISTING, by_id, by_title)}
    total_before = _get(a, LISTING).json()["total"]

    deleted = httpx.delete(
        a.url + by_id, headers={"Authorization": f"Bearer {deployment.api_key()}"}
    )
    assert deleted.status_code == 204

    for instance in instances:
        assert _get(instance, by_id).status_code == 404
        assert _get(instance, by_id, old[by_id]).status_code == 404
        assert _get(instance, by_title, old[by_title]).status_code == 404
        listing = _get(instance, LISTING, old[LISTING])
        assert listing.status_code == 200, "the old ETag must no longer match"
        assert listing.headers["ETag"] != old[LISTING]
        assert victim["id"] not in _ids(listing)
        assert listing.json()["total"] == total_before - 1


def _title_not_stored(stored: set[str]) -> dict[str, Any]:
    """A movie the simulator knows, not yet in the catalogue, whose title is its own."""
    text = resources.files("movies_api.omdb.simulator").joinpath("catalogue.json").read_text()
    records: list[dict[str, Any]] = json.loads(text)
    titles = [record["Title"].casefold() for record in records]
    for record in records:
        if (
            record["Type"] == "movie"
            and record["imdbID"] not in stored
            and titles.count(record["Title"].casefold()) == 1
        ):
            return record
    raise AssertionError("the simulator knows no movie outside the seed")


def test_a_movie_added_through_one_instance_is_listed_by_all(deployment: Deployment) -> None:
    instances = deployment.instances
    a = instances[0]
    old_etag = _warm(instances, LISTING)
    before = _get(a, LISTING).json()
    wanted = _title_not_stored(_ids(_get(a, LISTING)))

    added = httpx.post(a.url + "/movies", json={"title": wanted["Title"]})
    assert added.status_code == 201, added.text
    new_id = added.json()["id"]
    assert new_id == wanted["imdbID"]

    for instance in instances:
        listing = _get(instance, LISTING, old_etag)
        assert listing.status_code == 200, "the old ETag must no longer match"
        assert new_id in _ids(listing)
        assert listing.json()["total"] == before["total"] + 1
        assert _get(instance, f"/movies/{new_id}").json()["title"] == wanted["Title"]
