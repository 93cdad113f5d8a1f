"""POST /movies end to end: a real ``serve`` process, the OMDb simulator, SQLite, and Redis
for a rate limit shared by two processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.live_service import Simulator, serve
from tests.processes import Process, start_simulator

# In the simulator's catalogue and not among the bundled seed ids, so never seeded; their
# titles also carry characters a URL or a match could trip on.
FACE_OFF = ("Face/Off", "tt0119094")
WOLF = ("100% Wolf", "tt7638348")
DUNDEE = ('"Crocodile" Dundee', "tt0090555")
EIGHT_AND_A_HALF = ("8½", "tt0056801")


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    process = start_simulator(tmp_path_factory.mktemp("omdb-sim"))
    yield Simulator(process)
    process.terminate()


@pytest.fixture
def omdb(simulator: Simulator) -> Iterator[Simulator]:
    """The module's simulator, its knobs put back after the test."""
    yield simulator
    simulator.restore()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, simulator: Simulator) -> Iterator[Process]:
    """One server for the tests that each add a different title (default rate limit)."""
    home = tmp_path_factory.mktemp("serve")
    process = serve(home, f"sqlite:///{home}/movies.db", simulator, seed=2)
    yield process
    process.terminate()


@pytest.fixture
def http(server: Process) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


def total(http: httpx.Client) -> int:
    response = http.get("/movies")
    assert response.status_code == 200
    return int(response.json()["total"])


def listed_ids(http: httpx.Client) -> list[str]:
    return [movie["id"] for movie in http.get("/movies", params={"limit": 100}).json()["items"]]


def problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/problem+json"
    document: dict[str, Any] = response.json()
    return document


def test_added_movie_is_served_by_every_read_at_once(http: httpx.Client) -> None:
    title, movie_id = FACE_OFF
    for _ in range(2):  # warm the cache: the second of each read is served from it
        before = total(http)
        assert movie_id not in listed_ids(http)
        assert http.get(f"/movies/{movie_id}").status_code == 404
        assert http.get("/movies/by-title", params={"title": title}).status_code == 404

    added = http.post("/movies", json={"title": title})

    assert added.status_code == 201
    assert added.headers["location"] == f"/movies/{movie_id}"
    movie = added.json()
    assert (movie["id"], movie["title"], movie["year"]) == (movie_id, title, 1997)
    assert total(http) == before + 1
    assert movie_id in listed_ids(http)
    assert http.get(added.headers["location"]).json() == movie
    assert http.get("/movies/by-title", params={"title": title.upper()}).json() == movie


def test_adding_a_stored_movie_again_is_409_and_changes_nothing(http: httpx.Client) -> None:
    title, movie_id = WOLF
    assert http.post("/movies", json={"title": title}).status_code == 201
    before = total(http)

    again = http.post("/movies", json={"title": title.lower(), "type": "movie"})

    assert again.status_code == 409
    assert again.headers["location"] == f"/movies/{movie_id}"
    assert problem(again)["id"] == movie_id
    assert total(http) == before


def test_title_omdb_does_not_know_is_404_and_stores_nothing(http: httpx.Client) -> None:
    before = total(http)

    response = http.post("/movies", json={"title": "A Film Nobody Ever Made 7311"})

    assert response.status_code == 404
    assert problem(response)["status"] == 404
    assert total(http) == before


def test_omdb_failing_is_502_and_stores_nothing(http: httpx.Client, omdb: Simulator) -> None:
    title, movie_id = DUNDEE
    before = total(http)
    omdb.configure(error_rate=1.0)

    response = http.post("/movies", json={"title": title})

    assert response.status_code == 502
    assert problem(response)["status"] == 502
    assert total(http) == before
    assert http.get(f"/movies/{movie_id}").status_code == 404


def test_invalid_body_is_422_and_never_asks_omdb(http: httpx.Client, omdb: Simulator) -> None:
    asked = omdb.requests()

    blank = http.post("/movies", json={"title": "  "})
    year_as_text = http.post("/movies", json={"title": "Heat", "year": "1995"})
    malformed = http.post("/movies", content=b"{oops", headers={"Content-Type": "application/json"})

    assert [r.status_code for r in (blank, year_as_text, malformed)] == [422, 422, 422]
    assert omdb.requests() == asked


def test_omdb_refusing_the_service_key_is_503(
    tmp_path: Path, sqlite_url: str, omdb: Simulator
) -> None:
    title, _movie_id = EIGHT_AND_A_HALF
    process = serve(tmp_path, sqlite_url, omdb, omdb_key="invalid")
    try:
        with httpx.Client(base_url=process.url, timeout=60) as client:
            response = client.post("/movies", json={"title": title})
            after = total(client)
    finally:
        process.terminate()

    assert response.status_code == 503
    assert problem(response)["status"] == 503
    assert after == 0


def test_adding_faster_than_the_limit_is_429_with_retry_after(
    tmp_path: Path, sqlite_url: str, omdb: Simulator
) -> None:
    process = serve(tmp_path, sqlite_url, omdb, env={"MOVIES_ADD_RATE_LIMIT": "2/minute"})
    try:
        with httpx.Client(base_url=process.url, timeout=60) as client:
            answers = [
                client.post("/movies", json={"title": "No Such Film 1"}),
                client.post("/movies", json={"title": "  "}),
                client.post("/movies", json={"title": FACE_OFF[0]}),
            ]
            after = total(client)
    finally:
        process.terminate()

    assert [a.status_code for a in answers] == [404, 422, 429]
    limited = answers[2]
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert problem(limited)["status"] == 429
    assert after == 0


def test_rate_limit_is_shared_through_redis_by_two_servers(
    tmp_path: Path, sqlite_url: str, omdb: Simulator, redis_url: str
) -> None:
    env = {"MOVIES_ADD_RATE_LIMIT": "2/minute", "MOVIES_REDIS_URL": redis_url}
    first = serve(tmp_path, sqlite_url, omdb, env=env)
    try:
        second = serve(tmp_path, sqlite_url, omdb, env=env)
        try:
            body = {"title": "No Such Film 2"}
            answers = [
                httpx.post(first.url + "/movies", json=body, timeout=60).status_code,
                httpx.post(second.url + "/movies", json=body, timeout=60).status_code,
                httpx.post(first.url + "/movies", json=body, timeout=60).status_code,
                httpx.post(second.url + "/movies", json=body, timeout=60).status_code,
            ]
        finally:
            second.terminate()
    finally:
        first.terminate()

    assert answers == [404, 404, 429, 429]
