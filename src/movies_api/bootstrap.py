"""The composition root: the one place that builds engines, clients and services and
hands them to the HTTP app and the CLI. Nothing else constructs infrastructure."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from movies_api.cache.breaker import CircuitBreaker
from movies_api.cache.lookups import LookupCache
from movies_api.cache.posters import PosterCache
from movies_api.cache.responses import ResponseCache
from movies_api.cache.version import CatalogueVersion
from movies_api.db.engine import Sessions, create_engine
from movies_api.db.locks import exclusive
from movies_api.db.unit_of_work import SqlUnitOfWork
from movies_api.db.urls import async_url
from movies_api.http.metrics import RequestStats
from movies_api.http.rate_limit import RateLimiter
from movies_api.posters.fetcher import PosterFetcher
from movies_api.services.catalogue import CatalogueService
from movies_api.services.keys import KeyService
from movies_api.services.lookup import LookupService
from movies_api.services.posters import PosterService
from movies_api.services.seeding import Seeder, ids_in
from movies_api.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI
    from redis.asyncio import Redis
    from sqlalchemy.engine import URL
    from sqlalchemy.ext.asyncio import AsyncEngine

    from movies_api.cache.redis_store import RedisResponseStore, RedisStore
    from movies_api.omdb.client import OmdbClient, SearchPage
    from movies_api.services.importer import Importer
    from movies_api.services.ports import UnitOfWorkFactory
    from movies_api.services.refresher import Refresher

log = logging.getLogger("movies_api")


class LazyOmdb:
    """The OMDb client, built on first use: a process that only serves reads never
    imports httpx, which keeps cold starts short."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: OmdbClient | None = None

    def load(self) -> None:
        """Build the client now (importing httpx): ``serve`` does before a seed starts, so
        the seed's first requests do not wait on an import beside the HTTP side's."""
        self._get()

    def _get(self) -> OmdbClient:
        if self._client is None:
            from movies_api.omdb.client import OmdbClient

            key = self._settings.omdb_api_key
            self._client = OmdbClient(
                api_key=key.get_secret_value() if key else None,
                base_url=self._settings.omdb_base_url,
                timeout=self._settings.omdb_timeout,
                max_in_flight=self._settings.omdb_max_in_flight,
            )
        return self._client

    async def get_by_id(self, imdb_id: str, *, plot: str = "full") -> dict[str, object]:
        return await self._get().get_by_id(imdb_id, plot=plot)

    async def get_by_title(
        self, title: str, *, year: int | None = None, type: str | None = None, plot: str = "full"
    ) -> dict[str, object]:
        return await self._get().get_by_title(title, year=year, type=type, plot=plot)

    async def search(
        self, query: str, *, page: int = 1, type: str | None = "movie", year: int | None = None
    ) -> SearchPage:
        return await self._get().search(query, page=page, type=type, year=year)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


@dataclass
class Container:
    """Everything a running process needs, built once from the settings."""

    settings: Settings
    sessions: Sessions
    omdb: LazyOmdb
    catalogue: CatalogueService
    keys: KeyService
    seeder: Seeder
    cache: ResponseCache
    limiter: RateLimiter
    lookup: LookupService
    lookup_limiter: RateLimiter
    uow: UnitOfWorkFactory
    stats: RequestStats
    posters: PosterService
    poster_fetcher: PosterFetcher | None = None
    redis: Redis | None = None
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    @cached_property
    def importer(self) -> Importer:
        """``movies-api import``'s, built on first use: serving never imports it."""
        from movies_api.services.importer import Importer

        in_flight = self.settings.omdb_max_in_flight  # the bulk commands keep every slot busy
        return Importer(uow=self.uow, omdb=self.omdb, concurrency=in_flight)

    @cached_property
    def refresher(self) -> Refresher:
        """``movies-api refresh``'s, built on first use: serving never imports it."""
        from movies_api.services.refresher import Refresher

        in_flight = self.settings.omdb_max_in_flight
        return Refresher(uow=self.uow, omdb=self.omdb, concurrency=in_flight)

    @property
    def engine(self) -> AsyncEngine:
        """The database's ``AsyncEngine``, built on first use (``db.engine``: serving SQLite
        needs none)."""
        return self.sessions.engine

    def start_seed(self) -> None:
        """Seed in the background (once): routes answer meanwhile, ``/readyz`` shows it."""
        if not any(task.get_name() == "seed" for task in self._tasks):
            self._tasks.add(asyncio.create_task(self.seeder.run(), name="seed"))

    async def ping(self) -> None:
        """One round trip to the database, for ``/readyz``."""
        await self.sessions.ping()

    def seed_status(self) -> Mapping[str, object]:
        return self.seeder.status()

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.cache.aclose()
        await self.omdb.aclose()
        if self.poster_fetcher is not None:
            await self.poster_fetcher.aclose()
        if self.redis is not None:
            await self.redis.aclose()
        await self.sessions.aclose()


def database_engine(settings: Settings) -> AsyncEngine:
    """The engine for the configured database, password slotted in when given apart."""
    return create_engine(
        _database_url(settings),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        limits=settings.db_limits,
    )


def _database_url(settings: Settings) -> URL:
    password = settings.database_password
    return async_url(
        settings.resolved_database_url, password.get_secret_value() if password else None
    )


def build_container(settings: Settings) -> Container:
    """Build the object graph; no I/O happens here (connections open on first use)."""
    sessions = Sessions(
        _database_url(settings), lambda: database_engine(settings), settings.db_limits
    )

    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(sessions)

    omdb = LazyOmdb(settings)
    catalogue = CatalogueService(uow=uow, omdb=omdb)
    redis: Redis | None = None
    shared: RedisStore | None = None
    responses: RedisResponseStore | None = None
    breaker: CircuitBreaker | None = None
    stats = RequestStats()
    if settings.redis_url:
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff
        from redis.exceptions import ConnectionError as RedisConnectionError

        from movies_api.cache.redis_store import RedisResponseStore, RedisStore

        redis = Redis.from_url(
            settings.redis_url,
            socket_timeout=2,
            socket_connect_timeout=2,
            # After Redis restarts, each pooled connection fails once ("connection
            # closed"): one retry, on a new connection, hides that from the breaker. A
            # timeout is not retried: a hung Redis would cost another 2 s.
            retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        )
        breaker = CircuitBreaker("Redis")
        stats.dependencies.append(breaker)
        shared = RedisStore(redis, breaker)
        responses = RedisResponseStore(redis, breaker)
    in_flight = settings.omdb_max_in_flight  # the seed keeps every client slot busy
    fetcher = PosterFetcher()
    return Container(
        settings=settings,
        sessions=sessions,
        omdb=omdb,
        catalogue=catalogue,
        keys=KeyService(uow=uow),
        seeder=Seeder(
            uow=uow,
            omdb=omdb,
            lock=lambda: exclusive(sessions, "seed", wait=False),
            count=settings.seed_count,
            ids=ids_in(settings.seed_ids_file.read_text()) if settings.seed_ids_file else None,
            words=settings.seed_search,
            in_flight=in_flight,
        ),
        cache=ResponseCache(
            CatalogueVersion(catalogue.version),
            entries=settings.cache_entries,
            max_bytes=settings.cache_bytes,
            shared=responses,
        ),
        limiter=RateLimiter(
            settings.rate_limit,
            redis_url=settings.redis_url,
            trust_forwarded_for=bool(settings.trust_forwarded_for),
            redis_pool=redis.connection_pool if redis is not None else None,
            breaker=breaker,
        ),
        lookup=LookupService(
            uow=uow, omdb=omdb, cache=LookupCache(settings.lookup_cache_seconds, shared=shared)
        ),
        lookup_limiter=RateLimiter(
            settings.lookup_limit,
            redis_url=settings.redis_url,
            trust_forwarded_for=bool(settings.trust_forwarded_for),
            redis_pool=redis.connection_pool if redis is not None else None,
            breaker=breaker,
            namespace="lookup",
            what="searches",
        ),
        uow=uow,
        stats=stats,
        posters=PosterService(
            uow=uow, source=fetcher, cache=PosterCache(settings.poster_cache_bytes)
        ),
        poster_fetcher=fetcher,
        redis=redis,
    )


def build_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    """The ASGI app with its lifespan: background seed, orderly shutdown. ``serve`` passes
    the container it checked the database with (and may have started the seed on)."""
    from movies_api.http.app import create_app

    if container is None:
        container = build_container(settings or Settings())
    built = container

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # The schema is ready: ``startup.prepare`` checked (and migrated) it before serving.
        if built.settings.seed_on_startup:
            built.start_seed()
        else:
            await built.seeder.refresh()  # pending or done, for /readyz
        try:
            yield
        finally:
            await built.aclose()

    return create_app(container, lifespan)
