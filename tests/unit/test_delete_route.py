"""DELETE /movies/{id}: the key first, then the id, then the catalogue; gone from every read."""

from __future__ import annotations

import orjson
import pytest

from tests.unit.app_with_fakes import client, issue_key, make_app, store_with, stored_movie
from tests.unit.fakes import Store

MATRIX = "tt0133093"
HEAT = "tt0113277"


@pytest.fixture
def store() -> Store:
    return store_with(stored_movie(MATRIX, "The Matrix"), stored_movie(HEAT, "Heat", 1995))


@pytest.mark.parametrize("movie_id", [MATRIX, "tt9999999", "not-an-id", "tt12"])
async def test_delete_without_key_is_401_even_for_missing_or_malformed_id(
    store: Store, movie_id: str
) -> None:
    app, _ = make_app(store=store)
    async with client(app) as http:
        response = await http.delete(f"/movies/{movie_id}")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert set(store.movies) == {MATRIX, HEAT}


async def test_delete_without_key_gives_the_same_bytes_for_malformed_and_existing_id(
    store: Store,
) -> None:
    app, _ = make_app(store=store)
    async with client(app) as http:
        malformed = await http.delete("/movies/not-an-id")
        existing = await http.delete(f"/movies/{MATRIX}")

    assert malformed.content == existing.content


@pytest.mark.parametrize("movie_id", [MATRIX, "not-an-id"])
async def test_delete_with_a_key_lacking_the_scope_is_403_before_the_id_is_looked_at(
    store: Store, movie_id: str
) -> None:
    key = await issue_key(store, "movies:add")
    app, _ = make_app(store=store)
    async with client(app) as http:
        response = await http.delete(f"/movies/{movie_id}", headers={"X-API-Key": key})

    assert response.status_code == 403
    assert set(store.movies) == {MATRIX, HEAT}


@pytest.mark.parametrize(
    "movie_id", ["not-an-id", "tt12", "TT0133093", "tt0133093x", "tt12345678901"]
)
async def test_delete_of_a_malformed_id_with_a_valid_key_is_422(
    store: Store, movie_id: str
) -> None:
    key = await issue_key(store)
    app, _ = make_app(store=store)
    async with client(app) as http:
        response = await http.delete(
            f"/movies/{movie_id}", headers={"Authorization": f"Bearer {key}"}
        )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = orjson.loads(response.content)
    assert [error["name"] for error in problem["errors"]] == ["movie_id"]
    assert set(store.movies) == {MATRIX, HEAT}


async def test_delete_of_a_missing_id_with_a_valid_key_is_404_and_changes_nothing(
    store: Store,
) -> None:
    key = await issue_key(store)
    version = store.version
    app, _ = make_app(store=store)
    async with client(app) as http:
        response = await http.delete(
            "/movies/tt9999999", headers={"Authorization": f"Bearer {key}"}
        )

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert orjson.loads(response.content)["status"] == 404
    assert store.version == version
    assert set(store.movies) == {MATRIX, HEAT}


async def test_delete_is_204_without_a_body_and_bumps_the_catalogue_version(
    store: Store,
) -> None:
    key = await issue_key(store)
    version = store.version
    app, _ = make_app(store=store)
    async with client(app) as http:
        response = await http.delete(
            f"/movies/{MATRIX}", headers={"Authorization": f"Bearer {key}"}
        )

    assert response.status_code == 204
    assert response.content == b""
    assert set(store.movies) == {HEAT}
    assert store.version == version + 1


async def test_deleted_movie_is_gone_from_every_cached_read_at_once(store: Store) -> None:
    key = await issue_key(store)
    app, _ = make_app(store=store)
    async with client(app) as http:
        # Warm the response cache on every read that shows the movie.
        assert (await http.get(f"/movies/{MATRIX}")).status_code == 200
        assert (
            await http.get("/movies/by-title", params={"title": "the matrix"})
        ).status_code == 200
        assert orjson.loads((await http.get("/movies")).content)["total"] == 2

        deleted = await http.delete(f"/movies/{MATRIX}", headers={"X-API-Key": key})
        by_id = await http.get(f"/movies/{MATRIX}")
        by_title = await http.get("/movies/by-title", params={"title": "the matrix"})
        page = orjson.loads((await http.get("/movies")).content)

    assert deleted.status_code == 204
    assert by_id.status_code == 404
    assert by_title.status_code == 404
    assert page["total"] == 1
    assert [movie["id"] for movie in page["items"]] == [HEAT]


async def test_deleting_twice_is_404_the_second_time(store: Store) -> None:
    key = await issue_key(store)
    app, _ = make_app(store=store)
    async with client(app) as http:
        first = await http.delete(f"/movies/{MATRIX}", headers={"X-API-Key": key})
        second = await http.delete(f"/movies/{MATRIX}", headers={"X-API-Key": key})

    assert (first.status_code, second.status_code) == (204, 404)
