"""The Seeder against in-memory fakes: once, atomic, only into an empty catalogue, polite retries.

Every fake here is asyncio-only and instant: OMDb answers after one turn of the event
loop (so requests overlap as they would on the wire), the lock is an ``asyncio.Lock``
tried without waiting, and ``sleep`` records its delay and returns at once.
"""

from __future__ import annotations

import asyncio
import gc
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from movies_api.domain.movie import Movie, MovieDetails
from movies_api.omdb.errors import (
    OmdbInvalidKey,
    OmdbNotConfigured,
    OmdbNotFound,
    OmdbQuotaReached,
    OmdbTimeout,
    OmdbUnavailable,
)
from movies_api.services.seeding import (
    FALLBACK_WORDS,
    RETRY_CAP_SECONDS,
    TAIL_SPARES,
    WAIT_FOR_OTHER_SECONDS,
    Outcome,
    Seeder,
    SeedIncomplete,
    SeedState,
    bundled_ids,
    ids_in,
)
from tests.unit.fakes import FakeUnitOfWorkFactory, Store

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def movie_id(n: int) -> str:
    return f"tt{n:07d}"


def record(n: int, **overrides: str) -> dict[str, object]:
    """A raw OMDb record as the real service sends it: strings everywhere."""
    return {
        "imdbID": movie_id(n),
        "Title": f"Film number {n}",
        "Year": "1999",
        "Type": "movie",
        "Plot": f"The whole plot of film {n}, at length.",
        "Director": "Jane Doe",
        "Genre": "Drama, Crime",
        "Response": "True",
        **overrides,
    }


def records(numbers: Iterable[int]) -> dict[str, dict[str, object]]:
    return {movie_id(n): record(n) for n in numbers}


def fresh(error: Exception) -> Exception:
    """A new exception like ``error``: the real client never raises one instance twice."""
    return type(error)(*error.args)


@dataclass(frozen=True)
class FakePage:
    ids: tuple[str, ...]
    total_results: int


class FakeOmdb:
    """OMDb over a dict of raw records; records every request and how many overlap."""

    def __init__(
        self,
        known: Mapping[str, dict[str, object]] | None = None,
        *,
        searches: Mapping[str, list[str]] | None = None,
        failures: Mapping[str, Exception] | None = None,
    ) -> None:
        self.records = dict(known or {})
        self.searches = dict(searches or {})
        # Raised once for that id (the client already retried it); later requests succeed.
        self.failures = dict(failures or {})
        # Raised by every request while set: OMDb is down (or refuses the key).
        self.down: Exception | None = None
        # Awaited inside each detail request, before it answers.
        self.during: Callable[[str], Awaitable[None]] | None = None
        self.details: list[str] = []
        self.plots: list[str] = []
        self.searched: list[tuple[str, int, str | None]] = []
        self.in_flight = 0
        self.peak_in_flight = 0

    @property
    def requests(self) -> int:
        return len(self.details) + len(self.searched)

    async def get_by_id(self, imdb_id: str, *, plot: str = "full") -> dict[str, object]:
        self.details.append(imdb_id)
        self.plots.append(plot)
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0)
            if self.during is not None:
                await self.during(imdb_id)
            if self.down is not None:
                raise fresh(self.down)
            failure = self.failures.pop(imdb_id, None)
            if failure is not None:
                raise failure
            found = self.records.get(imdb_id)
            if found is None:
                raise OmdbNotFound(f"OMDb has nothing for id {imdb_id!r}: Error getting data.")
            return dict(found)
        finally:
            self.in_flight -= 1

    async def search(
        self, query: str, *, page: int = 1, type: str | None = "movie", year: int | None = None
    ) -> FakePage:
        self.searched.append((query, page, type))
        await asyncio.sleep(0)
        if self.down is not None:
            raise fresh(self.down)
        hits = self.searches.get(query, [])
        return FakePage(tuple(hits[(page - 1) * 10 : page * 10]), len(hits))


class FakeLock:
    """The database-wide seed lock: tried without waiting, as the real one is."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.refusals = 0

    def __call__(self) -> AbstractAsyncContextManager[bool]:
        return self._hold()

    @asynccontextmanager
    async def _hold(self) -> AsyncIterator[bool]:
        if self.lock.locked():
            self.refusals += 1
            yield False
            return
        async with self.lock:
            yield True


class Sleeps:
    """An instant ``sleep`` that records each delay and may act before returning."""

    def __init__(self, then: Callable[[int], None] | None = None) -> None:
        self.delays: list[float] = []
        self.then = then

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        if self.then is not None:
            self.then(len(self.delays))
        await asyncio.sleep(0)


@dataclass
class Rig:
    store: Store
    omdb: FakeOmdb
    lock: FakeLock
    sleeps: Sleeps
    seeder: Seeder


def rig(
    omdb: FakeOmdb | None = None,
    *,
    count: int = 5,
    ids: Iterable[str] | None = None,
    words: Iterable[str] = (),
    store: Store | None = None,
    lock: FakeLock | None = None,
    sleeps: Sleeps | None = None,
    tail_spares: int = 0,
    in_flight: int = 100,
) -> Rig:
    """A Seeder over fakes; by default OMDb knows films 1 to 20 and the ids are films 1 to 20.

    Tail spares are off unless asked for, so that tests can count requests exactly; the
    cap on open requests is out of the way unless asked for.
    """
    omdb = omdb if omdb is not None else FakeOmdb(records(range(1, 21)))
    store = store if store is not None else Store()
    lock = lock if lock is not None else FakeLock()
    sleeps = sleeps if sleeps is not None else Sleeps()
    seeder = Seeder(
        uow=FakeUnitOfWorkFactory(store),
        omdb=omdb,
        lock=lock,
        count=count,
        ids=list(ids) if ids is not None else [movie_id(n) for n in range(1, 21)],
        words=tuple(words),
        in_flight=in_flight,
        clock=lambda: NOW,
        sleep=sleeps,
        tail_spares=tail_spares,
    )
    return Rig(store, omdb, lock, sleeps, seeder)


def stored_movie(n: int, title: str = "Stored before") -> Movie:
    details = MovieDetails(id=movie_id(n), title=title, year=2001, type="movie")
    return Movie.stored(details, added_at=NOW)


# --- once, only into an empty catalogue ---------------------------------------------------


async def test_seed_stores_count_distinct_movies_with_full_details_and_marks_seeded() -> None:
    r = rig(count=5)

    result = await r.seeder.seed_once()

    assert result.outcome is Outcome.SEEDED
    assert result.stored == 5
    assert len(r.store.movies) == 5
    assert r.store.seeded
    assert r.store.seeded_at == NOW
    assert set(r.omdb.plots) == {"full"}
    movie = next(iter(r.store.movies.values()))
    assert movie.plot is not None
    assert movie.plot.endswith("at length.")
    assert movie.directors == ("Jane Doe",)
    assert movie.genres == ("Drama", "Crime")
    assert movie.added_at == NOW


async def test_seed_bumps_the_catalogue_version_in_its_commit() -> None:
    r = rig()
    before = r.store.version

    await r.seeder.seed_once()

    assert r.store.version > before
    assert r.store.commits == 1


async def test_second_seed_sends_omdb_nothing() -> None:
    r = rig()
    await r.seeder.seed_once()
    requests_after_first = r.omdb.requests

    result = await r.seeder.seed_once()

    assert result.outcome is Outcome.ALREADY_SEEDED
    assert r.omdb.requests == requests_after_first
    assert len(r.store.movies) == 5


async def test_seeded_but_emptied_catalogue_is_not_seeded_again() -> None:
    store = Store()
    store.seeded = True
    r = rig(store=store)

    result = await r.seeder.seed_once()

    assert result.outcome is Outcome.ALREADY_SEEDED
    assert r.omdb.requests == 0
    assert r.store.movies == {}


async def test_non_empty_catalogue_is_marked_seeded_without_asking_omdb() -> None:
    store = Store()
    store.movies[movie_id(900)] = stored_movie(900)
    r = rig(store=store)

    result = await r.seeder.seed_once()

    assert result.outcome is Outcome.NOT_EMPTY
    assert r.omdb.requests == 0
    assert r.store.seeded
    assert list(r.store.movies) == [movie_id(900)]


async def test_lock_held_elsewhere_is_busy_and_sends_omdb_nothing() -> None:
    r = rig()
    async with r.lock() as held:
        assert held
        result = await r.seeder.seed_once()

    assert result.outcome is Outcome.BUSY
    assert r.omdb.requests == 0
    assert r.store.movies == {}
    assert not r.store.seeded


async def test_run_waits_while_another_instance_seeds_then_reports_done() -> None:
    store = Store()
    lock = FakeLock()
    statuses: list[dict[str, object]] = []
    other_holds = asyncio.Event()
    other_may_finish = asyncio.Event()

    async def other_instance() -> None:
        async with lock() as held:
            assert held
            other_holds.set()
            await other_may_finish.wait()
            store.movies[movie_id(900)] = stored_movie(900, "Seeded by the other instance")
            store.seeded = True

    def after_sleep(n: int) -> None:
        statuses.append(r.seeder.status())
        if n == 2:
            other_may_finish.set()

    r = rig(store=store, lock=lock, sleeps=Sleeps(after_sleep))
    other = asyncio.create_task(other_instance())
    await other_holds.wait()

    await r.seeder.run()
    await other

    assert r.seeder.state is SeedState.DONE
    assert r.omdb.requests == 0
    assert r.sleeps.delays[:2] == [WAIT_FOR_OTHER_SECONDS] * 2
    assert statuses[0]["state"] == "running"
    assert statuses[0]["detail"] == "another instance is seeding this database"
    final = r.seeder.status()
    assert final["state"] == "done"
    assert "detail" not in final
    assert final["attempts"] == 1  # waiting on another instance is no attempt of ours
    assert list(store.movies) == [movie_id(900)]


async def test_two_seeders_on_one_database_fetch_and_store_once() -> None:
    store = Store()
    lock = FakeLock()
    omdb = FakeOmdb(records(range(1, 21)))
    first = rig(omdb, store=store, lock=lock)
    second = rig(omdb, store=store, lock=lock)

    await asyncio.gather(first.seeder.run(), second.seeder.run())

    assert first.seeder.state is SeedState.DONE
    assert second.seeder.state is SeedState.DONE
    assert len(omdb.details) == 5
    assert len(store.movies) == 5
    assert store.commits == 1


# --- atomic ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [OmdbQuotaReached("request limit reached"), RuntimeError("a bug, or the process dying")],
)
async def test_failure_mid_fetch_stores_nothing(error: Exception) -> None:
    omdb = FakeOmdb(records(range(1, 21)))
    r = rig(omdb, count=10)
    version = r.store.version

    async def last_answer_fails(requested: str) -> None:
        if requested == movie_id(10):
            for _ in range(5):  # answers after every other request did
                await asyncio.sleep(0)
            raise error

    omdb.during = last_answer_fails

    with pytest.raises(type(error)):
        await r.seeder.seed_once()

    assert r.seeder.status()["fetched"] == 9  # all but one detail was in hand when it failed
    assert r.store.movies == {}
    assert not r.store.seeded
    assert r.store.version == version
    assert r.store.commits == 0


async def test_cancelled_seed_stores_nothing_and_cancels_outstanding_requests() -> None:
    omdb = FakeOmdb(records(range(1, 21)))
    r = rig(omdb, count=10)
    started = asyncio.Event()
    never = asyncio.Event()

    async def hang(_: str) -> None:
        started.set()
        await never.wait()

    omdb.during = hang
    seed = asyncio.create_task(r.seeder.seed_once())
    await started.wait()
    seed.cancel()

    with pytest.raises(asyncio.CancelledError):
        await seed

    assert omdb.in_flight == 0
    assert r.store.movies == {}
    assert not r.store.seeded
    assert not r.lock.lock.locked()


async def test_seed_is_retried_after_an_atomic_failure_and_then_completes() -> None:
    omdb = FakeOmdb(records(range(1, 21)))
    omdb.down = OmdbInvalidKey("OMDb refused the configured API key")
    r = rig(omdb)
    with pytest.raises(OmdbInvalidKey):
        await r.seeder.seed_once()

    omdb.down = None
    result = await r.seeder.seed_once()

    assert result.outcome is Outcome.SEEDED
    assert len(r.store.movies) == 5


# --- candidates OMDb cannot serve -----------------------------------------------------------


async def test_unusable_candidates_are_replaced_by_the_next_ones() -> None:
    known = records(range(1, 21))
    known[movie_id(3)] = record(3, Type="series")
    known[movie_id(4)] = record(4, Title="N/A")  # no title: InvalidRecord
    known[movie_id(5)] = record(5, imdbID="junk")  # no valid id: InvalidRecord
    known[movie_id(6)] = record(1)  # OMDb answers with a movie already found
    del known[movie_id(2)]  # OMDb has no such id
    ids = [movie_id(n) for n in (1, 2, 3, 1, 4, 5, 6, *range(7, 21))]
    r = rig(FakeOmdb(known), count=5, ids=ids)

    result = await r.seeder.seed_once()

    assert result.stored == 5
    assert sorted(r.store.movies) == [movie_id(n) for n in (1, 7, 8, 9, 10)]
    assert {movie.type for movie in r.store.movies.values()} == {"movie"}
    assert r.omdb.details.count(movie_id(1)) == 1  # a repeated candidate is asked once
    assert movie_id(11) not in r.omdb.details  # no more requests than the seed needs


async def test_transient_failures_within_the_allowance_are_replaced() -> None:
    failures: dict[str, Exception] = {
        movie_id(1): OmdbTimeout("OMDb did not answer in time"),
        movie_id(2): OmdbUnavailable("OMDb failed (HTTP 500; 3 attempts)"),
        movie_id(3): OmdbUnavailable("OMDb failed (malformed body; 3 attempts)"),
    }
    r = rig(FakeOmdb(records(range(1, 21)), failures=failures), count=5)

    result = await r.seeder.seed_once()

    assert result.stored == 5
    assert sorted(r.store.movies) == [movie_id(n) for n in range(4, 9)]


async def test_transient_failures_beyond_the_allowance_fail_the_seed_and_store_nothing() -> None:
    failures: dict[str, Exception] = {
        movie_id(n): OmdbUnavailable(f"OMDb failed to answer id {n}") for n in range(1, 21)
    }
    r = rig(FakeOmdb(records(range(1, 21)), failures=failures), count=5)

    with pytest.raises(SeedIncomplete, match="OMDb requests failed"):
        await r.seeder.seed_once()

    assert len(r.omdb.details) < 20  # gave up early rather than trying every candidate
    assert r.store.movies == {}
    assert not r.store.seeded


async def test_failed_seed_leaves_no_task_exception_unretrieved() -> None:
    reported: list[dict[str, object]] = []
    asyncio.get_running_loop().set_exception_handler(lambda _, context: reported.append(context))
    omdb = FakeOmdb(records(range(1, 21)))
    omdb.down = OmdbUnavailable("OMDb failed (HTTP 503; 3 attempts)")
    r = rig(omdb, count=10)  # ten answers fail together; the fourth ends the seed

    with pytest.raises(SeedIncomplete):
        await r.seeder.seed_once()
    gc.collect()  # a task whose exception nobody read reports it when collected

    assert reported == []


async def test_running_out_of_candidates_fails_the_seed_and_stores_nothing() -> None:
    r = rig(FakeOmdb(records(range(1, 21))), count=5, ids=[movie_id(1), movie_id(2)])

    with pytest.raises(SeedIncomplete, match="no candidates left"):
        await r.seeder.seed_once()

    assert {query for query, _, _ in r.omdb.searched} == set(FALLBACK_WORDS)
    assert r.store.movies == {}
    assert not r.store.seeded


@pytest.mark.parametrize(
    "error",
    [OmdbInvalidKey("OMDb refused the key"), OmdbQuotaReached("request limit reached")],
)
async def test_fatal_omdb_errors_abort_the_seed_at_once(error: Exception) -> None:
    r = rig(FakeOmdb(records(range(1, 21)), failures={movie_id(1): error}), count=5)

    with pytest.raises(type(error)):
        await r.seeder.seed_once()

    assert len(r.omdb.details) == 5  # the first requests only: no replacement was asked for
    assert r.omdb.in_flight == 0
    assert r.store.movies == {}
    assert not r.store.seeded


async def test_fatal_error_from_a_search_aborts_the_seed() -> None:
    omdb = FakeOmdb(records(range(1, 21)), searches={"star": [movie_id(n) for n in range(1, 21)]})
    omdb.down = OmdbQuotaReached("request limit reached")
    r = rig(omdb, words=["star"])

    with pytest.raises(OmdbQuotaReached):
        await r.seeder.seed_once()

    assert r.store.movies == {}


# --- the search source ----------------------------------------------------------------------


async def test_search_words_replace_the_id_list() -> None:
    hits = [movie_id(n) for n in range(11, 36)]  # three pages of results
    omdb = FakeOmdb(records(range(1, 41)), searches={"star": hits})
    r = rig(omdb, count=25, ids=[movie_id(n) for n in range(1, 11)], words=["star"])

    result = await r.seeder.seed_once()

    assert result.stored == 25
    assert sorted(r.store.movies) == hits
    assert not set(omdb.details) & {movie_id(n) for n in range(1, 11)}
    assert sorted(omdb.searched) == [("star", page, "movie") for page in (1, 2, 3)]


async def test_searches_are_the_reserve_when_the_ids_run_out() -> None:
    omdb = FakeOmdb(
        records(range(1, 21)),
        searches={FALLBACK_WORDS[0]: [movie_id(n) for n in (2, 3, 11, 12, 13)]},
    )
    ids = [movie_id(n) for n in (1, 2, 3)]
    r = rig(omdb, count=5, ids=ids)

    result = await r.seeder.seed_once()

    assert result.stored == 5
    assert sorted(r.store.movies) == [movie_id(n) for n in (1, 2, 3, 11, 12)]
    assert omdb.details.count(movie_id(2)) == 1  # found by both sources, asked once
    assert omdb.searched[0] == (FALLBACK_WORDS[0], 1, "movie")


async def test_no_search_is_made_while_the_ids_suffice() -> None:
    r = rig(count=5)

    await r.seeder.seed_once()

    assert r.omdb.searched == []


# --- tail spares ----------------------------------------------------------------------------


async def test_a_straggler_at_the_end_is_raced_by_spares_and_then_cancelled() -> None:
    omdb = FakeOmdb(records(range(1, 21)))

    async def straggle(requested: str) -> None:
        if requested == movie_id(1):  # backing off between retries: answers very late
            for _ in range(1000):
                await asyncio.sleep(0)

    omdb.during = straggle
    r = rig(omdb, count=5, tail_spares=4)

    result = await r.seeder.seed_once()

    assert result.stored == 5
    assert movie_id(1) not in r.store.movies
    assert omdb.in_flight == 0  # the straggler was cancelled, not left running


async def test_spares_cost_at_most_tail_spares_extra_requests() -> None:
    omdb = FakeOmdb(records(range(1, 41)))

    async def one_by_one(requested: str) -> None:
        for _ in range(int(requested[2:])):  # film n answers after n turns of the loop
            await asyncio.sleep(0)

    omdb.during = one_by_one
    ids = [movie_id(n) for n in range(1, 41)]
    r = rig(omdb, count=20, ids=ids, tail_spares=TAIL_SPARES)

    result = await r.seeder.seed_once()

    assert result.stored == 20
    assert 20 < len(omdb.details) <= 20 + TAIL_SPARES
    assert omdb.in_flight == 0


async def test_spares_start_only_when_few_movies_are_still_needed() -> None:
    omdb = FakeOmdb(records(range(1, 41)))
    outstanding: list[int] = []

    async def look(_: str) -> None:
        outstanding.append(omdb.in_flight)

    omdb.during = look
    r = rig(omdb, count=20, ids=[movie_id(n) for n in range(1, 41)], tail_spares=4)

    await r.seeder.seed_once()

    assert outstanding[0] == 20  # one request per movie needed, no spare at first
    assert max(outstanding) == 20


async def test_no_more_requests_are_open_than_the_client_has_slots() -> None:
    """The client's timeout covers a call's wait for a slot: a seed never queues on it."""
    omdb = FakeOmdb(records(range(1, 41)))
    outstanding: list[int] = []

    async def look(_: str) -> None:
        outstanding.append(omdb.in_flight)
        await asyncio.sleep(0)

    omdb.during = look
    r = rig(omdb, count=20, ids=[movie_id(n) for n in range(1, 41)], tail_spares=4, in_flight=8)

    result = await r.seeder.seed_once()

    assert result.stored == 20
    assert max(outstanding) == 8


# --- movies added while a seed runs ---------------------------------------------------------


async def test_movies_added_during_the_seed_are_kept_and_their_ids_skipped() -> None:
    omdb = FakeOmdb(records(range(1, 21)))
    r = rig(omdb, count=5)

    async def user_adds(requested: str) -> None:
        if requested == movie_id(1):  # while the seed fetches, two adds commit
            r.store.movies[movie_id(1)] = stored_movie(1, "Added by a user")
            r.store.movies[movie_id(900)] = stored_movie(900, "Also added by a user")

    omdb.during = user_adds

    result = await r.seeder.seed_once()

    assert result.outcome is Outcome.SEEDED
    assert result.stored == 4
    assert r.store.movies[movie_id(1)].title == "Added by a user"
    assert r.store.movies[movie_id(900)].title == "Also added by a user"
    assert sorted(r.store.movies) == [*(movie_id(n) for n in range(1, 6)), movie_id(900)]
    assert r.store.seeded


# --- progress and status ---------------------------------------------------------------------


async def test_progress_is_reported_for_each_movie_up_to_the_count() -> None:
    calls: list[tuple[int, int]] = []
    known = records(range(1, 21))
    del known[movie_id(2)]
    r = rig(FakeOmdb(known), count=5)

    await r.seeder.seed_once(lambda done, total: calls.append((done, total)))

    assert calls == [(n, 5) for n in range(1, 6)]


async def test_detail_requests_overlap_rather_than_run_one_by_one() -> None:
    r = rig(count=5)

    await r.seeder.seed_once()

    assert r.omdb.peak_in_flight == 5


async def test_status_before_any_seed_is_pending_with_the_target() -> None:
    r = rig(count=7)

    assert r.seeder.status() == {"state": "pending", "target": 7, "fetched": 0, "attempts": 0}


async def test_status_shows_running_and_progress_while_fetching() -> None:
    omdb = FakeOmdb(records(range(1, 21)))
    r = rig(omdb, count=5)
    seen: list[dict[str, object]] = []

    async def look(_: str) -> None:
        seen.append(r.seeder.status())

    omdb.during = look

    await r.seeder.run()

    assert {status["state"] for status in seen} == {"running"}
    assert seen[0]["attempts"] == 1
    assert r.seeder.status() == {"state": "done", "target": 5, "fetched": 5, "attempts": 1}


async def test_status_after_a_failure_names_the_error() -> None:
    omdb = FakeOmdb(records(range(1, 21)))
    omdb.down = OmdbUnavailable("OMDb failed to answer id 'tt0000001' (HTTP 503; 3 attempts)")
    statuses: list[dict[str, object]] = []

    def look_then_recover(n: int) -> None:
        statuses.append(r.seeder.status())
        omdb.down = None

    r = rig(omdb, sleeps=Sleeps(look_then_recover))

    await r.seeder.run()

    failed = statuses[0]
    assert failed["state"] == "failed"
    assert failed["attempts"] == 1
    assert isinstance(failed["error"], str)
    assert failed["error"].startswith("SeedIncomplete: ")
    assert "HTTP 503" in failed["error"]
    assert r.seeder.status() == {"state": "done", "target": 5, "fetched": 5, "attempts": 2}


# --- run(): retries ---------------------------------------------------------------------------


async def test_run_without_an_omdb_key_fails_at_once_without_retrying() -> None:
    omdb = FakeOmdb(records(range(1, 21)))
    omdb.down = OmdbNotConfigured("No OMDb API key is configured (set MOVIES_OMDB_API_KEY)")
    r = rig(omdb)

    await r.seeder.run()

    assert r.seeder.state is SeedState.FAILED
    status = r.seeder.status()
    assert status["attempts"] == 1
    assert "MOVIES_OMDB_API_KEY" in str(status["error"])
    assert r.sleeps.delays == []
    assert r.store.movies == {}
    assert not r.store.seeded


async def test_run_backs_off_exponentially_with_jitter_capped_at_30_s_then_succeeds() -> None:
    omdb = FakeOmdb(records(range(1, 21)))
    omdb.down = OmdbUnavailable("OMDb failed (connection failed: ConnectError; 3 attempts)")
    outages = 9

    def recover_after_outage(n: int) -> None:
        assert r.seeder.state is SeedState.FAILED
        if n == outages:
            omdb.down = None

    r = rig(omdb, sleeps=Sleeps(recover_after_outage))

    await r.seeder.run()

    assert r.seeder.state is SeedState.DONE
    assert len(r.store.movies) == 5
    assert r.seeder.status()["attempts"] == outages + 1
    assert "error" not in r.seeder.status()
    delays = r.sleeps.delays
    assert len(delays) == outages
    ceilings = [min(RETRY_CAP_SECONDS, 2.0**i) for i in range(outages)]
    assert ceilings[-1] == RETRY_CAP_SECONDS == 30
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling  # exponential, jittered down by at most half
    assert any(not math.isclose(d, c) for d, c in zip(delays, ceilings, strict=True))  # jittered


async def test_run_retries_fatal_omdb_refusals_with_backoff() -> None:
    omdb = FakeOmdb(records(range(1, 21)))
    omdb.down = OmdbQuotaReached("request limit reached")

    def quota_resets(_: int) -> None:
        omdb.down = None

    r = rig(omdb, sleeps=Sleeps(quota_resets))

    await r.seeder.run()

    assert r.seeder.state is SeedState.DONE
    assert len(r.sleeps.delays) == 1


# --- refresh(): the state without a seed on start -------------------------------------------


async def test_refresh_of_a_seeded_database_is_done() -> None:
    store = Store()
    store.seeded = True
    r = rig(store=store)

    await r.seeder.refresh()

    assert r.seeder.state is SeedState.DONE
    assert r.omdb.requests == 0


async def test_refresh_of_a_non_empty_database_is_done() -> None:
    store = Store()
    store.movies[movie_id(900)] = stored_movie(900)
    r = rig(store=store)

    await r.seeder.refresh()

    assert r.seeder.state is SeedState.DONE


async def test_refresh_of_an_empty_unseeded_database_stays_pending() -> None:
    r = rig()

    await r.seeder.refresh()

    assert r.seeder.state is SeedState.PENDING
    assert r.seeder.status()["state"] == "pending"
    assert r.omdb.requests == 0
    assert not r.store.seeded


def test_a_seed_list_takes_the_id_at_the_start_of_each_line() -> None:
    text = "# a comment\ntt0133093  # The Matrix\n\n  tt0087182\nnot an id\n"
    assert ids_in(text) == ("tt0133093", "tt0087182")


def test_the_bundled_list_holds_more_ids_than_the_default_seed() -> None:
    assert len(set(bundled_ids())) > 100
