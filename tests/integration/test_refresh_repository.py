"""The data layer of lookup, import and refresh on real SQLite and PostgreSQL: migration
0002 (``refreshed_at`` backfilled with ``added_at``), which ids and titles are stored, a
refresh replacing a movie's details, and the stalest movies walked in order."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import bindparam, inspect, text
from sqlalchemy.engine import Connection

from movies_api.db.engine import create_engine, session_factory
from movies_api.db.models import UtcDateTime
from movies_api.db.schema import MIGRATIONS, SCHEMA_HEAD, current_revision, ensure_schema
from movies_api.db.unit_of_work import SqlUnitOfWork
from movies_api.db.urls import async_url
from movies_api.domain.movie import Movie, Rating
from movies_api.domain.titles import match_key
from tests.reference_catalogue import ADDED_AT, AMELIE, TRICKY_MOVIES

UnitsOfWork = Callable[[], SqlUnitOfWork]
FIRST = datetime(2020, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
SECOND = datetime(2021, 6, 7, 8, 9, 10, tzinfo=UTC)


def _alembic(connection: Connection, action: str, target: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.attributes["connection"] = connection
    (command.upgrade if action == "upgrade" else command.downgrade)(config, target)


def _movie_columns(connection: Connection) -> set[str]:
    return {column["name"] for column in inspect(connection).get_columns("movies")}


async def test_migration_0002_backfills_refreshed_at_with_added_at_and_downgrades(
    database_url: str,
) -> None:
    engine = create_engine(async_url(database_url))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_alembic, "upgrade", "0001")
            insert = text(
                "INSERT INTO movies (id, title, title_key, match_key, year, type, genres,"
                " directors, writers, actors, languages, countries, ratings, added_at)"
                " VALUES (:id, 'Film', 'film', 'film', 2000, 'movie', '[]', '[]', '[]',"
                " '[]', '[]', '[]', '[]', :added)"
            ).bindparams(bindparam("added", type_=UtcDateTime))
            for n, added in ((1, FIRST), (2, SECOND)):
                await connection.execute(insert, {"id": f"tt000000{n}", "added": added})
        assert await ensure_schema(engine) is True
        assert await current_revision(engine) == SCHEMA_HEAD

        sessions = session_factory(engine)
        try:
            async with SqlUnitOfWork(sessions) as uow:
                movies = [await uow.movies.get(f"tt000000{n}") for n in (1, 2)]
        finally:
            sessions.close()
        assert [(m.added_at, m.refreshed_at) for m in movies if m] == [
            (FIRST, FIRST),
            (SECOND, SECOND),
        ]

        async with engine.begin() as connection:
            await connection.run_sync(_alembic, "downgrade", "0001")
            assert "refreshed_at" not in await connection.run_sync(_movie_columns)
            assert (await connection.execute(text("SELECT count(*) FROM movies"))).scalar_one() == 2
        assert await ensure_schema(engine) is True  # and up again
        async with engine.connect() as connection:
            assert "refreshed_at" in await connection.run_sync(_movie_columns)
    finally:
        await engine.dispose()


@pytest.fixture
async def units(database_url: str) -> AsyncIterator[UnitsOfWork]:
    """Units of work on a migrated database holding ``TRICKY_MOVIES``."""
    engine = create_engine(async_url(database_url))
    await ensure_schema(engine)
    sessions = session_factory(engine)
    async with SqlUnitOfWork(sessions) as uow:
        await uow.movies.add(TRICKY_MOVIES, added_at=ADDED_AT)
        await uow.commit()
    try:
        yield lambda: SqlUnitOfWork(sessions)
    finally:
        sessions.close()
        await engine.dispose()


async def test_added_movies_start_with_refreshed_at_equal_to_added_at(units: UnitsOfWork) -> None:
    async with units() as uow:
        movie = await uow.movies.get(AMELIE.id)
    assert movie is not None
    assert movie.added_at == movie.refreshed_at == ADDED_AT


async def test_stored_ids_names_exactly_the_stored_ones(units: UnitsOfWork) -> None:
    async with units() as uow:
        found = await uow.movies.stored_ids(
            [AMELIE.id, "tt0087182", "tt0000001", "tt0087182", "tt9999999999"]
        )
        none = await uow.movies.stored_ids([])
    assert found == {AMELIE.id, "tt0087182"}
    assert none == set()


async def test_stored_titles_gives_the_movies_each_matching_title_has(units: UnitsOfWork) -> None:
    keys = [match_key(t) for t in ("dune", "  AMÉLIE ", "the   thing", "No Such Film", "8½")]
    async with units() as uow:
        found = await uow.movies.stored_titles([*keys, "bad\x00key"])
    shown = {key: [(m.id, m.year, m.type) for m in movies] for key, movies in found.items()}
    assert shown == {
        "dune": [
            ("tt0087182", 1984, "movie"),
            ("tt9000007", 1984, "movie"),
            ("tt1160419", 2021, "movie"),
            ("tt9000006", None, "movie"),
        ],
        "amelie": [
            ("tt9000001", 1999, "movie"),
            ("tt0211915", 2001, "movie"),
            ("tt9000003", 2001, "movie"),
            ("tt9000002", None, "movie"),
        ],
        "the thing": [("tt0084787", 1982, "movie"), ("tt0905372", 2011, "movie")],
        match_key("8½"): [("tt0056801", 1963, "movie")],
    }
    assert found["amelie"][1].title == "Amélie"
    assert found["amelie"][1].poster_url == AMELIE.poster_url


async def test_replace_overwrites_the_details_keeps_added_at_and_moves_refreshed_at(
    units: UnitsOfWork,
) -> None:
    later = ADDED_AT + timedelta(days=40, microseconds=7)
    new = replace(
        AMELIE,
        title="Le Fabuleux Destin d'Amélie Poulain",
        imdb_rating=8.4,
        imdb_votes=800_001,
        ratings=(Rating("Internet Movie Database", "8.4/10"),),
        genres=("Romance",),
    )
    async with units() as uow:
        returned = await uow.movies.replace(new, refreshed_at=later)
        await uow.commit()
    async with units() as uow:
        stored = await uow.movies.get(AMELIE.id)
        by_new_title = await uow.movies.by_match_key(match_key(new.title), year=None)
        by_old_title = await uow.movies.by_match_key(match_key("Amélie"), year=2001)

    expected = Movie.stored(new, added_at=ADDED_AT, refreshed_at=later)
    assert returned == stored == expected
    assert [m.id for m in by_new_title] == [AMELIE.id]  # the match key follows the title
    assert [m.id for m in by_old_title] == ["tt9000003"]  # "amelie" (2001) alone now


async def test_replace_of_an_id_not_stored_changes_nothing(units: UnitsOfWork) -> None:
    async with units() as uow:
        assert (
            await uow.movies.replace(replace(AMELIE, id="tt0000001"), refreshed_at=ADDED_AT) is None
        )
        await uow.commit()
        assert await uow.movies.count() == len(TRICKY_MOVIES)


async def test_stale_walks_the_stalest_first_in_keyset_pages(units: UnitsOfWork) -> None:
    # Three movies refreshed later than the rest; everything else ties on ADDED_AT (by id).
    async with units() as uow:
        for days, movie_id in ((3, "tt0087182"), (2, "tt1160419"), (1, "tt0133093")):
            details = next(m for m in TRICKY_MOVIES if m.id == movie_id)
            await uow.movies.replace(details, refreshed_at=ADDED_AT + timedelta(days=days))
        await uow.commit()
    before = ADDED_AT + timedelta(days=3)
    moved = ("tt0087182", "tt1160419", "tt0133093")
    expected = sorted(m.id for m in TRICKY_MOVIES if m.id not in moved)
    expected += ["tt0133093", "tt1160419"]  # refreshed 1 and 2 days later; Dune 1984 is not due

    walked: list[str] = []
    after = None
    async with units() as uow:
        assert await uow.movies.count_stale(before=before) == len(expected)
        while page := await uow.movies.stale(before=before, after=after, limit=7):
            walked += [movie.id for movie in page]
            last = page[-1]
            assert last.refreshed_at is not None
            after = (last.refreshed_at, last.id)
        assert await uow.movies.count_stale(before=ADDED_AT) == 0

    assert walked == expected
