"""Seeding (contract §3): fill an empty catalogue from OMDb once per database, atomically.

The rules and where they live:
- *once, even with several instances*: a seed first claims a database-wide lock
  (``lock``); whoever holds it checks the seed mark and the catalogue's emptiness
  inside it, so a second instance finds the work done and sends OMDb nothing;
- *atomic*: every detail is fetched before the one transaction that stores the seed
  and sets the mark, so a crash or failure part-way stores nothing;
- *never into a non-empty database*: a catalogue found non-empty at claim time is
  marked seeded without fetching anything; movies added while a seed runs are kept
  (the store skips ids already present);
- *polite and fast*: detail requests are pipelined behind the candidate source and
  bounded by the OMDb client's own concurrency; a candidate OMDb cannot serve is
  replaced by the next rather than failing the seed.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from importlib import resources
from typing import Protocol

from movies_api.domain.movie import MovieDetails
from movies_api.omdb.errors import (
    InvalidRecord,
    OmdbError,
    OmdbInvalidKey,
    OmdbNotConfigured,
    OmdbNotFound,
    OmdbQuotaReached,
)
from movies_api.omdb.normalise import normalise
from movies_api.services.catalogue import utc_now
from movies_api.services.ports import UnitOfWorkFactory

log = logging.getLogger("movies_api.seeding")

# Words searched after the bundled ids run out (or first, when MOVIES_SEED_SEARCH is set).
FALLBACK_WORDS = ("love", "war", "night", "man", "star", "day", "life", "world", "king", "girl")
RETRY_CAP_SECONDS = 30.0
RETRY_BASE_SECONDS = 1.0
WAIT_FOR_OTHER_SECONDS = 1.0
# Spare requests raced against the last few outstanding ones. A straggler (a detail
# request backing off between retries after an OMDb 5xx) would otherwise hold the whole
# seed for its backoff plus another round trip while OMDb's slots sit idle; the spares
# use those idle slots, and cost at most this many extra requests per seed.
TAIL_SPARES = 4
# OMDb failures that no retry of the same request will mend within a seed attempt.
_FATAL = (OmdbNotConfigured, OmdbInvalidKey, OmdbQuotaReached)


class SeedState(StrEnum):
    """The seed's state, as ``/readyz`` reports it."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Outcome(StrEnum):
    """How one seed attempt ended: busy means another process holds the seed lock."""

    SEEDED = "seeded"
    ALREADY_SEEDED = "already-seeded"
    NOT_EMPTY = "not-empty"
    BUSY = "busy"


@dataclass(frozen=True, slots=True)
class SeedResult:
    """One attempt's outcome and how many movies it stored."""

    outcome: Outcome
    stored: int = 0


class SeedIncomplete(Exception):
    """The candidates ran out, or too many failed, before the seed reached its count."""


class SeedOmdb(Protocol):
    """What seeding asks of OMDb."""

    async def get_by_id(self, imdb_id: str, *, plot: str = "full") -> dict[str, object]: ...

    async def search(
        self, query: str, *, page: int = 1, type: str | None = "movie", year: int | None = None
    ) -> _SearchPage: ...


class _SearchPage(Protocol):
    @property
    def ids(self) -> tuple[str, ...]: ...

    @property
    def total_results(self) -> int: ...


Progress = Callable[[int, int], None]


def bundled_ids() -> tuple[str, ...]:
    """The curated default seed: well-known films, more than the default count."""
    return ids_in(resources.files("movies_api.services").joinpath("seed_ids.txt").read_text())


def ids_in(text: str) -> tuple[str, ...]:
    """The IMDb ids of a seed list: one at the start of a line, anything after it and any
    other line (comments) skipped."""
    return tuple(line.split()[0] for line in text.splitlines() if line.lstrip().startswith("tt"))


async def search_ids(
    omdb: SeedOmdb, words: Sequence[str], *, pages_per_word: int = 10
) -> AsyncIterator[str]:
    """Ids from OMDb searches for ``words``: the first page tells how many pages there are,
    the rest are fetched together so detail requests never wait on a chain of searches."""
    for word in words:
        first = await omdb.search(word, page=1, type="movie")
        for movie_id in first.ids:
            yield movie_id
        last = min(pages_per_word, -(-first.total_results // 10))
        rest = [
            asyncio.ensure_future(omdb.search(word, page=p, type="movie"))
            for p in range(2, last + 1)
        ]
        try:
            for future in rest:
                try:
                    found = await future
                except OmdbError as error:
                    if isinstance(error, _FATAL):
                        raise
                    continue
                for movie_id in found.ids:
                    yield movie_id
        finally:
            for future in rest:
                future.cancel()


class Seeder:
    """Runs seeds and reports their state for ``/readyz``."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        omdb: SeedOmdb,
        lock: Callable[[], AbstractAsyncContextManager[bool]],
        count: int = 100,
        ids: Sequence[str] | None = None,
        words: Sequence[str] = (),
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        tail_spares: int = TAIL_SPARES,
        in_flight: int = 8,
    ) -> None:
        self._uow = uow
        self._omdb = omdb
        self._lock = lock
        self._count = count
        # Explicit search words replace the bundled ids; otherwise ids first, words as reserve.
        self._ids: tuple[str, ...] = (
            () if words else tuple(ids if ids is not None else bundled_ids())
        )
        self._words = tuple(words) or FALLBACK_WORDS
        self._clock = clock
        self._sleep = sleep
        self._tail_spares = tail_spares
        self._in_flight = in_flight
        self.state = SeedState.PENDING
        self._fetched = 0
        self._attempts = 0
        self._error: str | None = None
        self._waiting_for_other = False

    def status(self) -> dict[str, object]:
        """The seed's state and progress, as ``/readyz`` shows it."""
        status: dict[str, object] = {
            "state": self.state.value,
            "target": self._count,
            "fetched": self._fetched,
            "attempts": self._attempts,
        }
        if self._waiting_for_other:
            status["detail"] = "another instance is seeding this database"
        if self._error is not None:
            status["error"] = self._error
        return status

    async def refresh(self) -> None:
        """Without a seed on start: ``done`` if the database needs none, else ``pending``."""
        async with self._uow() as uow:
            needs_none = await uow.state.is_seeded() or await uow.movies.count() > 0
        if needs_none:
            self.state = SeedState.DONE

    async def seed_once(self, progress: Progress | None = None) -> SeedResult:
        """One attempt: claim the database, check it, fetch, store. Raises on failure."""
        async with self._lock() as held:
            if not held:
                return SeedResult(Outcome.BUSY)
            async with self._uow() as uow:
                if await uow.state.is_seeded():
                    return SeedResult(Outcome.ALREADY_SEEDED)
                if await uow.movies.count() > 0:
                    await uow.state.mark_seeded(at=self._clock())
                    await uow.commit()
                    return SeedResult(Outcome.NOT_EMPTY)
            self.state = SeedState.RUNNING
            self._waiting_for_other = False
            movies = await self._fetch(progress)
            async with self._uow() as uow:
                stored = await uow.movies.add(movies, added_at=self._clock())
                await uow.state.mark_seeded(at=self._clock())
                await uow.commit()
            log.info("seeded %d movies (%d already stored)", len(stored), len(movies) - len(stored))
            return SeedResult(Outcome.SEEDED, len(stored))

    async def run(self) -> None:
        """Seed until done, backing off exponentially (capped) between failed attempts."""
        failures = 0
        while True:
            self._attempts += 1
            try:
                result = await self.seed_once()
            except OmdbNotConfigured as error:
                self._fail(str(error))
                return  # no key: retrying cannot help until an operator sets one and restarts
            except Exception as error:
                failures += 1
                self._fail(f"{type(error).__name__}: {error}")
                delay = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** (failures - 1))
                await self._sleep(delay * random.uniform(0.5, 1.0))  # noqa: S311 - jitter, not crypto
                continue
            if result.outcome is Outcome.BUSY:
                self._attempts -= 1  # waiting on another instance is not an attempt of ours
                self.state = SeedState.RUNNING
                self._waiting_for_other = True
                await self._sleep(WAIT_FOR_OTHER_SECONDS)
                continue
            self.state = SeedState.DONE
            self._waiting_for_other = False
            self._error = None
            return

    def _fail(self, message: str) -> None:
        self.state = SeedState.FAILED
        self._error = message
        log.warning("seeding failed (attempt %d): %s", self._attempts, message)

    async def _candidates(self) -> AsyncIterator[str]:
        seen: set[str] = set()
        for movie_id in self._ids:
            if movie_id not in seen:
                seen.add(movie_id)
                yield movie_id
        async for movie_id in search_ids(self._omdb, self._words):
            if movie_id not in seen:
                seen.add(movie_id)
                yield movie_id

    async def _fetch(self, progress: Progress | None) -> list[MovieDetails]:
        """Details of ``count`` distinct movies; keeps a request open for every movie still
        needed (as many as the client has slots), and near the end a spare for each
        (``tail_spares`` at most)."""
        target = self._count
        found: dict[str, MovieDetails] = {}
        failures = 0
        allowed_failures = max(3, target // 10)
        self._fetched = 0
        candidates = aiter(self._candidates())
        pending: set[asyncio.Task[MovieDetails | None]] = set()
        done: set[asyncio.Task[MovieDetails | None]] = set()
        exhausted = False
        try:
            while len(found) < target:
                needed = target - len(found)
                wanted = needed + (needed if needed <= self._tail_spares else 0)
                # No more than the client has slots: its timeout covers a whole call, the
                # wait for a slot included, so a queue of a hundred behind a slow OMDb
                # would time the last of them out before they were ever sent.
                wanted = min(wanted, self._in_flight)
                while not exhausted and len(pending) < wanted:
                    try:
                        movie_id = await anext(candidates)
                    except StopAsyncIteration:
                        exhausted = True
                        break
                    pending.add(asyncio.create_task(self._details(movie_id)))
                if not pending:
                    raise SeedIncomplete(
                        f"found {len(found)} of {target} movies; no candidates left"
                    )
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    try:
                        movie = task.result()
                    except OmdbError as error:
                        if isinstance(error, _FATAL):
                            raise
                        failures += 1
                        if failures > allowed_failures:
                            raise SeedIncomplete(
                                f"{failures} OMDb requests failed; last: {error}"
                            ) from None
                        continue
                    if movie is not None and movie.id not in found and len(found) < target:
                        found[movie.id] = movie
                        self._fetched = len(found)
                        if progress is not None:
                            progress(len(found), target)
        finally:
            for task in pending:
                task.cancel()
            # Also the finished tasks an early raise left unread: an exception never retrieved
            # is logged as an error at garbage collection.
            await asyncio.gather(*pending, *done, return_exceptions=True)
            await candidates.aclose()  # type: ignore[attr-defined]
        return list(found.values())

    async def _details(self, movie_id: str) -> MovieDetails | None:
        """A seedable movie for ``movie_id``, or None when OMDb has none or it is no movie."""
        try:
            movie = normalise(await self._omdb.get_by_id(movie_id))
        except (OmdbNotFound, InvalidRecord):
            return None
        return movie if movie.type == "movie" else None
