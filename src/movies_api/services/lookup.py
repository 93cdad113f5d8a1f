"""Look before adding (contract §2, ``GET /omdb/search``): OMDb's search hits, each marked with
whether the catalogue holds it.

OMDb's answer is kept in the lookup cache for ``MOVIES_LOOKUP_CACHE_SECONDS`` (identical
searches reuse it, and identical searches arriving together share one request); the
``stored`` flags never come from the cache but from one database query per answer, so
they are right at the moment of the answer.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import orjson

from movies_api.domain.movie import MovieSummary
from movies_api.services import upstream
from movies_api.services.ports import LookupCache, OmdbSearch, UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class Candidate:
    """A search hit, and whether that id is in the catalogue now."""

    id: str
    title: str
    year: int | None
    type: str
    poster_url: str | None
    stored: bool


@dataclass(frozen=True, slots=True)
class LookupPage:
    """One page of OMDb's hits (10 at most) and how many the search has in all."""

    items: tuple[Candidate, ...]
    page: int
    total: int


@dataclass(frozen=True, slots=True)
class _Hits:
    items: tuple[MovieSummary, ...]
    total: int

    def pack(self) -> bytes:
        return orjson.dumps({"items": self.items, "total": self.total})

    @classmethod
    def unpack(cls, packed: bytes) -> _Hits:
        document = orjson.loads(packed)
        return cls(tuple(MovieSummary(**item) for item in document["items"]), document["total"])


def cache_key(query: str, *, year: int | None, type: str | None, page: int) -> str:
    """One key for every spelling of a search OMDb answers alike (case, outer and inner
    white space)."""
    return f"lookup:{type or '*'}:{year or '*'}:{page}:{' '.join(query.split()).casefold()}"


class LookupService:
    """Searches OMDb through the shared client (its concurrency, deadlines and errors)."""

    def __init__(self, *, uow: UnitOfWorkFactory, omdb: OmdbSearch, cache: LookupCache) -> None:
        self._uow = uow
        self._omdb = omdb
        self._cache = cache
        self._flights: dict[str, asyncio.Future[_Hits]] = {}

    async def search(
        self, query: str, *, year: int | None = None, type: str | None = None, page: int = 1
    ) -> LookupPage:
        """A page of hits for ``query`` (any type unless ``type``); no match is an empty page.

        OMDb's failures raise ``UpstreamError``s and nothing is cached.
        """
        query = " ".join(query.split())
        key = cache_key(query, year=year, type=type, page=page)
        hits = await self._hits(key, query, year=year, type=type, page=page)
        async with self._uow() as uow:
            stored = await uow.movies.stored_ids(hit.id for hit in hits.items)
        items = tuple(
            Candidate(h.id, h.title, h.year, h.type, h.poster_url, h.id in stored)
            for h in hits.items
        )
        return LookupPage(items=items, page=page, total=hits.total)

    async def _hits(
        self, key: str, query: str, *, year: int | None, type: str | None, page: int
    ) -> _Hits:
        packed = await self._cache.get(key)
        if packed is not None:
            return _Hits.unpack(packed)
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.ensure_future(self._ask(key, query, year=year, type=type, page=page))
            self._flights[key] = flight
            flight.add_done_callback(lambda done: self._landed(key, done))
        # Shielded: a caller that goes away must not cancel the answer others wait for.
        return await asyncio.shield(flight)

    async def _ask(
        self, key: str, query: str, *, year: int | None, type: str | None, page: int
    ) -> _Hits:
        found = await upstream.answer(self._omdb.search(query, page=page, type=type, year=year))
        hits = _Hits(found.items, found.total_results)
        await self._cache.set(key, hits.pack())
        return hits

    def _landed(self, key: str, flight: asyncio.Future[_Hits]) -> None:
        self._flights.pop(key, None)
        if not flight.cancelled():
            flight.exception()  # retrieved, so a failure nobody awaited is not logged as lost
