"""The response cache on real backends: two app instances over one database, with and
without a shared Redis. A write through one is never served stale by the other (contract
§2 and §5), ETags revalidate, and a Redis outage costs speed, never an answer."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import redis.asyncio
from fastapi import FastAPI

from movies_api.bootstrap import Container, build_container
from movies_api.cache.redis_store import (
    KEY_PREFIX,
    RETIRED_TTL_SECONDS,
    TTL_SECONDS,
    RedisResponseStore,
    RedisStore,
)
from movies_api.db.engine import session_factory
from movies_api.db.schema import ensure_schema
from movies_api.db.unit_of_work import SqlUnitOfWork
from movies_api.domain.movie import MovieDetails
from movies_api.http.app import create_app
from movies_api.services.catalogue import CatalogueService
from movies_api.settings import Settings
from tests.conftest import free_port
from tests.reference_catalogue import TRICKY_MOVIES, populate
from tests.unit.app_with_fakes import FakeOmdb, omdb_record

FACE_OFF = "tt0119094"
KEY_SCOPES = ("movies:delete",)


@dataclass
class Instance:
    """One running copy of the service, called in process."""

    container: Container
    http: httpx.AsyncClient

    def catalogue_with(self, omdb: FakeOmdb) -> CatalogueService:
        """This instance's database, writing with a stand-in OMDb."""
        sessions = session_factory(self.container.engine)
        return CatalogueService(uow=lambda: SqlUnitOfWork(sessions), omdb=omdb)


@contextlib.asynccontextmanager
async def instance(database_url: str, redis_url: str | None) -> AsyncIterator[Instance]:
    settings = Settings(
        database_url=database_url,
        redis_url=redis_url or "",
        seed_on_startup=False,
        access_log=False,
        cache_entries=256,
        omdb_base_url=f"http://127.0.0.1:{free_port()}/",
    )
    container = build_container(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await ensure_schema(container.engine)
        try:
            yield
        finally:
            await container.aclose()

    app = create_app(container, lifespan)
    transport = httpx.ASGITransport(app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
    ):
        yield Instance(container, http)


@contextlib.asynccontextmanager
async def two_instances(
    database_url: str, redis_url: str | None
) -> AsyncIterator[tuple[Instance, Instance]]:
    async with instance(database_url, redis_url) as one, instance(database_url, redis_url) as two:
        yield one, two


async def read_everything(http: httpx.AsyncClient) -> dict[str, httpx.Response]:
    urls = {
        "by_id": f"/movies/{FACE_OFF}",
        "by_title": "/movies/by-title?title=face%2Foff",
        "page": "/movies?page=1&limit=100",
        "new": "/movies/tt3000001",
    }
    return {name: await http.get(url) for name, url in urls.items()}


@pytest.fixture(params=["in-process", "redis"])
def shared_cache(request: pytest.FixtureRequest) -> str | None:
    """No Redis (each instance caches in process), or one Redis shared by the instances."""
    if request.param == "in-process":
        return None
    return str(request.getfixturevalue("redis_url"))


async def test_a_write_through_one_instance_is_seen_at_once_by_the_other(
    database_url: str, shared_cache: str | None
) -> None:
    key = await populate(database_url, TRICKY_MOVIES, key_scopes=KEY_SCOPES)
    async with two_instances(database_url, shared_cache) as (writer, reader):
        for http in (writer.http, reader.http):
            before = await read_everything(http)
            await read_everything(http)  # now cached on both instances
            assert before["by_id"].status_code == before["by_title"].status_code == 200
            assert before["new"].status_code == 404
        stale_etag = before["page"].headers["etag"]

        deleted = await writer.http.delete(
            f"/movies/{FACE_OFF}", headers={"Authorization": f"Bearer {key}"}
        )
        assert deleted.status_code == 204
        record = omdb_record("tt3000001", "Brand New", 2025)
        await writer.catalogue_with(FakeOmdb([record])).add("Brand New")

        for http in (reader.http, writer.http):
            after = await read_everything(http)
            assert after["by_id"].status_code == 404
            assert after["by_title"].status_code == 404
            assert after["new"].status_code == 200
            ids = [movie["id"] for movie in after["page"].json()["items"]]
            assert FACE_OFF not in ids
            assert "tt3000001" in ids
            assert after["page"].json()["total"] == len(TRICKY_MOVIES)
            revalidated = await http.get(
                "/movies?page=1&limit=100", headers={"If-None-Match": stale_etag}
            )
            assert revalidated.status_code == 200
            assert revalidated.headers["etag"] != stale_etag


async def test_an_unchanged_catalogue_revalidates_with_304_on_every_instance(
    sqlite_url: str, shared_cache: str | None
) -> None:
    await populate(sqlite_url, TRICKY_MOVIES)
    async with two_instances(sqlite_url, shared_cache) as (one, two):
        page = await one.http.get("/movies?page=2&limit=5")
        for http in (one.http, two.http):
            again = await http.get(
                "/movies?page=2&limit=5", headers={"If-None-Match": page.headers["etag"]}
            )
            assert again.status_code == 304
            assert again.content == b""


async def test_with_redis_one_instance_serves_what_the_other_built(
    sqlite_url: str, redis_url: str
) -> None:
    await populate(sqlite_url, TRICKY_MOVIES)
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        async with two_instances(sqlite_url, redis_url) as (one, two):
            built = await one.http.get(f"/movies/{FACE_OFF}")
            stored_keys = [k.decode() async for k in client.scan_iter(f"{KEY_PREFIX}*")]
            assert len(stored_keys) == 1  # one hash: the current version's
            assert await client.hkeys(stored_keys[0]) == [f"id:{FACE_OFF}".encode()]
            assert 0 < await client.ttl(stored_keys[0]) <= TTL_SECONDS
            served = await two.http.get(f"/movies/{FACE_OFF}")
        assert served.content == built.content
        assert served.headers["etag"] == built.headers["etag"]
    finally:
        await client.aclose()


async def test_two_databases_sharing_one_redis_never_see_each_others_answers(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str
) -> None:
    urls = [f"sqlite:///{tmp_path_factory.mktemp(name)}/movies.db" for name in ("a", "b")]
    titles = ("Only In A", "Only In B")
    for url, title in zip(urls, titles, strict=True):
        await populate(url, [MovieDetails(id="tt0000001", title=title, year=2000, type="movie")])
    seen: list[str] = []
    for url in urls:
        async with instance(url, redis_url) as one:
            seen.append((await one.http.get("/movies/tt0000001")).json()["title"])
    assert seen == list(titles)


async def test_with_redis_down_reads_still_answer(sqlite_url: str) -> None:
    await populate(sqlite_url, TRICKY_MOVIES)
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    async with instance(sqlite_url, dead_redis) as one:
        for _ in range(2):
            response = await one.http.get(f"/movies/{FACE_OFF}")
            assert response.status_code == 200


async def test_redis_store_round_trips_bytes_in_the_versions_hash_with_a_ttl(
    redis_url: str,
) -> None:
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        store = RedisResponseStore(client)
        assert await store.get("e.1", "/movies?page=1&limit=10") is None
        await store.set("e.1", "/movies?page=1&limit=10", b'{"items":[]}\n\x00\xff')
        assert await store.get("e.1", "/movies?page=1&limit=10") == b'{"items":[]}\n\x00\xff'
        assert await store.get("e.2", "/movies?page=1&limit=10") is None
        assert await client.exists(f"{KEY_PREFIX}e.1") == 1
        assert 0 < await client.ttl(f"{KEY_PREFIX}e.1") <= TTL_SECONDS
    finally:
        await client.aclose()


async def test_a_retired_version_leaves_redis_within_seconds(redis_url: str) -> None:
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        store = RedisResponseStore(client)
        await store.set("e.1", "k", b"old")
        await store.set("e.2", "k", b"new")
        await store.retire("e.1")
        assert 0 < await client.ttl(f"{KEY_PREFIX}e.1") <= RETIRED_TTL_SECONDS
        assert await client.ttl(f"{KEY_PREFIX}e.2") > RETIRED_TTL_SECONDS
    finally:
        await client.aclose()


async def test_redis_stores_accept_a_client_that_decodes_responses(redis_url: str) -> None:
    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    try:
        store, responses = RedisStore(client), RedisResponseStore(client)
        await store.set("k", "é".encode())
        assert await store.get("k") == "é".encode()
        await responses.set("e.1", "k", "é".encode())
        assert await responses.get("e.1", "k") == "é".encode()
    finally:
        await client.aclose()
