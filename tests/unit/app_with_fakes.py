"""The real FastAPI app around in-memory fakes: routes, auth, problems, cache and rate limit
are the production ones; storage is ``tests.unit.fakes.Store`` and OMDb is ``FakeOmdb``.

Serve it in a test with ``client(app)`` (httpx over ASGI, no socket, no lifespan).
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from movies_api.bootstrap import Container, LazyOmdb
from movies_api.cache.lookups import LookupCache
from movies_api.cache.posters import PosterCache
from movies_api.cache.responses import ResponseCache
from movies_api.cache.version import CatalogueVersion
from movies_api.db.engine import create_engine, session_factory
from movies_api.domain.movie import Movie
from movies_api.http.app import create_app
from movies_api.http.metrics import RequestStats
from movies_api.http.rate_limit import RateLimiter
from movies_api.omdb.client import SearchPage
from movies_api.omdb.errors import OmdbError, OmdbNotFound
from movies_api.omdb.normalise import normalise, summary
from movies_api.services.catalogue import CatalogueService, utc_now
from movies_api.services.keys import KeyService
from movies_api.services.lookup import LookupService
from movies_api.services.posters import PosterService, PosterSource
from movies_api.services.seeding import Seeder
from movies_api.settings import Settings
from tests.unit.fakes import FakePosters, FakeUnitOfWorkFactory, Store

# What /readyz pings: the service's sessions run SQLite on a file (never in memory).
_FOLDER = tempfile.TemporaryDirectory(prefix="movies-api-fakes-")
_PINGED = Path(_FOLDER.name) / "pinged.db"

Record = dict[str, object]


def omdb_record(
    imdb_id: str, title: str, year: int | str = 1999, type: str = "movie", **fields: str
) -> Record:
    """An OMDb answer as OMDb spells it: every value a string, absence as ``"N/A"``."""
    return {
        "Title": title,
        "Year": str(year),
        "Rated": "R",
        "Released": f"31 Mar {year}",
        "Runtime": "136 min",
        "Genre": "Action, Sci-Fi",
        "Director": "Lana Wachowski, Lilly Wachowski",
        "Writer": "N/A",
        "Actors": "Keanu Reeves, Laurence Fishburne",
        "Plot": "A hacker learns what the world is.",
        "Language": "English",
        "Country": "United States",
        "Awards": "N/A",
        "Poster": "N/A",
        "Ratings": [{"Source": "Internet Movie Database", "Value": "8.7/10"}],
        "Metascore": "73",
        "imdbRating": "8.7",
        "imdbVotes": "2,000,000",
        "imdbID": imdb_id,
        "Type": type,
        "DVD": "N/A",
        "BoxOffice": "$172,076,928",
        "Production": "N/A",
        "Website": "N/A",
        "Response": "True",
        **fields,
    }


class FakeOmdb:
    """OMDb over a list of records: titles match case-insensitively, the newest match wins
    (as OMDb does). ``fail_with`` makes every call raise it; ``calls`` records every call."""

    def __init__(
        self, records: Iterable[Mapping[str, object]] = (), *, fail_with: OmdbError | None = None
    ) -> None:
        self.records: list[Record] = [dict(record) for record in records]
        self.fail_with = fail_with
        self.calls: list[tuple[object, ...]] = []

    async def get_by_title(
        self, title: str, *, year: int | None = None, type: str | None = None, plot: str = "full"
    ) -> dict[str, object]:
        self.calls.append(("title", title, year, type))
        if self.fail_with is not None:
            raise self.fail_with
        wanted = title.strip().casefold()
        matches = [
            record
            for record in self.records
            if str(record.get("Title", "")).casefold() == wanted
            and (year is None or str(record.get("Year", "")).startswith(str(year)))
            and (type is None or record.get("Type") == type)
        ]
        if not matches:
            raise OmdbNotFound(f"OMDb has nothing for title {title!r}: Movie not found!")
        newest: Record = max(matches, key=lambda record: str(record.get("Year", "")))
        return dict(newest)

    async def get_by_id(self, imdb_id: str, *, plot: str = "full") -> dict[str, object]:
        self.calls.append(("id", imdb_id))
        if self.fail_with is not None:
            raise self.fail_with
        for record in self.records:
            if record.get("imdbID") == imdb_id:
                return dict(record)
        raise OmdbNotFound(f"OMDb has nothing for id {imdb_id!r}: Error getting data.")

    async def search(
        self, query: str, *, page: int = 1, type: str | None = "movie", year: int | None = None
    ) -> SearchPage:
        self.calls.append(("search", query, page, type, year))
        if self.fail_with is not None:
            raise self.fail_with
        words = query.casefold().split()
        hits = [
            hit
            for record in self.records
            if all(word in str(record.get("Title", "")).casefold() for word in words)
            and (type is None or record.get("Type") == type)
            and (year is None or str(record.get("Year", "")).startswith(str(year)))
            and (hit := summary(record)) is not None
        ]
        shown = tuple(hits[(page - 1) * 10 : page * 10])
        return SearchPage(items=shown, total_results=len(hits))


ADDED_AT = datetime(2024, 1, 1, tzinfo=UTC)


def stored_movie(imdb_id: str, title: str, year: int = 1999, type: str = "movie") -> Movie:
    """A movie as the catalogue would hold it after adding ``omdb_record(...)``."""
    return Movie.stored(normalise(omdb_record(imdb_id, title, year, type)), added_at=ADDED_AT)


def store_with(*movies: Movie) -> Store:
    """A store holding ``movies``."""
    store = Store()
    store.movies = {movie.id: movie for movie in movies}
    return store


@contextlib.asynccontextmanager
async def _always_held() -> AsyncIterator[bool]:
    yield True


def make_app(
    *,
    store: Store | None = None,
    omdb: FakeOmdb | LazyOmdb | None = None,
    clock: Callable[[], datetime] = utc_now,
    posters: PosterSource | None = None,
    **settings: Any,
) -> tuple[FastAPI, Container]:
    """The production app over ``store``, ``omdb`` and ``posters`` (images by URL; by default
    ``FakePosters`` with none); ``settings`` are ``Settings`` fields
    (``add_rate_limit="2/minute"``, ``require_key_for_add=True``, …).

    The database is an empty SQLite file in a temporary directory (``/readyz`` pings it);
    nothing connects until something asks.
    """
    configured = Settings(**{"seed_on_startup": False, "omdb_api_key": "fake-key", **settings})
    uow = FakeUnitOfWorkFactory(store if store is not None else Store())
    upstream = omdb if omdb is not None else FakeOmdb()
    catalogue = CatalogueService(uow=uow, omdb=upstream, clock=clock)
    container = Container(
        settings=configured,
        sessions=session_factory(create_engine(make_url(f"sqlite+aiosqlite:///{_PINGED}"))),
        omdb=LazyOmdb(configured),
        catalogue=catalogue,
        keys=KeyService(uow=uow, clock=clock),
        seeder=Seeder(uow=uow, omdb=upstream, lock=_always_held, count=configured.seed_count),
        cache=ResponseCache(
            CatalogueVersion(catalogue.version),
            entries=configured.cache_entries,
            max_bytes=configured.cache_bytes,
        ),
        limiter=RateLimiter(
            configured.rate_limit,
            redis_url=configured.redis_url,
            trust_forwarded_for=bool(configured.trust_forwarded_for),
        ),
        lookup=LookupService(
            uow=uow, omdb=upstream, cache=LookupCache(configured.lookup_cache_seconds)
        ),
        lookup_limiter=RateLimiter(
            configured.lookup_limit,
            redis_url=configured.redis_url,
            trust_forwarded_for=bool(configured.trust_forwarded_for),
            namespace="lookup",
            what="searches",
        ),
        uow=uow,
        stats=RequestStats(),
        posters=PosterService(
            uow=uow,
            source=posters if posters is not None else FakePosters(),
            cache=PosterCache(configured.poster_cache_bytes),
        ),
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await container.aclose()

    return create_app(container, lifespan), container


def client(app: FastAPI, *, address: str = "127.0.0.1") -> httpx.AsyncClient:
    """An httpx client that calls ``app`` in process, as if from ``address``."""
    transport = httpx.ASGITransport(app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def issue_key(store: Store, *scopes: str, name: str = "test") -> str:
    """A real key (made by ``KeyService``) stored in ``store``; default scope when none given."""
    _stored, key = await KeyService(uow=FakeUnitOfWorkFactory(store)).create(
        name=name, scopes=scopes
    )
    return key
