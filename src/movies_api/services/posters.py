"""A stored movie's poster, fetched once from its ``poster_url`` and then served from
memory (contract §2, ``GET /movies/{id}/poster``), so people's browsers never go to
another host."""

from __future__ import annotations

import asyncio
from typing import Protocol

from movies_api.cache.posters import PosterCache
from movies_api.domain.poster import Poster
from movies_api.services.errors import MovieNotFound, PosterUnavailable
from movies_api.services.ports import UnitOfWorkFactory


class PosterSource(Protocol):
    """Where images come from (the HTTP fetcher; a fake in unit tests)."""

    async def fetch(self, url: str) -> Poster:
        """The image at ``url``, or ``PosterUnavailable``."""
        ...


class PosterService:
    """Finds a movie's poster URL and serves its image from the cache, fetching it at most
    once at a time however many requests want it together."""

    def __init__(self, *, uow: UnitOfWorkFactory, source: PosterSource, cache: PosterCache) -> None:
        self._uow = uow
        self._source = source
        self._cache = cache
        self._flights: dict[str, asyncio.Future[Poster]] = {}

    async def poster(self, movie_id: str) -> Poster:
        """The poster of a stored movie; ``MovieNotFound`` or ``PosterUnavailable``."""
        async with self._uow() as uow:
            movie = await uow.movies.get(movie_id)
        if movie is None:
            raise MovieNotFound(f"no movie with id {movie_id}")
        url = movie.poster_url
        if not url:
            raise PosterUnavailable(f"movie {movie_id} has no poster")
        kept = self._cache.get(url)
        if kept is not None:
            return kept
        if self._cache.failed_recently(url):
            raise PosterUnavailable(f"the poster of movie {movie_id} could not be fetched lately")
        flight = self._flights.get(url)
        if flight is None:
            flight = asyncio.ensure_future(self._fetch(url))
            self._flights[url] = flight
            flight.add_done_callback(lambda done: self._landed(url, done))
        # Shielded: a browser that goes away must not cancel the fetch others wait for.
        return await asyncio.shield(flight)

    async def _fetch(self, url: str) -> Poster:
        try:
            poster = await self._source.fetch(url)
        except PosterUnavailable:
            self._cache.note_failure(url)
            raise
        self._cache.keep(url, poster)
        return poster

    def _landed(self, url: str, flight: asyncio.Future[Poster]) -> None:
        self._flights.pop(url, None)
        if not flight.cancelled():
            flight.exception()  # retrieved, so a failure nobody awaited is not logged as lost
