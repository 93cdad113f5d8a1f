"""POST /movies: every status the contract names, the order of the checks, and that a
failure never stores anything."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import orjson
import pytest

from movies_api.bootstrap import LazyOmdb
from movies_api.omdb.errors import (
    InvalidRecord,
    OmdbError,
    OmdbInvalidKey,
    OmdbNotConfigured,
    OmdbQuotaReached,
    OmdbTimeout,
    OmdbUnavailable,
)
from movies_api.settings import Settings
from tests.unit.app_with_fakes import (
    FakeOmdb,
    client,
    issue_key,
    make_app,
    omdb_record,
    store_with,
    stored_movie,
)
from tests.unit.fakes import Store

MATRIX = omdb_record("tt0133093", "The Matrix", 1999)
HEAT = omdb_record("tt0113277", "Heat", 1995)
HEAT_ID = "tt0113277"


@pytest.fixture
def store() -> Store:
    return store_with(stored_movie("tt0133093", "The Matrix"))


@pytest.fixture
def omdb() -> FakeOmdb:
    return FakeOmdb([MATRIX, HEAT])


class Snapshot:
    """The catalogue the store held; ``unchanged`` says whether it still holds exactly that
    (a key's ``last_used_at`` may move: that is no change to the catalogue)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.movies = copy.copy(store.movies)
        self.version = store.version

    def unchanged(self) -> bool:
        return (self.store.movies, self.store.version) == (self.movies, self.version)


async def post(
    store: Store,
    omdb: FakeOmdb,
    body: object = None,
    *,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    **settings: Any,
) -> httpx.Response:
    app, _ = make_app(store=store, omdb=omdb, **settings)
    async with client(app) as http:
        if content is not None:
            return await http.post("/movies", content=content, headers=headers)
        return await http.post("/movies", json=body, headers=headers)


def problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/problem+json"
    document: dict[str, Any] = orjson.loads(response.content)
    assert document["status"] == response.status_code
    return document


# --- 201 --------------------------------------------------------------------------------------


async def test_add_is_201_with_location_and_the_stored_movie(store: Store, omdb: FakeOmdb) -> None:
    version = store.version

    response = await post(store, omdb, {"title": "Heat"})

    assert response.status_code == 201
    assert response.headers["location"] == f"/movies/{HEAT_ID}"
    assert response.headers["content-type"] == "application/json"
    movie = orjson.loads(response.content)
    assert movie["id"] == HEAT_ID
    assert movie["title"] == "Heat"
    assert movie["year"] == 1995
    assert movie["box_office_usd"] == 172076928
    assert movie["added_at"]
    assert HEAT_ID in store.movies
    assert store.version == version + 1


async def test_add_passes_title_year_and_type_to_omdb(store: Store, omdb: FakeOmdb) -> None:
    response = await post(store, omdb, {"title": "  Heat ", "year": 1995, "type": "movie"})

    assert response.status_code == 201
    assert omdb.calls == [("title", "Heat", 1995, "movie")]


async def test_added_movie_is_served_by_every_read_at_once(store: Store, omdb: FakeOmdb) -> None:
    app, _ = make_app(store=store, omdb=omdb)
    async with client(app) as http:
        before = orjson.loads((await http.get("/movies")).content)
        assert (await http.get(f"/movies/{HEAT_ID}")).status_code == 404
        assert (await http.get("/movies/by-title", params={"title": "heat"})).status_code == 404

        added = await http.post("/movies", json={"title": "Heat"})
        after = orjson.loads((await http.get("/movies")).content)
        by_id = await http.get(f"/movies/{HEAT_ID}")
        by_title = await http.get("/movies/by-title", params={"title": "heat"})

    assert added.status_code == 201
    assert after["total"] == before["total"] + 1
    assert HEAT_ID in [movie["id"] for movie in after["items"]]
    assert by_id.status_code == 200
    assert by_title.status_code == 200
    assert orjson.loads(by_id.content) == orjson.loads(added.content)


async def test_title_of_300_characters_after_trimming_is_accepted(store: Store) -> None:
    title = "x" * 300
    omdb = FakeOmdb([omdb_record("tt7654321", title)])

    response = await post(store, omdb, {"title": f"  {title}  "})

    assert response.status_code == 201


async def test_unknown_body_members_are_ignored(store: Store, omdb: FakeOmdb) -> None:
    response = await post(store, omdb, {"title": "Heat", "director": "Mann"})

    assert response.status_code == 201


# --- 409 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("title", ["The Matrix", "the MATRIX", "  THE matrix  "])
async def test_add_of_a_stored_imdb_id_is_409_with_its_id_and_location(
    store: Store, omdb: FakeOmdb, title: str
) -> None:
    before = Snapshot(store)

    response = await post(store, omdb, {"title": title})

    assert response.status_code == 409
    assert response.headers["location"] == "/movies/tt0133093"
    assert problem(response)["id"] == "tt0133093"
    assert before.unchanged()


async def test_409_follows_the_imdb_id_not_the_requested_title(store: Store) -> None:
    # OMDb gives the stored movie for a title spelled differently from the stored one.
    omdb = FakeOmdb([{**MATRIX, "Title": "Matrix"}])
    before = Snapshot(store)

    response = await post(store, omdb, {"title": "Matrix"})

    assert response.status_code == 409
    assert problem(response)["id"] == "tt0133093"
    assert before.unchanged()


# --- OMDb failures ----------------------------------------------------------------------------


async def test_title_omdb_does_not_know_is_404(store: Store, omdb: FakeOmdb) -> None:
    before = Snapshot(store)

    response = await post(store, omdb, {"title": "No Such Film"})

    assert response.status_code == 404
    assert problem(response)["type"] == "/problems/omdb-title-not-found"
    assert before.unchanged()


OMDB_FAILURES: dict[str, tuple[OmdbError, int]] = {
    "unavailable": (OmdbUnavailable("OMDb failed to answer (HTTP 500; 3 attempts)"), 502),
    "invalid-record": (InvalidRecord("OMDb record has no valid imdbID"), 502),
    "timeout": (OmdbTimeout("OMDb did not answer in time (3 attempts)"), 504),
    "invalid-key": (OmdbInvalidKey("OMDb refused the configured API key"), 503),
    "quota": (OmdbQuotaReached("OMDb's request limit for the API key is reached"), 503),
    "not-configured": (OmdbNotConfigured("No OMDb API key is configured"), 503),
}


@pytest.mark.parametrize(("error", "status"), list(OMDB_FAILURES.values()), ids=list(OMDB_FAILURES))
async def test_omdb_failure_maps_to_its_status_and_stores_nothing(
    store: Store, error: OmdbError, status: int
) -> None:
    before = Snapshot(store)

    response = await post(store, FakeOmdb([HEAT], fail_with=error), {"title": "Heat"})

    assert response.status_code == status
    assert problem(response)["detail"]
    assert before.unchanged()


class AnswersEveryTitleWith(FakeOmdb):
    """OMDb answering whatever title is asked with one record."""

    def __init__(self, record: dict[str, object]) -> None:
        super().__init__([record])
        self.record = record

    async def get_by_title(
        self, title: str, *, year: int | None = None, type: str | None = None, plot: str = "full"
    ) -> dict[str, object]:
        self.calls.append(("title", title, year, type))
        return dict(self.record)


@pytest.mark.parametrize(
    "record",
    [
        {**HEAT, "imdbID": "N/A"},
        {**HEAT, "imdbID": "nm0000001"},
        {**HEAT, "Title": "N/A"},
        {key: value for key, value in HEAT.items() if key != "imdbID"},
    ],
    ids=["id-n/a", "person-id", "title-n/a", "no-id"],
)
async def test_omdb_record_without_id_or_title_is_502_and_stores_nothing(
    store: Store, record: dict[str, object]
) -> None:
    before = Snapshot(store)

    response = await post(store, AnswersEveryTitleWith(record), {"title": "Heat"})

    assert response.status_code == 502
    assert problem(response)["type"] == "/problems/omdb-failed"
    assert before.unchanged()


async def test_without_an_omdb_key_configured_adding_is_503(store: Store) -> None:
    """The real (lazy) client, not a fake: no key means nothing is sent and the answer is 503."""
    unconfigured = LazyOmdb(Settings(omdb_api_key=None, omdb_base_url="http://127.0.0.1:9/"))
    app, _ = make_app(store=store, omdb=unconfigured)
    before = Snapshot(store)
    try:
        async with client(app) as http:
            response = await http.post("/movies", json={"title": "Heat"})
    finally:
        await unconfigured.aclose()

    assert response.status_code == 503
    assert "MOVIES_OMDB_API_KEY" in problem(response)["detail"]
    assert before.unchanged()


# --- 422 --------------------------------------------------------------------------------------

INVALID_BODIES: dict[str, bytes] = {
    "missing-title": b"{}",
    "null-title": b'{"title": null}',
    "empty-title": b'{"title": ""}',
    "blank-title": b'{"title": "   \\t "}',
    "title-301": orjson.dumps({"title": "x" * 301}),
    "title-not-string": b'{"title": 1999}',
    "year-string": b'{"title": "Heat", "year": "1995"}',
    "year-fraction": b'{"title": "Heat", "year": 1995.5}',
    "year-float-whole": b'{"title": "Heat", "year": 1995.0}',
    "year-bool": b'{"title": "Heat", "year": true}',
    "year-words": b'{"title": "Heat", "year": "nineteen"}',
    "type-unknown": b'{"title": "Heat", "type": "film"}',
    "malformed-json": b'{"title": "Heat"',
    "empty-body": b"",
    "array-body": b'["Heat"]',
    "string-body": b'"Heat"',
    "null-body": b"null",
}


@pytest.mark.parametrize("body", list(INVALID_BODIES.values()), ids=list(INVALID_BODIES))
async def test_invalid_body_is_422_and_never_reaches_omdb(
    store: Store, omdb: FakeOmdb, body: bytes
) -> None:
    before = Snapshot(store)

    response = await post(store, omdb, content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 422
    document = problem(response)
    assert document["errors"]
    assert all(error["in"] == "body" for error in document["errors"])
    assert omdb.calls == []
    assert before.unchanged()


@pytest.mark.parametrize(
    ("body", "name"),
    [({}, "title"), ({"title": " "}, "title"), ({"title": "Heat", "year": "1995"}, "year")],
)
async def test_422_names_the_member_that_was_wrong(
    store: Store, omdb: FakeOmdb, body: dict[str, object], name: str
) -> None:
    response = await post(store, omdb, body)

    assert response.status_code == 422
    assert [error["name"] for error in problem(response)["errors"]] == [name]


# --- 429 and the order of the checks ----------------------------------------------------------


async def test_adding_faster_than_the_limit_is_429_with_retry_after(
    store: Store, omdb: FakeOmdb
) -> None:
    app, _ = make_app(store=store, omdb=omdb, add_rate_limit="2/minute")
    async with client(app) as http:
        first = await http.post("/movies", json={"title": "Heat"})
        second = await http.post("/movies", json={"title": "No Such Film"})
        third = await http.post("/movies", json={"title": "Heat"})

    assert (first.status_code, second.status_code) == (201, 404)
    assert third.status_code == 429
    assert 1 <= int(third.headers["retry-after"]) <= 60
    assert problem(third)["type"] == "/problems/rate-limited"
    assert len(omdb.calls) == 2


async def test_rate_limit_comes_before_the_body(store: Store, omdb: FakeOmdb) -> None:
    app, _ = make_app(store=store, omdb=omdb, add_rate_limit="1/minute")
    async with client(app) as http:
        await http.post("/movies", json={"title": "No Such Film"})
        response = await http.post(
            "/movies", content=b"{not json", headers={"Content-Type": "application/json"}
        )

    assert response.status_code == 429
    assert "retry-after" in response.headers


async def test_rate_limited_add_stores_nothing(store: Store, omdb: FakeOmdb) -> None:
    app, _ = make_app(store=store, omdb=omdb, add_rate_limit="1/minute")
    async with client(app) as http:
        await http.post("/movies", json={"title": "No Such Film"})
        before = Snapshot(store)
        response = await http.post("/movies", json={"title": "Heat"})

    assert response.status_code == 429
    assert before.unchanged()


async def test_adding_is_open_without_a_key_by_default(store: Store, omdb: FakeOmdb) -> None:
    response = await post(store, omdb, {"title": "Heat"})

    assert response.status_code == 201


# --- MOVIES_REQUIRE_KEY_FOR_ADD ---------------------------------------------------------------


async def test_required_key_missing_is_401_before_the_body_and_omdb(
    store: Store, omdb: FakeOmdb
) -> None:
    before = Snapshot(store)

    response = await post(
        store,
        omdb,
        content=b"{not json",
        headers={"Content-Type": "application/json"},
        require_key_for_add=True,
    )

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert omdb.calls == []
    assert before.unchanged()


async def test_required_key_unknown_is_401(store: Store, omdb: FakeOmdb) -> None:
    response = await post(
        store,
        omdb,
        {"title": "Heat"},
        headers={"Authorization": "Bearer mva_" + "Z" * 43},
        require_key_for_add=True,
    )

    assert response.status_code == 401
    assert HEAT_ID not in store.movies


async def test_required_key_without_the_add_scope_is_403(store: Store, omdb: FakeOmdb) -> None:
    key = await issue_key(store, "movies:delete")
    before = Snapshot(store)

    response = await post(
        store,
        omdb,
        {"title": "Heat"},
        headers={"Authorization": f"Bearer {key}"},
        require_key_for_add=True,
    )

    assert response.status_code == 403
    assert omdb.calls == []
    assert before.unchanged()


async def test_required_key_with_the_add_scope_adds(store: Store, omdb: FakeOmdb) -> None:
    key = await issue_key(store, "movies:add")

    response = await post(
        store,
        omdb,
        {"title": "Heat"},
        headers={"X-API-Key": key},
        require_key_for_add=True,
    )

    assert response.status_code == 201
    assert HEAT_ID in store.movies


async def test_refused_callers_do_not_use_up_the_rate_limit(store: Store, omdb: FakeOmdb) -> None:
    key = await issue_key(store, "movies:add")
    app, _ = make_app(store=store, omdb=omdb, add_rate_limit="1/minute", require_key_for_add=True)
    async with client(app) as http:
        refused = [(await http.post("/movies", json={"title": "Heat"})).status_code for _ in "ab"]
        added = await http.post(
            "/movies", json={"title": "Heat"}, headers={"Authorization": f"Bearer {key}"}
        )

    assert refused == [401, 401]
    assert added.status_code == 201


async def test_required_key_then_rate_limit_then_body(store: Store, omdb: FakeOmdb) -> None:
    key = await issue_key(store, "movies:add")
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    app, _ = make_app(store=store, omdb=omdb, add_rate_limit="1/minute", require_key_for_add=True)
    async with client(app) as http:
        first = await http.post("/movies", content=b"[]", headers=headers)
        second = await http.post("/movies", content=b"[]", headers=headers)

    assert first.status_code == 422
    assert second.status_code == 429
