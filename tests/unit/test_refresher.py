"""The refresher over fakes: the stalest first, ``--limit``, batches that each bump the
catalogue version once, failures that keep the old details, the stop on OMDb's quota."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from movies_api.omdb.errors import OmdbQuotaReached
from movies_api.services.bulk import BulkRun, Outcome
from movies_api.services.errors import UpstreamQuotaReached
from movies_api.services.refresher import Refresher
from tests.unit.app_with_fakes import FakeOmdb, omdb_record, stored_movie
from tests.unit.fakes import FakeUnitOfWorkFactory, Store

NOW = datetime(2025, 3, 1, tzinfo=UTC)
MONTH = timedelta(days=30)


def movie_id(n: int) -> str:
    return f"tt{n:07d}"


def catalogue(days_ago: dict[int, int]) -> Store:
    """Movie ``n`` last refreshed ``days_ago[n]`` days before NOW, added a year before."""
    store = Store()
    for n, days in days_ago.items():
        movie = stored_movie(movie_id(n), f"Film {n}", 1950 + n)
        store.movies[movie.id] = replace(
            movie, added_at=NOW - timedelta(days=365), refreshed_at=NOW - timedelta(days=days)
        )
    return store


def omdb(*numbers: int, rating: str = "9.0") -> FakeOmdb:
    return FakeOmdb(
        [omdb_record(movie_id(n), f"Film {n}", 1950 + n, imdbRating=rating) for n in numbers]
    )


def refresher(store: Store, upstream: FakeOmdb, *, batch: int = 10) -> Refresher:
    return Refresher(
        uow=FakeUnitOfWorkFactory(store),
        omdb=upstream,
        concurrency=1,  # one at a time: the order OMDb is asked in is the order of the run
        batch_size=batch,
        clock=lambda: NOW,
    )


async def run(
    store: Store, upstream: FakeOmdb, *, limit: int | None = None, batch: int = 10
) -> BulkRun:
    each = refresher(store, upstream, batch=batch)
    before = each.cutoff(MONTH)
    return await each.run(before=before, limit=limit)


async def test_movies_older_than_the_cutoff_are_refreshed_stalest_first() -> None:
    store = catalogue({1: 31, 2: 400, 3: 10, 4: 45})
    upstream = omdb(1, 2, 3, 4)

    done = await run(store, upstream)

    assert [call[1] for call in upstream.calls] == [movie_id(2), movie_id(4), movie_id(1)]
    assert [(r.line, r.input, r.outcome) for r in done.results] == [
        (1, movie_id(2), Outcome.REFRESHED),
        (2, movie_id(4), Outcome.REFRESHED),
        (3, movie_id(1), Outcome.REFRESHED),
    ]
    for n in (1, 2, 4):
        movie = store.movies[movie_id(n)]
        assert (movie.imdb_rating, movie.refreshed_at) == (9.0, NOW)
        assert movie.added_at == NOW - timedelta(days=365)
    assert store.movies[movie_id(3)].refreshed_at == NOW - timedelta(days=10)
    assert done.succeeded


async def test_the_limit_takes_the_stalest_and_count_agrees() -> None:
    store = catalogue({n: 30 + n for n in range(1, 8)})
    each = refresher(store, omdb(*range(1, 8)), batch=2)
    before = each.cutoff(MONTH)

    assert await each.count(before=before) == 7
    assert await each.count(before=before, limit=3) == 3
    done = await each.run(before=before, limit=3)

    assert [r.id for r in done.results] == [movie_id(7), movie_id(6), movie_id(5)]
    assert await each.count(before=before) == 4


async def test_each_batch_is_one_commit_bumping_the_version_once() -> None:
    store = catalogue(dict.fromkeys(range(1, 8), 31))

    await run(store, omdb(*range(1, 8)), batch=3)

    assert store.commits == 3  # 3 + 3 + 1
    assert store.version == 1 + 3


async def test_a_movie_omdb_lost_or_failed_on_keeps_its_details_and_comes_first_next_time() -> None:
    store = catalogue({1: 50, 2: 40, 3: 35})

    class Confused(FakeOmdb):
        async def get_by_id(self, imdb_id: str, *, plot: str = "full") -> dict[str, object]:
            if imdb_id == movie_id(2):
                return omdb_record(movie_id(9), "Film 9", 1959)
            return await super().get_by_id(imdb_id, plot=plot)

    upstream = Confused(omdb(3).records)  # OMDb no longer knows tt0000001
    old = dict(store.movies)

    done = await run(store, upstream)

    assert [(r.id, r.outcome) for r in done.results] == [
        (movie_id(1), Outcome.NOT_FOUND),
        (movie_id(2), Outcome.FAILED),
        (movie_id(3), Outcome.REFRESHED),
    ]
    assert store.movies[movie_id(1)] == old[movie_id(1)]
    assert store.movies[movie_id(2)] == old[movie_id(2)]
    assert not done.succeeded

    again = await run(store, omdb(1, 2, 3))
    assert [r.id for r in again.results] == [movie_id(1), movie_id(2)]


async def test_the_quota_stops_the_run_and_the_next_run_goes_on() -> None:
    store = catalogue({n: 30 + n for n in range(1, 6)})
    refused = FakeOmdb(fail_with=OmdbQuotaReached("OMDb's request limit is reached"))

    stopped = await run(store, refused)

    assert isinstance(stopped.stopped, UpstreamQuotaReached)
    assert {r.outcome for r in stopped.results} == {Outcome.NOT_TRIED}
    assert len(refused.calls) == 1
    assert all(m.refreshed_at != NOW for m in store.movies.values())

    resumed = await run(store, omdb(*range(1, 6)))
    assert resumed.counts()[Outcome.REFRESHED] == 5


async def test_nothing_due_is_an_empty_successful_run() -> None:
    store = catalogue({1: 3})

    done = await run(store, omdb(1))

    assert done.results == []
    assert done.succeeded
    assert store.commits == 0
