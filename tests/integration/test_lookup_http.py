"""Look up, add by id, refresh: two real ``serve`` instances on one database, the OMDb
simulator behind them, on SQLite, PostgreSQL, and PostgreSQL with Redis."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.integration.live_service import Simulator, create_key, serve
from tests.processes import Process, start_simulator

DUNES = {"tt0087182": 1984, "tt1160419": 2021, "tt9100011": 2000}


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    process = start_simulator(tmp_path_factory.mktemp("omdb-sim"))
    yield Simulator(process)
    process.terminate()


@dataclass
class Deployment:
    a: Process
    b: Process
    database_url: str
    shared_cache: bool
    home: Path

    def key(self, *scopes: str) -> dict[str, str]:
        issued = create_key(self.database_url, *scopes, cwd=self.home)
        return {"Authorization": f"Bearer {issued.key}"}


@pytest.fixture(
    params=[
        pytest.param(("sqlite_url", False), id="sqlite"),
        pytest.param(("postgres_url", False), id="postgresql"),
        pytest.param(("postgres_url", True), id="postgresql-redis"),
    ]
)
def deployment(
    request: pytest.FixtureRequest, tmp_path: Path, simulator: Simulator
) -> Iterator[Deployment]:
    database_fixture, with_redis = request.param
    database_url = str(request.getfixturevalue(database_fixture))
    env = {"MOVIES_REDIS_URL": str(request.getfixturevalue("redis_url"))} if with_redis else {}
    simulator.restore()
    httpx.post(simulator.process.url + "/__sim/reset", timeout=10).raise_for_status()
    a = serve(tmp_path, database_url, simulator, env=env)
    try:
        b = serve(tmp_path, database_url, simulator, env=env)
    except BaseException:
        a.terminate()
        raise
    try:
        yield Deployment(a, b, database_url, with_redis, tmp_path)
    finally:
        a.terminate()
        b.terminate()
        httpx.post(simulator.process.url + "/__sim/reset", timeout=10).raise_for_status()


def searches(simulator: Simulator) -> int:
    stats = httpx.get(simulator.process.url + "/__sim/stats", timeout=10).json()
    return int(stats["by_kind"]["s"])


def flags(instance: Process, query: str = "dune") -> dict[str, bool]:
    response = httpx.get(instance.url + "/omdb/search", params={"q": query}, timeout=30)
    assert response.status_code == 200, response.text
    return {item["id"]: item["stored"] for item in response.json()["items"]}


def test_stored_flags_flip_on_add_and_delete_on_every_instance(
    deployment: Deployment, simulator: Simulator
) -> None:
    a, b = deployment.a, deployment.b
    nothing = dict.fromkeys(DUNES, False)
    assert flags(a) == flags(b) == nothing

    added = httpx.post(a.url + "/movies", json={"id": "tt0087182"}, timeout=30)
    assert added.status_code == 201, added.text
    assert (added.json()["title"], added.json()["year"]) == ("Dune", 1984)
    assert flags(b) == flags(a) == {**nothing, "tt0087182": True}

    deleted = httpx.delete(
        b.url + "/movies/tt0087182", headers=deployment.key("movies:delete"), timeout=30
    )
    assert deleted.status_code == 204
    assert flags(a) == flags(b) == nothing

    # Identical searches reuse OMDb's answer: once per instance, or once in all with Redis.
    assert searches(simulator) == (1 if deployment.shared_cache else 2)


def test_the_lookup_then_add_by_id_flow_picks_the_remake_asked_for(
    deployment: Deployment, simulator: Simulator
) -> None:
    found = httpx.get(
        deployment.a.url + "/omdb/search", params={"q": "Dune", "type": "movie"}, timeout=30
    ).json()
    picked = next(item for item in found["items"] if item["year"] == 2021)

    added = httpx.post(deployment.b.url + "/movies", json={"id": picked["id"]}, timeout=30)
    again = httpx.post(deployment.a.url + "/movies", json={"id": picked["id"]}, timeout=30)

    assert added.status_code == 201
    assert added.json()["id"] == "tt1160419"
    assert again.status_code == 409
    assert again.headers["location"] == "/movies/tt1160419"
    assert int(httpx.get(simulator.process.url + "/__sim/stats").json()["by_kind"]["i"]) == 1


def test_a_refresh_through_one_instance_is_served_by_the_other_at_once(
    deployment: Deployment, simulator: Simulator
) -> None:
    a, b = deployment.a, deployment.b
    assert httpx.post(a.url + "/movies", json={"id": "tt0133093"}, timeout=30).status_code == 201
    before = httpx.get(b.url + "/movies/tt0133093", timeout=30).json()
    listed = httpx.get(b.url + "/movies", timeout=30).json()["items"]
    assert httpx.get(b.url + "/movies/tt0133093", timeout=30).json() == before  # cached now
    changed = httpx.post(
        simulator.process.url + "/__sim/records/tt0133093",
        json={"imdbRating": "9.7", "BoxOffice": "$500,000,000"},
        timeout=10,
    )
    changed.raise_for_status()

    refreshed = httpx.post(
        a.url + "/movies/tt0133093/refresh", headers=deployment.key("movies:add"), timeout=30
    )

    assert refreshed.status_code == 200, refreshed.text
    after = httpx.get(b.url + "/movies/tt0133093", timeout=30).json()
    assert after == refreshed.json()
    assert (after["imdb_rating"], after["box_office_usd"]) == (9.7, 500_000_000)
    assert before["imdb_rating"] != 9.7
    assert after["added_at"] == before["added_at"] == before["refreshed_at"]
    assert after["refreshed_at"] > before["refreshed_at"]
    assert httpx.get(b.url + "/movies", timeout=30).json()["items"] != listed
    by_title = httpx.get(b.url + "/movies/by-title", params={"title": "the matrix"}, timeout=30)
    assert by_title.json()["imdb_rating"] == 9.7


def test_a_refresh_omdb_fails_changes_nothing(deployment: Deployment, simulator: Simulator) -> None:
    a = deployment.a
    assert httpx.post(a.url + "/movies", json={"id": "tt0133093"}, timeout=30).status_code == 201
    before = httpx.get(a.url + "/movies/tt0133093", timeout=30).json()
    key = deployment.key("movies:add")
    simulator.configure(down=True)
    try:
        failed = httpx.post(a.url + "/movies/tt0133093/refresh", headers=key, timeout=60)
    finally:
        simulator.restore()

    assert failed.status_code == 502
    assert failed.headers["content-type"] == "application/problem+json"
    assert httpx.get(a.url + "/movies/tt0133093", timeout=30).json() == before
    missing = httpx.post(a.url + "/movies/tt0087182/refresh", headers=key, timeout=30)
    assert missing.status_code == 404
