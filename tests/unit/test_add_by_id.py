"""POST /movies with ``{"id": …}``: exactly that IMDb id, exactly one of title and id."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import orjson
import pytest

from movies_api.omdb.errors import OmdbError, OmdbQuotaReached, OmdbTimeout, OmdbUnavailable
from tests.unit.app_with_fakes import (
    FakeOmdb,
    client,
    make_app,
    omdb_record,
    store_with,
    stored_movie,
)
from tests.unit.fakes import Store

DUNE_1984 = omdb_record("tt0087182", "Dune", 1984)
DUNE_2021 = omdb_record("tt1160419", "Dune", 2021)


@pytest.fixture
def store() -> Store:
    return store_with(stored_movie("tt0133093", "The Matrix"))


@pytest.fixture
def omdb() -> FakeOmdb:
    return FakeOmdb([DUNE_1984, DUNE_2021])


async def post(store: Store, omdb: FakeOmdb, body: object) -> httpx.Response:
    app, _ = make_app(store=store, omdb=omdb)
    async with client(app) as http:
        return await http.post("/movies", json=body)


def problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/problem+json"
    document: dict[str, Any] = orjson.loads(response.content)
    return document


async def test_add_by_id_stores_exactly_that_id_not_omdbs_pick_for_the_title(
    store: Store, omdb: FakeOmdb
) -> None:
    version = store.version

    response = await post(store, omdb, {"id": "tt0087182"})

    assert response.status_code == 201
    assert response.headers["location"] == "/movies/tt0087182"
    movie = orjson.loads(response.content)
    assert (movie["id"], movie["title"], movie["year"]) == ("tt0087182", "Dune", 1984)
    assert movie["refreshed_at"] == movie["added_at"]
    assert omdb.calls == [("id", "tt0087182")]
    assert "tt0087182" in store.movies
    assert "tt1160419" not in store.movies
    assert store.version == version + 1


async def test_add_of_a_stored_id_is_409_without_asking_omdb(store: Store, omdb: FakeOmdb) -> None:
    before = (copy.copy(store.movies), store.version)

    response = await post(store, omdb, {"id": "tt0133093"})

    assert response.status_code == 409
    assert response.headers["location"] == "/movies/tt0133093"
    assert problem(response)["id"] == "tt0133093"
    assert omdb.calls == []
    assert (store.movies, store.version) == before


async def test_id_omdb_does_not_know_is_404_and_stores_nothing(
    store: Store, omdb: FakeOmdb
) -> None:
    version = store.version

    response = await post(store, omdb, {"id": "tt9999999"})

    assert response.status_code == 404
    assert "tt9999999" in problem(response)["detail"]
    assert store.version == version


@pytest.mark.parametrize(
    ("error", "status"),
    [(OmdbUnavailable("HTTP 500"), 502), (OmdbTimeout("slow"), 504), (OmdbQuotaReached("q"), 503)],
    ids=["502", "504", "503"],
)
async def test_omdb_failure_on_add_by_id_maps_to_its_status(
    store: Store, error: OmdbError, status: int
) -> None:
    version = store.version

    response = await post(store, FakeOmdb([DUNE_1984], fail_with=error), {"id": "tt0087182"})

    assert response.status_code == status
    assert store.version == version


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ({"id": "tt0087182", "title": "Dune"}, "title"),
        ({"title": None, "id": None}, "title"),
        ({"id": "tt123"}, "id"),
        ({"id": "nm0000001"}, "id"),
        ({"id": "tt0087182\n"}, "id"),
        ({"id": "tt\u0660\u0661\u0662\u0663\u0664\u0665\u0666"}, "id"),  # Arabic-Indic digits
        ({"id": 87182}, "id"),
        ({"id": "tt0087182", "year": 1984}, "year"),
        ({"id": "tt0087182", "type": "movie"}, "type"),
    ],
    ids=[
        "both",
        "neither",
        "short-id",
        "person-id",
        "trailing-newline",
        "unicode-digits",
        "number",
        "id-with-year",
        "id-with-type",
    ],
)
async def test_anything_but_exactly_one_of_title_and_id_is_422_naming_the_member(
    store: Store, omdb: FakeOmdb, body: dict[str, object], name: str
) -> None:
    version = store.version

    response = await post(store, omdb, body)

    assert response.status_code == 422
    assert [error["name"] for error in problem(response)["errors"]] == [name]
    assert omdb.calls == []
    assert store.version == version
