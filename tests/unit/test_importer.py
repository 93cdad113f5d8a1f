"""The importer over fakes: what it asks OMDb and what it never does, batches that each bump
the catalogue version once, outcomes per line, the stop on OMDb's quota and the rerun."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from movies_api.omdb.errors import OmdbError, OmdbQuotaReached, OmdbUnavailable
from movies_api.services.bulk import BulkRun, LineResult, Outcome
from movies_api.services.errors import StorageUnavailable, UpstreamQuotaReached
from movies_api.services.import_list import read_list
from movies_api.services.importer import Importer
from tests.unit.app_with_fakes import FakeOmdb, omdb_record, store_with, stored_movie
from tests.unit.fakes import FakeUnitOfWork, FakeUnitOfWorkFactory, Store

NOW = datetime(2025, 3, 1, tzinfo=UTC)


def movie_id(n: int) -> str:
    return f"tt{n:07d}"


class CountingOmdb(FakeOmdb):
    """OMDb over numbered records: counts requests and how many are in flight, refuses with
    its quota once ``quota`` requests were made, and fails for the ``broken`` subjects."""

    def __init__(
        self, count: int = 50, *, quota: int | None = None, broken: frozenset[str] = frozenset()
    ) -> None:
        super().__init__([omdb_record(movie_id(n), f"Film {n}", 1950 + n) for n in range(1, count)])
        self.quota = quota
        self.broken = broken
        self.requests = 0
        self.in_flight = 0
        self.peak = 0

    async def get_by_id(self, imdb_id: str, *, plot: str = "full") -> dict[str, object]:
        await self._arrive(imdb_id)
        try:
            return await super().get_by_id(imdb_id, plot=plot)
        finally:
            self.in_flight -= 1

    async def get_by_title(
        self, title: str, *, year: int | None = None, type: str | None = None, plot: str = "full"
    ) -> dict[str, object]:
        await self._arrive(title)
        try:
            return await super().get_by_title(title, year=year, type=type)
        finally:
            self.in_flight -= 1

    async def _arrive(self, subject: str) -> None:
        self.requests += 1
        number = self.requests
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        await asyncio.sleep(0)  # let the other workers start theirs
        failure: OmdbError | None = None
        if self.quota is not None and number > self.quota:
            failure = OmdbQuotaReached("OMDb's request limit for the API key is reached")
        elif subject in self.broken:
            failure = OmdbUnavailable(f"OMDb failed to answer id {subject!r} (HTTP 500)")
        if failure is not None:
            self.in_flight -= 1
            raise failure


def importer(store: Store, omdb: FakeOmdb, *, concurrency: int = 4, batch: int = 10) -> Importer:
    return Importer(
        uow=FakeUnitOfWorkFactory(store),
        omdb=omdb,
        concurrency=concurrency,
        batch_size=batch,
        clock=lambda: NOW,
    )


def outcomes(run: BulkRun) -> list[tuple[int, Outcome, str | None]]:
    return [(r.line, r.outcome, r.id) for r in run.results]


def ids(*numbers: int) -> str:
    return "\n".join(movie_id(n) for n in numbers) + "\n"


async def test_ids_are_added_and_stored_ones_never_reach_omdb() -> None:
    store = store_with(stored_movie(movie_id(2), "Film 2", 1952))
    omdb = CountingOmdb()
    heard: list[LineResult] = []

    run = await importer(store, omdb).run(read_list(ids(1, 2, 3)), heard.append)

    assert outcomes(run) == [
        (1, Outcome.ADDED, movie_id(1)),
        (2, Outcome.ALREADY_STORED, movie_id(2)),
        (3, Outcome.ADDED, movie_id(3)),
    ]
    assert sorted(str(call[1]) for call in omdb.calls) == [movie_id(1), movie_id(3)]
    assert {movie_id(1), movie_id(2), movie_id(3)} <= set(store.movies)
    assert store.movies[movie_id(1)].added_at == NOW
    assert sorted(r.line for r in heard) == [1, 2, 3]
    assert run.succeeded
    assert run.stopped is None


async def test_a_title_line_is_skipped_when_a_stored_title_matches_and_year_and_type_if_given() -> (
    None
):
    store = store_with(
        stored_movie(movie_id(5), "Film 5", 1955), stored_movie(movie_id(6), "Film 6", 1956)
    )
    omdb = CountingOmdb()
    text = (
        "title,year,type\n  film   5 ,,\nFILM 5,1955,movie\nFilm 5,1999,\nFilm 6,,series\n"
        "Film 7,,\n"
    )

    run = await importer(store, omdb).run(read_list(text))

    assert [(r.line, r.outcome, r.id) for r in run.results] == [
        (2, Outcome.ALREADY_STORED, movie_id(5)),
        (3, Outcome.ALREADY_STORED, movie_id(5)),
        (4, Outcome.NOT_FOUND, None),  # no Film 5 from 1999 is stored (nor known to OMDb)
        (5, Outcome.NOT_FOUND, None),  # the stored Film 6 is a movie, not a series
        (6, Outcome.ADDED, movie_id(7)),
    ]
    assert run.results[0].detail == "Film 5 (1955)"
    assert omdb.calls == [
        ("title", "Film 5", 1999, None),
        ("title", "Film 6", None, "series"),
        ("title", "Film 7", None, None),
    ]


async def test_a_title_several_stored_movies_match_is_stored_and_names_them() -> None:
    store = store_with(
        stored_movie(movie_id(5), "Remake", 1955), stored_movie(movie_id(6), "Remake", 1999)
    )

    run = await importer(store, CountingOmdb()).run(read_list("remake\n"))

    assert run.results[0].outcome is Outcome.ALREADY_STORED
    assert run.results[0].detail == f"2 stored movies match: {movie_id(5)}, {movie_id(6)}"


async def test_a_title_omdb_resolves_to_a_stored_id_ends_already_stored() -> None:
    store = store_with(stored_movie(movie_id(7), "Film 7", 1957))
    omdb = CountingOmdb()
    omdb.records[6]["Title"] = "Seventh Film"  # OMDb spells it differently now

    run = await importer(store, omdb).run(read_list("Seventh Film\n"))

    assert outcomes(run) == [(1, Outcome.ALREADY_STORED, movie_id(7))]
    assert store.movies[movie_id(7)].title == "Film 7"


async def test_each_batch_is_one_commit_bumping_the_version_once() -> None:
    store = Store()
    omdb = CountingOmdb(60)

    run = await importer(store, omdb, batch=10).run(read_list(ids(*range(1, 26))))

    assert run.counts()[Outcome.ADDED] == 25
    assert store.commits == 3  # 10 + 10 + 5
    assert store.version == 1 + 3


async def test_a_batch_with_nothing_new_writes_nothing() -> None:
    store = store_with(stored_movie(movie_id(9), "Film 9", 1959))

    run = await importer(store, CountingOmdb()).run(read_list("Film Nine Alias\n"))

    assert run.results[0].outcome is Outcome.NOT_FOUND
    assert (store.commits, store.version) == (0, 1)


async def test_requests_in_flight_never_exceed_the_concurrency() -> None:
    omdb = CountingOmdb(60)

    await importer(Store(), omdb, concurrency=3).run(read_list(ids(*range(1, 41))))

    assert omdb.peak == 3


async def test_not_found_failed_and_unreadable_lines_make_the_run_unsuccessful() -> None:
    omdb = CountingOmdb(broken=frozenset({movie_id(4)}))
    text = ids(1) + "No Such Film\n" + ids(4) + "x" * 400 + "\n"

    run = await importer(Store(), omdb).run(read_list(text))

    assert [(r.line, r.outcome) for r in run.results] == [
        (1, Outcome.ADDED),
        (2, Outcome.NOT_FOUND),
        (3, Outcome.FAILED),
        (4, Outcome.FAILED),
    ]
    assert "HTTP 500" in (run.results[2].detail or "")
    assert "300" in (run.results[3].detail or "")
    assert not run.succeeded


async def test_repeated_lines_are_asked_once() -> None:
    omdb = CountingOmdb()
    text = ids(1) + "Film 2\n" + ids(1) + "  film 2\nNo Such Film\nno such film\n"

    run = await importer(Store(), omdb).run(read_list(text))

    assert [(r.line, r.outcome) for r in run.results] == [
        (1, Outcome.ADDED),
        (2, Outcome.ADDED),
        (3, Outcome.DUPLICATE),
        (4, Outcome.DUPLICATE),
        (5, Outcome.NOT_FOUND),
        (6, Outcome.NOT_FOUND),
    ]
    assert run.results[2].id == movie_id(1)
    assert run.results[5].detail is not None
    assert run.results[5].detail.startswith("as line 5")
    assert omdb.requests == 3


async def test_two_lines_naming_one_movie_add_it_once() -> None:
    store = Store()

    run = await importer(store, CountingOmdb()).run(read_list(ids(3) + "Film 3\n"))

    assert sorted(r.outcome for r in run.results) == [Outcome.ADDED, Outcome.ALREADY_STORED]
    assert list(store.movies) == [movie_id(3)]


async def test_the_quota_stops_the_run_and_a_rerun_completes_it() -> None:
    store = Store()
    omdb = CountingOmdb(60, quota=12)
    wanted = read_list(ids(*range(1, 31)))

    first = await importer(store, omdb, concurrency=2, batch=5).run(wanted)

    assert isinstance(first.stopped, UpstreamQuotaReached)
    counts = first.counts()
    assert counts[Outcome.ADDED] == len(store.movies) == 12
    assert counts[Outcome.NOT_TRIED] == 18
    assert omdb.requests <= 12 + 2  # the refusals of the requests already on the wire
    assert not first.succeeded

    omdb.quota = None
    omdb.requests = 0
    second = await importer(store, omdb, concurrency=2, batch=5).run(wanted)

    assert second.succeeded
    assert second.counts()[Outcome.ALREADY_STORED] == 12
    assert second.counts()[Outcome.ADDED] == 18
    assert omdb.requests == 18
    assert len(store.movies) == 30


async def test_stored_lines_after_a_quota_stop_still_say_stored() -> None:
    store = store_with(stored_movie(movie_id(40), "Film 40", 1990))
    omdb = CountingOmdb(60, quota=0)

    run = await importer(store, omdb, concurrency=1, batch=2).run(read_list(ids(1, 2, 3, 4, 40)))

    assert run.results[-1].outcome is Outcome.ALREADY_STORED
    assert {r.outcome for r in run.results[:-1]} == {Outcome.NOT_TRIED}


async def test_a_dry_run_asks_omdb_nothing_and_writes_nothing() -> None:
    store = store_with(stored_movie(movie_id(2), "Film 2", 1952))
    omdb = CountingOmdb()
    text = ids(1, 2) + "Film 3\n" + ids(1)

    run = await importer(store, omdb).dry_run(read_list(text))

    assert [(r.line, r.outcome) for r in run.results] == [
        (1, Outcome.WOULD_ASK),
        (2, Outcome.ALREADY_STORED),
        (3, Outcome.WOULD_ASK),
        (4, Outcome.DUPLICATE),
    ]
    assert omdb.requests == 0
    assert (store.commits, store.version) == (0, 1)


async def test_a_dry_run_without_a_catalogue_reads_no_database() -> None:
    class NoDatabase(FakeUnitOfWorkFactory):
        def __call__(self) -> FakeUnitOfWork:
            raise AssertionError("the database was read")

    dry = Importer(uow=NoDatabase(), omdb=CountingOmdb(), concurrency=1)

    run = await dry.dry_run(read_list(ids(1, 2)), catalogue_exists=False)

    assert [r.outcome for r in run.results] == [Outcome.WOULD_ASK, Outcome.WOULD_ASK]


async def test_a_database_outage_while_committing_stops_the_run() -> None:
    class FailingCommits(FakeUnitOfWork):
        async def commit(self) -> None:
            raise StorageUnavailable("the database is unavailable")

    class Factory(FakeUnitOfWorkFactory):
        def __call__(self) -> FakeUnitOfWork:
            return FailingCommits(self.store)

    omdb = CountingOmdb()
    run = await Importer(uow=Factory(), omdb=omdb, concurrency=2, batch_size=2).run(
        read_list(ids(1, 2, 3, 4, 5))
    )

    assert isinstance(run.stopped, StorageUnavailable)
    assert Outcome.ADDED not in run.counts()
    assert len(run.results) == 5


async def test_not_tried_lines_say_why() -> None:
    omdb = FakeOmdb(fail_with=OmdbQuotaReached("OMDb's request limit is reached"))

    run = await importer(Store(), omdb).run(read_list(ids(1)))

    assert run.results[0].outcome is Outcome.NOT_TRIED
    assert run.results[0].detail == "OMDb's request limit is reached"
