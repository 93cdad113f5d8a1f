"""``movies-api refresh`` (contract §4): fetch again the details of movies last refreshed
before a cutoff, the stalest first, so ratings and box office figures stay current.

Runs as ``services.bulk`` describes (bounded concurrency, batches that each bump the
catalogue version once, a clean stop on OMDb's quota). A movie that fails keeps its old
details and its old ``refreshed_at``, so the next run tries it first again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta

from movies_api.domain.movie import Movie
from movies_api.services.bulk import (
    BATCH_SIZE,
    BulkRun,
    BulkRunner,
    Chunk,
    Fetched,
    Job,
    LineResult,
    Listener,
    Outcome,
)
from movies_api.services.catalogue import fetch_again, utc_now
from movies_api.services.ports import OmdbLookup, UnitOfWorkFactory


class Refresher:
    """Refreshes stale movies; ``cutoff`` → ``count`` → ``run`` with the same cutoff."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        omdb: OmdbLookup,
        concurrency: int,
        batch_size: int = BATCH_SIZE,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._uow = uow
        self._omdb = omdb
        self._runner = BulkRunner(concurrency=concurrency, batch_size=batch_size)
        self._batch_size = batch_size
        self._clock = clock

    def cutoff(self, older_than: timedelta) -> datetime:
        """The moment a movie must have been refreshed before to be refreshed now."""
        return self._clock() - older_than

    async def count(self, *, before: datetime, limit: int | None = None) -> int:
        """How many movies ``run`` would refresh."""
        async with self._uow() as uow:
            due = await uow.movies.count_stale(before=before)
        return due if limit is None else min(due, limit)

    async def run(
        self, *, before: datetime, limit: int | None = None, listener: Listener | None = None
    ) -> BulkRun:
        """Refresh up to ``limit`` movies refreshed before ``before``; a result per movie,
        numbered stalest first, its input being the movie's id."""
        return await self._runner.run(self._chunks(before, limit), self._commit, listener)

    async def _chunks(self, before: datetime, limit: int | None) -> AsyncIterator[Chunk]:
        after: tuple[datetime, str] | None = None
        taken = 0
        while limit is None or taken < limit:
            size = self._batch_size if limit is None else min(self._batch_size, limit - taken)
            async with self._uow() as uow:
                page = await uow.movies.stale(before=before, after=after, limit=size)
            if not page:
                return
            last = page[-1]
            after = (last.refreshed_at or before, last.id)
            yield Chunk(jobs=[self._job(taken + n, movie) for n, movie in enumerate(page, 1)])
            taken += len(page)

    def _job(self, number: int, movie: Movie) -> Job:
        omdb, movie_id = self._omdb, movie.id
        return Job(number, movie_id, lambda: fetch_again(omdb, movie_id), id=movie_id)

    async def _commit(self, batch: Sequence[Fetched]) -> list[LineResult]:
        """One transaction: replace each movie's details (readers see the new version at commit)."""
        refreshed_at = self._clock()
        results = []
        async with self._uow() as uow:
            for job, details in batch:
                movie = await uow.movies.replace(details, refreshed_at=refreshed_at)
                if movie is None:
                    detail = "deleted from the catalogue meanwhile"
                    results.append(
                        LineResult(job.line, job.input, Outcome.NOT_FOUND, job.id, detail)
                    )
                else:
                    named = f"{movie.title} ({movie.year or 'no year'})"
                    results.append(
                        LineResult(job.line, job.input, Outcome.REFRESHED, job.id, named)
                    )
            await uow.commit()
        return results
