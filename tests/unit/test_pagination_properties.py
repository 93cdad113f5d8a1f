"""Pagination properties (contract §2) for any catalogue, page and limit: pages hold at most
``limit`` movies in title order, their links agree with each other, and walking them yields
the catalogue exactly once. Fast over fakes; a smaller run checks real SQLite's ORDER BY."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from movies_api.db.engine import create_engine, session_factory
from movies_api.db.schema import ensure_schema
from movies_api.db.unit_of_work import SqlUnitOfWork
from movies_api.db.urls import async_url
from movies_api.domain.listing import Listing
from movies_api.domain.movie import MovieDetails
from movies_api.http.listing_params import page_link
from movies_api.http.representation import link_header, page_links
from movies_api.services.catalogue import CatalogueService, Page
from tests.reference_catalogue import ADDED_AT, TRICKY_MOVIES, reference_order, stored
from tests.reference_listing import document_ids
from tests.unit.app_with_fakes import FakeOmdb
from tests.unit.fakes import FakeUnitOfWorkFactory, Store

PLAIN = Listing()
TRICKY_TITLES = sorted({movie.title for movie in TRICKY_MOVIES})
# Any text a title could hold: every script, combining marks, compatibility forms, emoji;
# not NUL or lone surrogates, which no database stores as text.
titles = st.one_of(
    st.sampled_from(TRICKY_TITLES),
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=12),
)
years = st.one_of(st.none(), st.sampled_from([1984, 1999, 2021]), st.integers(1888, 2030))


@st.composite
def catalogues(draw: st.DrawFn, max_size: int = 40) -> list[MovieDetails]:
    numbers = draw(st.sets(st.integers(1_000_000, 99_999_999), max_size=max_size))
    return [
        MovieDetails(id=f"tt{number:07d}", title=draw(titles), year=draw(years), type="movie")
        for number in sorted(numbers)
    ]


pages = st.integers(min_value=1, max_value=60)
limits = st.integers(min_value=1, max_value=100)


def service_over(movies: Sequence[MovieDetails]) -> CatalogueService:
    store = Store()
    store.movies = {movie.id: movie for movie in stored(movies)}
    return CatalogueService(uow=FakeUnitOfWorkFactory(store), omdb=FakeOmdb())


def assert_links_consistent(page: Page) -> None:
    assert page.page is not None
    assert page.pages is not None
    links = page_links(page, page_link(PLAIN, page.page, page.limit))
    last = page.pages
    assert links["self"] == page_link(PLAIN, page.page, page.limit)
    assert links["first"] == page_link(PLAIN, 1, page.limit)
    if last == 0:
        assert links["prev"] is None
        assert links["last"] is None
    else:
        assert links["last"] == page_link(PLAIN, last, page.limit)
        if page.page == 1:
            assert links["prev"] is None
        elif page.page > last:
            assert links["prev"] == links["last"]
        else:
            assert links["prev"] == page_link(PLAIN, page.page - 1, page.limit)
    if page.page < last:
        assert links["next"] == page_link(PLAIN, page.page + 1, page.limit)
    else:
        assert links["next"] is None
    header = link_header(links)
    for rel, url in links.items():
        assert (f'<{url}>; rel="{rel}"' in header) == (url is not None)


def assert_page_is_the_reference_slice(page: Page, movies: Sequence[MovieDetails]) -> None:
    order = reference_order(movies)
    assert page.page is not None
    start = (page.page - 1) * page.limit
    assert len(page.items) <= page.limit
    assert document_ids(page.items) == order[start : start + page.limit]
    assert page.total == len(movies)
    assert page.pages == -(-len(movies) // page.limit)


async def walk(catalogue: CatalogueService, limit: int) -> tuple[list[str], int]:
    first = await catalogue.list_movies(PLAIN, page=1, limit=limit)
    walked = document_ids(first.items)
    assert first.pages is not None
    for number in range(2, first.pages + 1):
        following = await catalogue.list_movies(PLAIN, page=number, limit=limit)
        walked.extend(document_ids(following.items))
    return walked, first.pages


@given(catalogues(), pages, limits)
def test_any_page_is_the_reference_slice_with_consistent_links(
    movies: list[MovieDetails], number: int, limit: int
) -> None:
    page = asyncio.run(service_over(movies).list_movies(PLAIN, page=number, limit=limit))
    assert_page_is_the_reference_slice(page, movies)
    assert_links_consistent(page)


@given(catalogues(), limits)
def test_walking_the_pages_yields_the_catalogue_exactly_once(
    movies: list[MovieDetails], limit: int
) -> None:
    walked, _ = asyncio.run(walk(service_over(movies), limit))
    assert walked == reference_order(movies)
    assert len(set(walked)) == len(movies)


@given(st.integers(0, 300), pages, limits)
def test_links_follow_the_contract_for_any_total(total: int, number: int, limit: int) -> None:
    page = Page(
        PLAIN, (), limit=limit, total=total, total_exact=True, page=number, next_cursor=None
    )
    assert_links_consistent(page)


# --- the same properties against real SQLite, with fewer examples -----------------------


class SqliteCatalogue:
    """One SQLite database for the whole module, refilled for each example."""

    def __init__(self, path: Path) -> None:
        self.runner = asyncio.Runner()
        self.engine: AsyncEngine = create_engine(async_url(f"sqlite:///{path}"))
        self.runner.run(ensure_schema(self.engine))
        self.sessions = session_factory(self.engine)
        self.catalogue = CatalogueService(uow=self.uow, omdb=FakeOmdb())
        self.stored: list[str] = []

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions)

    def refill(self, movies: Sequence[MovieDetails]) -> None:
        async def run() -> None:
            async with self.uow() as uow:
                for movie_id in self.stored:
                    await uow.movies.delete(movie_id)
                await uow.movies.add(movies, added_at=ADDED_AT)
                await uow.commit()
            self.stored = [movie.id for movie in movies]

        self.runner.run(run())

    def close(self) -> None:
        self.runner.run(self.engine.dispose())
        self.runner.close()


@pytest.fixture(scope="module")
def sqlite_catalogue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteCatalogue]:
    database = SqliteCatalogue(tmp_path_factory.mktemp("pagination") / "movies.db")
    try:
        yield database
    finally:
        database.close()


on_sqlite = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@on_sqlite
@given(catalogues(max_size=25), pages, st.integers(1, 30))
def test_on_sqlite_any_page_is_the_reference_slice(
    sqlite_catalogue: SqliteCatalogue, movies: list[MovieDetails], number: int, limit: int
) -> None:
    sqlite_catalogue.refill(movies)
    page = sqlite_catalogue.runner.run(
        sqlite_catalogue.catalogue.list_movies(PLAIN, page=number, limit=limit)
    )
    assert_page_is_the_reference_slice(page, movies)
    assert_links_consistent(page)


@on_sqlite
@given(catalogues(max_size=25), st.integers(1, 10))
def test_on_sqlite_walking_the_pages_yields_the_catalogue_exactly_once(
    sqlite_catalogue: SqliteCatalogue, movies: list[MovieDetails], limit: int
) -> None:
    sqlite_catalogue.refill(movies)
    walked, _ = sqlite_catalogue.runner.run(walk(sqlite_catalogue.catalogue, limit))
    assert walked == reference_order(movies)
