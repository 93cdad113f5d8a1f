"""GET /omdb/search: OMDb's hits with fresh ``stored`` flags, OMDb asked once per identical
search while the cache keeps it, its own rate limit, the add key when adding needs one."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson
import pytest

from movies_api.cache.lookups import LookupCache
from movies_api.omdb.client import SearchPage
from movies_api.omdb.errors import (
    OmdbError,
    OmdbInvalidKey,
    OmdbQuotaReached,
    OmdbTimeout,
    OmdbUnavailable,
)
from movies_api.services.lookup import LookupService
from tests.unit.app_with_fakes import (
    FakeOmdb,
    client,
    issue_key,
    make_app,
    omdb_record,
    store_with,
    stored_movie,
)
from tests.unit.fakes import FakeUnitOfWorkFactory, Store

DUNES = [
    omdb_record("tt0087182", "Dune", 1984, Poster="https://m.media-amazon.com/images/M/d84.jpg"),
    omdb_record("tt1160419", "Dune", 2021),
    omdb_record("tt9100011", "Dune", "2000\u20132001", type="series"),
]
HEAT = omdb_record("tt0113277", "Heat", 1995)


@pytest.fixture
def store() -> Store:
    return store_with(stored_movie("tt1160419", "Dune", 2021))


@pytest.fixture
def omdb() -> FakeOmdb:
    return FakeOmdb([*DUNES, HEAT])


def searches(omdb: FakeOmdb) -> int:
    return sum(1 for call in omdb.calls if call[0] == "search")


def problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/problem+json"
    document: dict[str, Any] = orjson.loads(response.content)
    return document


async def test_hits_say_which_ids_are_stored(store: Store, omdb: FakeOmdb) -> None:
    app, _ = make_app(store=store, omdb=omdb)
    async with client(app) as http:
        response = await http.get("/omdb/search", params={"q": "dune"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {
        "items": [
            {
                "id": "tt0087182",
                "title": "Dune",
                "year": 1984,
                "type": "movie",
                "poster_url": "https://m.media-amazon.com/images/M/d84.jpg",
                "stored": False,
            },
            {
                "id": "tt1160419",
                "title": "Dune",
                "year": 2021,
                "type": "movie",
                "poster_url": None,
                "stored": True,
            },
            {
                "id": "tt9100011",
                "title": "Dune",
                "year": 2000,
                "type": "series",
                "poster_url": None,
                "stored": False,
            },
        ],
        "page": 1,
        "total": 3,
    }


async def test_year_type_and_page_go_to_omdb(store: Store, omdb: FakeOmdb) -> None:
    app, _ = make_app(store=store, omdb=omdb)
    async with client(app) as http:
        response = await http.get(
            "/omdb/search", params={"q": "dune", "year": 1984, "type": "movie", "page": 1}
        )

    assert [item["id"] for item in response.json()["items"]] == ["tt0087182"]
    assert omdb.calls == [("search", "dune", 1, "movie", 1984)]


async def test_no_match_is_200_with_no_items_and_total_0(store: Store, omdb: FakeOmdb) -> None:
    app, _ = make_app(store=store, omdb=omdb)
    async with client(app) as http:
        response = await http.get("/omdb/search", params={"q": "zzzqqq"})

    assert response.status_code == 200
    assert response.json() == {"items": [], "page": 1, "total": 0}


async def test_stored_flags_flip_on_add_and_delete_while_omdb_is_asked_once(
    store: Store, omdb: FakeOmdb
) -> None:
    key = await issue_key(store, "movies:delete")
    app, _ = make_app(store=store, omdb=omdb)

    async def flags(http: httpx.AsyncClient) -> dict[str, bool]:
        found = (await http.get("/omdb/search", params={"q": "Dune"})).json()
        return {item["id"]: item["stored"] for item in found["items"]}

    async with client(app) as http:
        first = await flags(http)
        assert (await http.post("/movies", json={"id": "tt0087182"})).status_code == 201
        after_add = await flags(http)
        deleted = await http.delete("/movies/tt1160419", headers={"X-API-Key": key})
        assert deleted.status_code == 204
        after_delete = await flags(http)

    assert first == {"tt0087182": False, "tt1160419": True, "tt9100011": False}
    assert after_add == {"tt0087182": True, "tt1160419": True, "tt9100011": False}
    assert after_delete == {"tt0087182": True, "tt1160419": False, "tt9100011": False}
    assert searches(omdb) == 1


@pytest.mark.parametrize("spelling", ["dune", "DUNE", "  dune ", "Dune"])
async def test_spellings_omdb_answers_alike_share_one_request(
    store: Store, omdb: FakeOmdb, spelling: str
) -> None:
    app, _ = make_app(store=store, omdb=omdb)
    async with client(app) as http:
        await http.get("/omdb/search", params={"q": "Dune"})
        again = await http.get("/omdb/search", params={"q": spelling})

    assert len(again.json()["items"]) == 3
    assert searches(omdb) == 1


async def test_different_searches_are_cached_apart(store: Store, omdb: FakeOmdb) -> None:
    app, _ = make_app(store=store, omdb=omdb)
    async with client(app) as http:
        searched: list[dict[str, str | int]] = [
            {"q": "dune"},
            {"q": "dune", "type": "movie"},
            {"q": "dune", "page": 2},
        ]
        for params in searched:
            await http.get("/omdb/search", params=params)
            await http.get("/omdb/search", params=params)

    assert searches(omdb) == 3


async def test_with_cache_seconds_0_every_search_asks_omdb(store: Store, omdb: FakeOmdb) -> None:
    app, _ = make_app(store=store, omdb=omdb, lookup_cache_seconds=0)
    async with client(app) as http:
        for _ in range(3):
            assert (await http.get("/omdb/search", params={"q": "dune"})).status_code == 200

    assert searches(omdb) == 3


async def test_an_answer_is_reused_until_it_expires(store: Store, omdb: FakeOmdb) -> None:
    now = [1000.0]
    cache = LookupCache(600, timer=lambda: now[0])
    lookup = LookupService(uow=FakeUnitOfWorkFactory(store), omdb=omdb, cache=cache)

    await lookup.search("dune")
    now[0] += 599
    await lookup.search("dune")
    assert searches(omdb) == 1
    now[0] += 2
    await lookup.search("dune")
    assert searches(omdb) == 2


class SlowOmdb(FakeOmdb):
    """Searches wait until released, so several can be in flight at once."""

    def __init__(self) -> None:
        super().__init__(DUNES)
        self.asked = asyncio.Event()
        self.release = asyncio.Event()

    async def search(
        self, query: str, *, page: int = 1, type: str | None = "movie", year: int | None = None
    ) -> SearchPage:
        found = await super().search(query, page=page, type=type, year=year)
        self.asked.set()
        await self.release.wait()
        return found


async def test_identical_searches_arriving_together_share_one_request(store: Store) -> None:
    omdb = SlowOmdb()
    lookup = LookupService(uow=FakeUnitOfWorkFactory(store), omdb=omdb, cache=LookupCache(600))

    waiting = [asyncio.create_task(lookup.search("dune")) for _ in range(5)]
    await omdb.asked.wait()
    omdb.release.set()
    answers = await asyncio.gather(*waiting)

    assert searches(omdb) == 1
    assert all(answer == answers[0] for answer in answers)


async def test_a_caller_going_away_does_not_cancel_the_shared_request(store: Store) -> None:
    omdb = SlowOmdb()
    lookup = LookupService(uow=FakeUnitOfWorkFactory(store), omdb=omdb, cache=LookupCache(600))

    leaving = asyncio.create_task(lookup.search("dune"))
    staying = asyncio.create_task(lookup.search("dune"))
    await omdb.asked.wait()
    leaving.cancel()
    omdb.release.set()

    assert len((await staying).items) == 3
    assert searches(omdb) == 1


FAILURES: dict[str, tuple[OmdbError, int]] = {
    "unavailable": (OmdbUnavailable("OMDb failed (HTTP 500; 3 attempts)"), 502),
    "timeout": (OmdbTimeout("OMDb did not answer in time"), 504),
    "quota": (OmdbQuotaReached("request limit reached"), 503),
    "bad-key": (OmdbInvalidKey("invalid key"), 503),
}


@pytest.mark.parametrize(("error", "status"), list(FAILURES.values()), ids=list(FAILURES))
async def test_omdb_failure_is_its_status_and_is_not_cached(
    store: Store, error: OmdbError, status: int
) -> None:
    omdb = FakeOmdb(DUNES, fail_with=error)
    app, _ = make_app(store=store, omdb=omdb)
    async with client(app) as http:
        failed = await http.get("/omdb/search", params={"q": "dune"})
        omdb.fail_with = None
        recovered = await http.get("/omdb/search", params={"q": "dune"})

    assert failed.status_code == status
    assert problem(failed)["detail"]
    assert recovered.status_code == 200
    assert len(recovered.json()["items"]) == 3


class BrokenStore:
    """A shared store (Redis) that is down."""

    def __init__(self) -> None:
        self.attempts = 0

    async def get(self, key: str) -> bytes | None:
        self.attempts += 1
        raise ConnectionError("redis is down")

    async def set(self, key: str, value: bytes, *, ttl: int) -> None:
        self.attempts += 1
        raise ConnectionError("redis is down")


async def test_a_shared_cache_outage_costs_a_request_never_an_answer(
    store: Store, omdb: FakeOmdb
) -> None:
    broken = BrokenStore()
    lookup = LookupService(
        uow=FakeUnitOfWorkFactory(store), omdb=omdb, cache=LookupCache(600, shared=broken)
    )

    found = await lookup.search("dune")

    assert [item.id for item in found.items] == ["tt0087182", "tt1160419", "tt9100011"]
    assert broken.attempts == 2


class MemoryStore:
    """A shared store that keeps what it is given, and the TTL it was given."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[bytes, int]] = {}

    async def get(self, key: str) -> bytes | None:
        entry = self.entries.get(key)
        return None if entry is None else entry[0]

    async def set(self, key: str, value: bytes, *, ttl: int) -> None:
        self.entries[key] = (value, ttl)


async def test_instances_sharing_a_store_ask_omdb_once(store: Store, omdb: FakeOmdb) -> None:
    shared = MemoryStore()
    first, second = (
        LookupService(
            uow=FakeUnitOfWorkFactory(store), omdb=omdb, cache=LookupCache(90, shared=shared)
        )
        for _ in range(2)
    )

    one = await first.search("dune")
    two = await second.search("dune")

    assert one == two
    assert searches(omdb) == 1
    assert [ttl for _, ttl in shared.entries.values()] == [90]


async def test_stored_flags_never_come_from_the_cache(store: Store, omdb: FakeOmdb) -> None:
    lookup = LookupService(uow=FakeUnitOfWorkFactory(store), omdb=omdb, cache=LookupCache(600))

    before = await lookup.search("dune")
    store.movies.pop("tt1160419")
    after = await lookup.search("dune")

    assert [i.stored for i in before.items] == [False, True, False]
    assert [i.stored for i in after.items] == [False, False, False]


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"q": "dune", "year": "abc"}, "year"),
        ({"q": "dune", "year": "1799"}, "year"),
        ({"q": "dune", "type": "film"}, "type"),
        ({"q": "dune", "page": "0"}, "page"),
        ({"q": "dune", "page": "101"}, "page"),
        ({"q": "dune", "page": "two"}, "page"),
    ],
)
async def test_bad_query_is_422_naming_it_and_never_reaches_omdb(
    store: Store, omdb: FakeOmdb, params: dict[str, str], name: str
) -> None:
    app, _ = make_app(store=store, omdb=omdb)
    async with client(app) as http:
        response = await http.get("/omdb/search", params=params)

    assert response.status_code == 422
    assert [error["name"] for error in problem(response)["errors"]] == [name]
    assert omdb.calls == []


async def test_searching_faster_than_its_limit_is_429_apart_from_the_add_limit(
    store: Store, omdb: FakeOmdb
) -> None:
    app, _ = make_app(store=store, omdb=omdb, lookup_rate_limit="2/minute")
    async with client(app) as http:
        statuses = [
            (await http.get("/omdb/search", params={"q": "dune"})).status_code for _ in range(2)
        ]
        refused = await http.get("/omdb/search", params={"q": "heat"})
        invalid_too = await http.get("/omdb/search", params={"q": " "})
        added = await http.post("/movies", json={"id": "tt0087182"})

    assert statuses == [200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "searches" in problem(refused)["detail"]
    assert invalid_too.status_code == 429  # the limit is checked before the query
    assert added.status_code == 201  # adding has its own budget
    assert searches(omdb) == 1


async def test_with_keys_required_for_adding_searching_needs_an_add_key(
    store: Store, omdb: FakeOmdb
) -> None:
    add_key = await issue_key(store, "movies:add")
    delete_key = await issue_key(store, "movies:delete")
    app, _ = make_app(store=store, omdb=omdb, require_key_for_add=True)
    async with client(app) as http:
        anonymous = await http.get("/omdb/search", params={"q": " "})
        wrong_scope = await http.get(
            "/omdb/search", params={"q": "dune"}, headers={"X-API-Key": delete_key}
        )
        allowed = await http.get(
            "/omdb/search", params={"q": "dune"}, headers={"Authorization": f"Bearer {add_key}"}
        )

    assert anonymous.status_code == 401  # before the query is even looked at
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert wrong_scope.status_code == 403
    assert allowed.status_code == 200
    assert searches(omdb) == 1


async def test_the_route_is_documented_in_openapi(store: Store, omdb: FakeOmdb) -> None:
    app, _ = make_app(store=store, omdb=omdb)
    async with client(app) as http:
        document = (await http.get("/openapi.json")).json()

    operation = document["paths"]["/omdb/search"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"q", "year", "type", "page"}
    assert {"200", "422", "429", "502", "503", "504"} <= set(operation["responses"])
    assert "application/problem+json" in operation["responses"]["429"]["content"]
    refresh = document["paths"]["/movies/{movie_id}/refresh"]["post"]
    assert {"200", "401", "403", "404", "502", "503", "504"} <= set(refresh["responses"])
