"""Search, filters, sorts, pages and cursors (contract §2) on real SQLite and PostgreSQL,
against the answer ``tests.reference_listing`` computes in plain Python: every listing,
walked by page and by cursor, holds the reference's movies in the reference's order, on
both backends (so the two agree with each other too).

The catalogue is the scale benchmark's generator (realistic words, people, remakes,
missing years and ratings) plus the tricky titles, stored through the repository one
batch at a time, as imports store them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace

import pytest
from benchmarks.scale import generate

from movies_api.db.engine import create_engine, session_factory
from movies_api.db.schema import ensure_schema
from movies_api.db.unit_of_work import SqlUnitOfWork
from movies_api.db.urls import async_url
from movies_api.domain.listing import SORTS
from movies_api.domain.movie import Movie, MovieDetails
from movies_api.http import listing_params
from movies_api.services.catalogue import CatalogueService
from movies_api.services.errors import InvalidCursor
from tests.conftest import fresh_postgres_database
from tests.reference_catalogue import ADDED_AT, TRICKY_MOVIES
from tests.reference_listing import Query, Reference, document_ids, split_words
from tests.unit.app_with_fakes import FakeOmdb

GENERATED = 800
BATCH = 200


@dataclass
class Catalogue:
    """A filled database, the movies in it, and the service reading it."""

    runner: asyncio.Runner
    url: str
    movies: list[Movie]
    service: CatalogueService
    sessions: object

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions)  # type: ignore[arg-type]

    def walk_by_cursor(self, query: Query, limit: int) -> tuple[list[str], int, bool]:
        listing = parse(query).listing
        page = self.runner.run(self.service.list_movies(listing, limit=limit))
        seen = document_ids(page.items)
        while page.next_cursor is not None:
            page = self.runner.run(
                self.service.list_movies(listing, limit=limit, cursor=page.next_cursor)
            )
            seen += document_ids(page.items)
        return seen, page.total, page.total_exact

    def walk_by_page(self, query: Query, limit: int) -> list[str]:
        listing = parse(query).listing
        first = self.runner.run(self.service.list_movies(listing, limit=limit, page=1))
        seen = document_ids(first.items)
        for number in range(2, (first.pages or 0) + 1):
            page = self.runner.run(self.service.list_movies(listing, limit=limit, page=number))
            seen += document_ids(page.items)
        return seen


def details_of(movie: Movie) -> MovieDetails:
    return MovieDetails(**{f.name: getattr(movie, f.name) for f in fields(MovieDetails)})


def parse(query: Query) -> listing_params.ListingRequest:
    values: dict[str, list[str]] = {}
    for name, value in query.params():
        values.setdefault(name, []).append(value)
    return listing_params.parse(values)


def _catalogue_movies() -> list[Movie]:
    generated = list(generate(GENERATED, seed=7))
    tricky = [Movie.stored(movie, added_at=ADDED_AT) for movie in TRICKY_MOVIES]
    return generated + tricky


async def _fill(url: str, movies: list[Movie]) -> tuple[CatalogueService, object]:
    engine = create_engine(async_url(url))
    await ensure_schema(engine)
    sessions = session_factory(engine)
    for start in range(0, len(movies), BATCH):
        chunk = movies[start : start + BATCH]
        async with SqlUnitOfWork(sessions) as uow:
            for movie in chunk:
                assert movie.added_at is not None
                await uow.movies.add([details_of(movie)], added_at=movie.added_at)
            await uow.commit()
    return CatalogueService(uow=lambda: SqlUnitOfWork(sessions), omdb=FakeOmdb()), sessions


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def catalogue(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Catalogue]:
    movies = _catalogue_movies()
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('listings') / 'movies.db'}"
        else:
            url = stack.enter_context(fresh_postgres_database())
        runner = stack.enter_context(asyncio.Runner())
        service, sessions = runner.run(_fill(url, movies))
        yield Catalogue(runner, url, movies, service, sessions)


def _queries(movies: list[Movie]) -> list[Query]:
    title_words = Counter(w for m in movies for w in split_words(m.title) if len(w) > 3)
    common = title_words.most_common(1)[0][0]
    two = next(m for m in movies if len(split_words(m.title)) >= 3 and m.plot)
    first, second = split_words(two.title)[:2]
    director = Counter(d for m in movies for d in m.directors).most_common(1)[0][0]
    actor = Counter(a for m in movies for a in m.actors).most_common(1)[0][0]
    plot_word = Counter(w for m in movies for w in split_words(m.plot or "")).most_common(40)[-1][0]
    return [
        Query(),
        *(Query(sort=sort) for sort in SORTS if sort != "relevance"),
        Query(q=common),
        Query(q=common[:3]),
        Query(q=f"{first} {second[:2]}"),
        Query(q=plot_word),
        Query(q=plot_word, sort="-year"),
        Query(q=common.upper(), sort="title"),
        Query(q="amelie"),
        Query(q="zzzqqqxx"),
        Query(genre=("Drama",)),
        Query(genre=("drama", "COMEDY"), sort="-rating"),
        Query(type="series", sort="-title"),
        Query(year=2001),
        Query(year_min=1990, year_max=2000, sort="year"),
        Query(year_max=1960, sort="-year"),
        Query(director=director),
        Query(director=director.upper(), year_min=2000, sort="-added"),
        Query(actor=actor, sort="added"),
        Query(rating_min=8.0, sort="rating"),
        Query(q=plot_word, genre=("Drama",), rating_min=6.0),
    ]


def test_every_listing_walked_by_cursor_is_the_reference(catalogue: Catalogue) -> None:
    reference = Reference.of(catalogue.movies)
    for query in _queries(catalogue.movies):
        expected = reference.ids(query)
        seen, total, exact = catalogue.walk_by_cursor(query, 37)
        assert seen == expected, query
        assert (total, exact) == (len(expected), True), query


def test_listings_walked_by_page_are_the_reference(catalogue: Catalogue) -> None:
    reference = Reference.of(catalogue.movies)
    queries = _queries(catalogue.movies)
    for query in (queries[0], queries[2], queries[9], queries[12], queries[18], queries[24]):
        assert catalogue.walk_by_page(query, 41) == reference.ids(query), query


def test_deep_pages_of_the_title_order_are_the_reference_slices(catalogue: Catalogue) -> None:
    order = Reference.of(catalogue.movies).ids(Query())
    listing = parse(Query()).listing
    for number in (1, 2, 50, 103, 150, 151, 200):
        page = catalogue.runner.run(catalogue.service.list_movies(listing, limit=10, page=number))
        assert document_ids(page.items) == order[(number - 1) * 10 : number * 10], number


def test_a_cursor_of_another_listing_or_a_changed_one_is_refused(catalogue: Catalogue) -> None:
    listing = parse(Query(genre=("Drama",))).listing
    page = catalogue.runner.run(catalogue.service.list_movies(listing, limit=5))
    assert page.next_cursor is not None
    other = parse(Query(genre=("Comedy",))).listing
    body, _, mac = page.next_cursor.partition(".")
    for listing_asked, cursor in (
        (other, page.next_cursor),
        (parse(Query(genre=("Drama",), sort="-year")).listing, page.next_cursor),
        (listing, f"{body}.{mac[::-1]}"),
        (listing, f"{body[:-2]}.{mac}"),
        (listing, "not a cursor"),
    ):
        with pytest.raises(InvalidCursor):
            catalogue.runner.run(
                catalogue.service.list_movies(listing_asked, limit=5, cursor=cursor)
            )


def test_a_cursor_walk_under_writes_sees_every_lasting_movie_once(catalogue: Catalogue) -> None:
    """Deletes and adds while walking: no movie twice, none that stayed missed."""
    listing = parse(Query(sort="-rating")).listing
    order = Reference.of(catalogue.movies).ids(Query(sort="-rating"))
    doomed = set(order[40:400:7])
    fresh = [
        MovieDetails(
            id=f"tt99{n:06d}", title=f"Walker {n}", year=1999, type="movie", imdb_rating=7.0
        )
        for n in range(30)
    ]

    async def step(cursor: str | None) -> tuple[list[str], str | None]:
        page = await catalogue.service.list_movies(listing, limit=25, cursor=cursor)
        return document_ids(page.items), page.next_cursor

    async def write(round_: int) -> None:
        async with catalogue.uow() as uow:
            for movie_id in list(doomed)[round_ * 3 : round_ * 3 + 3]:
                await uow.movies.delete(movie_id)
            await uow.movies.add(fresh[round_ : round_ + 1], added_at=ADDED_AT)
            await uow.commit()

    seen, cursor = catalogue.runner.run(step(None))
    round_ = 0
    while cursor is not None:
        catalogue.runner.run(write(round_ % 10))
        round_ += 1
        found, cursor = catalogue.runner.run(step(cursor))
        seen += found
    try:
        assert len(seen) == len(set(seen))
        assert set(order) - doomed <= set(seen)
    finally:

        async def restore() -> None:
            async with catalogue.uow() as uow:
                for movie in fresh:
                    await uow.movies.delete(movie.id)
                gone = [m for m in catalogue.movies if m.id in doomed]
                for movie in gone:
                    assert movie.added_at is not None
                    await uow.movies.add([details_of(movie)], added_at=movie.added_at)
                await uow.commit()

        catalogue.runner.run(restore())


def test_the_total_is_kept_not_counted_and_matches_the_table(catalogue: Catalogue) -> None:
    async def both() -> tuple[int, int]:
        async with catalogue.uow() as uow:
            kept = await uow.movies.count()
        engine = create_engine(async_url(catalogue.url))
        try:
            async with engine.connect() as connection:
                from sqlalchemy import text

                counted = (
                    await connection.execute(text("SELECT count(*) FROM movies"))
                ).scalar_one()
        finally:
            await engine.dispose()
        return kept, counted

    kept, counted = catalogue.runner.run(both())
    assert kept == counted == len(catalogue.movies)


def test_a_refresh_that_renames_a_movie_moves_it_in_every_order_and_search(
    catalogue: Catalogue,
) -> None:
    movie = catalogue.movies[5]
    renamed = replace(details_of(movie), title="Zzyzx Road Renamed", imdb_rating=9.9)

    async def refresh(details: MovieDetails) -> None:
        async with catalogue.uow() as uow:
            assert await uow.movies.replace(details, refreshed_at=ADDED_AT) is not None
            await uow.commit()

    catalogue.runner.run(refresh(renamed))
    try:
        moved = [m for m in catalogue.movies if m.id != movie.id]
        moved.append(Movie.stored(renamed, added_at=movie.added_at or ADDED_AT))
        reference = Reference.of(moved)
        for query in (
            Query(),
            Query(q="zzyzx"),
            Query(sort="-rating"),
            Query(q=split_words(movie.title)[0]),
        ):
            seen, _total, _exact = catalogue.walk_by_cursor(query, 100)
            assert seen == reference.ids(query), query
    finally:
        catalogue.runner.run(refresh(details_of(movie)))
