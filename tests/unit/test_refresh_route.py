"""POST /movies/{id}/refresh: the key first, 404 without asking OMDb, new details in one
transaction that every cached read sees at once, nothing changed on any OMDb failure."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from movies_api.omdb.errors import (
    OmdbError,
    OmdbInvalidKey,
    OmdbNotFound,
    OmdbQuotaReached,
    OmdbTimeout,
    OmdbUnavailable,
)
from tests.unit.app_with_fakes import (
    ADDED_AT,
    FakeOmdb,
    client,
    issue_key,
    make_app,
    omdb_record,
    store_with,
    stored_movie,
)
from tests.unit.fakes import Store

MATRIX_ID = "tt0133093"
LATER = ADDED_AT + timedelta(days=40)
RERATED = omdb_record(MATRIX_ID, "The Matrix", 1999, imdbRating="9.1", BoxOffice="$200,000,000")


def at_later() -> datetime:
    return LATER


@pytest.fixture
def store() -> Store:
    return store_with(stored_movie(MATRIX_ID, "The Matrix"))


def snapshot(store: Store) -> tuple[dict[str, Any], int]:
    return copy.copy(store.movies), store.version


def problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/problem+json"
    document: dict[str, Any] = orjson.loads(response.content)
    return document


async def refresh(
    store: Store, omdb: FakeOmdb, movie_id: str = MATRIX_ID, *, key: str | None = None
) -> httpx.Response:
    app, _ = make_app(store=store, omdb=omdb, clock=at_later)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with client(app) as http:
        return await http.post(f"/movies/{movie_id}/refresh", headers=headers)


async def test_refresh_replaces_details_keeps_added_at_and_moves_refreshed_at(
    store: Store,
) -> None:
    key = await issue_key(store, "movies:add")
    version = store.version

    response = await refresh(store, FakeOmdb([RERATED]), key=key)

    assert response.status_code == 200
    movie = orjson.loads(response.content)
    assert movie["imdb_rating"] == 9.1
    assert movie["box_office_usd"] == 200_000_000
    assert movie["added_at"] == "2024-01-01T00:00:00Z"
    assert datetime.fromisoformat(movie["refreshed_at"]) == LATER
    stored = store.movies[MATRIX_ID]
    assert (stored.imdb_rating, stored.added_at, stored.refreshed_at) == (9.1, ADDED_AT, LATER)
    assert store.version == version + 1


async def test_every_cached_read_serves_the_new_details_at_once(store: Store) -> None:
    key = await issue_key(store, "movies:add")
    app, _ = make_app(store=store, omdb=FakeOmdb([RERATED]), clock=at_later)
    async with client(app) as http:
        for _ in range(2):  # the second of each read is a cache hit
            assert (await http.get(f"/movies/{MATRIX_ID}")).json()["imdb_rating"] == 8.7
            assert (await http.get("/movies")).json()["items"][0]["imdb_rating"] == 8.7
        refreshed = await http.post(f"/movies/{MATRIX_ID}/refresh", headers={"X-API-Key": key})
        by_id = (await http.get(f"/movies/{MATRIX_ID}")).json()
        page = (await http.get("/movies")).json()
        by_title = (await http.get("/movies/by-title", params={"title": "the matrix"})).json()

    assert refreshed.status_code == 200
    assert by_id == refreshed.json()
    assert page["items"][0] == refreshed.json()
    assert by_title["imdb_rating"] == 9.1


async def test_without_a_key_refresh_is_401_before_anything_else(store: Store) -> None:
    omdb = FakeOmdb([RERATED])
    before = snapshot(store)

    for movie_id in (MATRIX_ID, "tt9999999", "not-an-id"):
        response = await refresh(store, omdb, movie_id)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"

    assert omdb.calls == []
    assert snapshot(store) == before


async def test_a_key_without_the_add_scope_is_403(store: Store) -> None:
    key = await issue_key(store, "movies:delete")
    omdb = FakeOmdb([RERATED])

    response = await refresh(store, omdb, key=key)

    assert response.status_code == 403
    assert omdb.calls == []


async def test_refreshing_an_id_not_stored_is_404_without_asking_omdb(store: Store) -> None:
    key = await issue_key(store, "movies:add")
    omdb = FakeOmdb([omdb_record("tt0113277", "Heat", 1995)])

    response = await refresh(store, omdb, "tt0113277", key=key)

    assert response.status_code == 404
    assert problem(response)["type"] == "/problems/movie-not-found"
    assert omdb.calls == []
    assert "tt0113277" not in store.movies


async def test_a_malformed_id_is_422(store: Store) -> None:
    key = await issue_key(store, "movies:add")

    response = await refresh(store, FakeOmdb(), "tt12", key=key)

    assert response.status_code == 422


FAILURES: dict[str, tuple[OmdbError, int]] = {
    "unavailable": (OmdbUnavailable("OMDb failed (HTTP 500; 3 attempts)"), 502),
    "lost": (OmdbNotFound("OMDb has nothing for id: Error getting data."), 502),
    "timeout": (OmdbTimeout("OMDb did not answer in time"), 504),
    "quota": (OmdbQuotaReached("request limit reached"), 503),
    "bad-key": (OmdbInvalidKey("invalid key"), 503),
}


@pytest.mark.parametrize(("error", "status"), list(FAILURES.values()), ids=list(FAILURES))
async def test_omdb_failure_is_its_status_and_changes_nothing(
    store: Store, error: OmdbError, status: int
) -> None:
    key = await issue_key(store, "movies:add")
    before = snapshot(store)

    response = await refresh(store, FakeOmdb([RERATED], fail_with=error), key=key)

    assert response.status_code == status
    assert problem(response)["detail"]
    assert snapshot(store) == before


async def test_omdb_answering_with_another_id_is_502_and_changes_nothing(store: Store) -> None:
    key = await issue_key(store, "movies:add")
    before = snapshot(store)

    class Redirecting(FakeOmdb):
        async def get_by_id(self, imdb_id: str, *, plot: str = "full") -> dict[str, object]:
            return omdb_record("tt0234215", "The Matrix Reloaded", 2003)

    response = await refresh(store, Redirecting(), key=key)

    assert response.status_code == 502
    assert "tt0234215" in problem(response)["detail"]
    assert snapshot(store) == before


async def test_a_movie_deleted_while_omdb_answers_is_404_and_not_recreated(store: Store) -> None:
    key = await issue_key(store, "movies:add")

    class DeletesMeanwhile(FakeOmdb):
        async def get_by_id(self, imdb_id: str, *, plot: str = "full") -> dict[str, object]:
            store.movies.pop(imdb_id)
            return dict(RERATED)

    response = await refresh(store, DeletesMeanwhile(), key=key)

    assert response.status_code == 404
    assert MATRIX_ID not in store.movies
