"""What the data layer keeps beside the movies stays true through every write: the title
order's stretches (deep pages), SQLite's title-ordered search rowids (relabelled when a
gap runs out), and the state of a catalogue migrated from before any of it existed."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import orjson
import pytest
from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from movies_api.db import search_index, title_anchors
from movies_api.db.engine import create_engine, session_factory
from movies_api.db.models import UtcDateTime
from movies_api.db.schema import MIGRATIONS, ensure_schema
from movies_api.db.unit_of_work import SqlUnitOfWork
from movies_api.db.urls import async_url
from movies_api.domain.listing import Listing
from movies_api.domain.movie import Movie, MovieDetails
from movies_api.domain.titles import sort_key
from movies_api.http.listing_params import parse
from movies_api.services.catalogue import CatalogueService
from tests.reference_catalogue import ADDED_AT, TRICKY_MOVIES, reference_order
from tests.reference_listing import Query, Reference, document_ids
from tests.unit.app_with_fakes import FakeOmdb

Uow = Callable[[], SqlUnitOfWork]


def _movie(number: int, title: str, year: int | None = 2000) -> MovieDetails:
    return MovieDetails(
        id=f"tt{number:08d}", title=title, year=year, type="movie", plot="A zebra crosses."
    )


async def _pages(service: CatalogueService, limit: int) -> list[str]:
    first = await service.list_movies(Listing(), limit=limit, page=1)
    seen = document_ids(first.items)
    for number in range(2, (first.pages or 0) + 1):
        seen += document_ids((await service.list_movies(Listing(), limit=limit, page=number)).items)
    return seen


async def _stretch_sizes(url: str) -> tuple[int, int]:
    engine = create_engine(async_url(url))
    try:
        async with engine.connect() as connection:
            summed = (
                await connection.execute(text("SELECT sum(size) FROM title_anchors"))
            ).scalar()
            counted = (await connection.execute(text("SELECT count(*) FROM movies"))).scalar()
    finally:
        await engine.dispose()
    return int(summed or 0), int(counted or 0)


async def test_stretches_split_and_merge_and_deep_pages_stay_exact(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tiny stretches, so a few hundred writes split and merge them many times over.
    monkeypatch.setattr(title_anchors, "SPLIT_AT", 8)
    monkeypatch.setattr(title_anchors, "MERGE_BELOW", 2)
    engine = create_engine(async_url(database_url))
    await ensure_schema(engine)
    sessions = session_factory(engine)
    service = CatalogueService(uow=lambda: SqlUnitOfWork(sessions), omdb=FakeOmdb())
    rng = random.Random(11)
    words = ["alpha", "beta", "gamma", "delta", "omega", "zeta"]
    movies = [
        _movie(
            n, f"{rng.choice(words)} {rng.choice(words)} {n % 7}", rng.choice([None, 1990, 2000])
        )
        for n in range(1, 161)
    ]
    try:
        for movie in movies:  # one at a time: a split can follow any single add
            async with SqlUnitOfWork(sessions) as uow:
                await uow.movies.add([movie], added_at=ADDED_AT)
                await uow.commit()
        stored = [Movie.stored(m, added_at=ADDED_AT) for m in movies]
        assert await _pages(service, 3) == Reference.of(stored).ids(Query())
        assert await _stretch_sizes(database_url) == (len(movies), len(movies))

        doomed = rng.sample(movies, 120)
        for movie in doomed:
            async with SqlUnitOfWork(sessions) as uow:
                assert await uow.movies.delete(movie.id)
                await uow.commit()
        left = [m for m in stored if m.id not in {d.id for d in doomed}]
        assert await _pages(service, 3) == Reference.of(left).ids(Query())
        assert await _stretch_sizes(database_url) == (len(left), len(left))
    finally:
        sessions.close()
        await engine.dispose()


async def test_sqlite_search_order_survives_exhausted_gaps(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each title lands right after the one before and before "b": the gap halves every
    time, runs out after 32, and the rows after it are spread out again."""
    relabels = 0
    relabel = search_index._relabel_after

    def counted(connection: Connection, low: int) -> int:
        nonlocal relabels
        relabels += 1
        return relabel(connection, low)

    monkeypatch.setattr(search_index, "_relabel_after", counted)
    engine = create_engine(async_url(sqlite_url))
    await ensure_schema(engine)
    sessions = session_factory(engine)
    service = CatalogueService(uow=lambda: SqlUnitOfWork(sessions), omdb=FakeOmdb())
    movies = [_movie(1, "b")] + [_movie(n + 1, "a" * n) for n in range(1, 80)]
    try:
        for movie in movies:
            async with SqlUnitOfWork(sessions) as uow:
                await uow.movies.add([movie], added_at=ADDED_AT)
                await uow.commit()
        async with engine.connect() as connection:
            seqs = (
                (
                    await connection.execute(
                        text(
                            "SELECT s.seq FROM movies m JOIN movie_search s ON s.movie_id = m.id "
                            "ORDER BY m.title_key, m.year_key, m.id"
                        )
                    )
                )
                .scalars()
                .all()
            )
        assert seqs == sorted(seqs)
        assert len(set(seqs)) == len(movies)
        assert relabels >= 1
        stored = [Movie.stored(m, added_at=ADDED_AT) for m in movies]
        for query in (Query(q="zebra", sort="title"), Query(q="zebra"), Query(q="a")):
            listing = parse({k: [v] for k, v in query.params()}).listing
            page = await service.list_movies(listing, limit=200)
            assert document_ids(page.items) == Reference.of(stored).ids(query), query
    finally:
        sessions.close()
        await engine.dispose()


async def _search_places(url: str, batches: list[list[MovieDetails]]) -> list[tuple[str, int]]:
    """(movie id, seq) of every search row after storing ``batches``, one commit each."""
    engine = create_engine(async_url(url))
    await ensure_schema(engine)
    sessions = session_factory(engine)
    try:
        for batch in batches:
            async with SqlUnitOfWork(sessions) as uow:
                await uow.movies.add(batch, added_at=ADDED_AT)
                await uow.commit()
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT movie_id, seq FROM movie_search"))
            return sorted((str(movie_id), int(seq)) for movie_id, seq in rows)
    finally:
        sessions.close()
        await engine.dispose()


async def test_a_batch_into_an_empty_sqlite_search_index_takes_the_one_at_a_time_places(
    tmp_path: Path,
) -> None:
    """A seed stores its movies in one statement when the index is empty: they get the
    places storing them one by one, in title order, gives."""
    by_id = {movie.id: movie for movie in TRICKY_MOVIES}
    in_order = [by_id[movie_id] for movie_id in reference_order(TRICKY_MOVIES)]
    one_by_one = await _search_places(f"sqlite:///{tmp_path}/a.db", [[m] for m in in_order])
    at_once = await _search_places(f"sqlite:///{tmp_path}/b.db", [list(reversed(TRICKY_MOVIES))])
    assert at_once == one_by_one
    seqs = sorted(seq for _, seq in at_once)
    assert seqs == [search_index.SEQ_SPACING * n for n in range(1, len(TRICKY_MOVIES) + 1)]


def _alembic(connection: Connection, target: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.attributes["connection"] = connection
    command.upgrade(config, target)


async def test_a_catalogue_from_before_search_is_searchable_once_migrated(
    database_url: str,
) -> None:
    insert = text(
        "INSERT INTO movies (id, title, title_key, match_key, year, type, genres, directors,"
        " writers, actors, plot, languages, countries, ratings, imdb_rating, added_at,"
        " refreshed_at) VALUES (:id, :title, :key, :key, :year, :type, :genres, :directors,"
        " '[]', '[]', :plot, '[]', '[]', '[]', :rating, :added, :added)"
    ).bindparams(bindparam("added", type_=UtcDateTime))
    engine = create_engine(async_url(database_url))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_alembic, "0002")
            for movie in TRICKY_MOVIES:
                values = {
                    "id": movie.id,
                    "title": movie.title,
                    "key": sort_key(movie.title),
                    "year": movie.year,
                    "type": movie.type,
                    "genres": orjson.dumps(movie.genres).decode(),
                    "directors": orjson.dumps(movie.directors).decode(),
                    "plot": movie.plot,
                    "rating": movie.imdb_rating,
                    "added": ADDED_AT,
                }
                await connection.execute(insert, values)
        assert await ensure_schema(engine) is True
        sessions = session_factory(engine)
        service = CatalogueService(uow=lambda: SqlUnitOfWork(sessions), omdb=FakeOmdb())
        reference = Reference.of(
            Movie.stored(replace(m, writers=(), actors=(), ratings=()), added_at=ADDED_AT)
            for m in TRICKY_MOVIES
        )
        queries = (
            Query(),
            Query(sort="-rating"),
            Query(q="amelie"),
            Query(q="justice"),
            Query(genre=("comedy",)),
            Query(director="Jean-Pierre Jeunet"),
        )
        try:
            for query in queries:
                listing = parse({k: [v] for k, v in query.params()}).listing
                page = await service.list_movies(listing, limit=100)
                assert document_ids(page.items) == reference.ids(query), query
                assert page.total == len(reference.ids(query))
            async with SqlUnitOfWork(sessions) as uow:
                assert await uow.movies.count() == len(TRICKY_MOVIES)
        finally:
            sessions.close()
    finally:
        await engine.dispose()
