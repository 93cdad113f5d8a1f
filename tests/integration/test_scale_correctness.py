"""The scale benchmark's correctness checks at 12,000 movies (the benchmark itself runs at a
million, by hand; 12,000 make two dozen title-order stretches and a search matching more
than the 10,000 a count stops at): the bulk loader's catalogue reads exactly as the Python
reference says — deep pages through the title order's stretches, whole cursor walks,
capped counts — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from benchmarks import scale
from sqlalchemy import text

from movies_api.db.engine import create_engine, session_factory
from movies_api.db.unit_of_work import SqlUnitOfWork
from movies_api.db.urls import async_url
from movies_api.domain.movie import Movie
from movies_api.http.listing_params import parse
from movies_api.services.catalogue import CatalogueService, Page
from tests.conftest import fresh_postgres_database
from tests.reference_listing import Query, Reference, document_ids
from tests.unit.app_with_fakes import FakeOmdb

COUNT = 12_000


@pytest.fixture(scope="module")
def movies() -> list[Movie]:
    return list(scale.generate(COUNT))


@pytest.fixture(scope="module")
def reference(movies: list[Movie]) -> Reference:
    """One reference for both backends: its listings of 12,000 movies take seconds."""
    return Reference.of(movies)


@dataclass
class Loaded:
    runner: asyncio.Runner
    url: str
    service: CatalogueService
    reference: Reference

    def page(self, query: Query, **asked: object) -> Page:
        listing = parse({k: [v] for k, v in query.params()}).listing
        return self.runner.run(self.service.list_movies(listing, **asked))  # type: ignore[arg-type]

    def walk(self, query: Query, limit: int, stop_after: int | None = None) -> list[str]:
        page = self.page(query, limit=limit)
        seen = document_ids(page.items)
        while page.next_cursor and (stop_after is None or len(seen) < stop_after):
            page = self.page(query, limit=limit, cursor=page.next_cursor)
            seen += document_ids(page.items)
        return seen


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def loaded(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    reference: Reference,
) -> Iterator[Loaded]:
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('scale') / 'movies.db'}"
        else:
            url = stack.enter_context(fresh_postgres_database())
        runner = stack.enter_context(asyncio.Runner())
        runner.run(scale.load(url, COUNT))
        engine = create_engine(async_url(url))
        stack.callback(lambda: runner.run(engine.dispose()))
        sessions = session_factory(engine)
        stack.callback(sessions.close)
        service = CatalogueService(uow=lambda: SqlUnitOfWork(sessions), omdb=FakeOmdb())
        yield Loaded(runner, url, service, reference)


def test_the_kept_total_is_the_table_count(loaded: Loaded) -> None:
    async def counted() -> int:
        engine = create_engine(async_url(loaded.url))
        try:
            async with engine.connect() as connection:
                return int(
                    (await connection.execute(text("SELECT count(*) FROM movies"))).scalar_one()
                )
        finally:
            await engine.dispose()

    page = loaded.page(Query(), limit=10)
    assert (page.total, page.total_exact, page.pages) == (COUNT, True, COUNT // 10)
    assert loaded.runner.run(counted()) == COUNT


def test_any_page_at_any_depth_is_the_reference_slice(loaded: Loaded) -> None:
    order = loaded.reference.ids(Query())
    for number in (1, 2, 77, 600, 601, 1199, 1200):
        page = loaded.page(Query(), limit=10, page=number)
        assert document_ids(page.items) == order[(number - 1) * 10 : number * 10], number
    deep = loaded.page(Query(sort="-title"), limit=25, page=400)
    assert document_ids(deep.items) == loaded.reference.ids(Query(sort="-title"))[9_975:10_000]


def test_walking_every_cursor_is_the_reference_order(loaded: Loaded) -> None:
    assert loaded.walk(Query(), 100) == loaded.reference.ids(Query())


def test_a_common_word_walks_in_relevance_order(loaded: Loaded) -> None:
    query = Query(q="love")
    assert loaded.walk(query, 100, stop_after=3000) == loaded.reference.ids(query)[:3000]


def test_a_filter_and_a_descending_sort_walk_like_the_reference(loaded: Loaded) -> None:
    query = Query(genre=("Drama",), sort="-rating")
    assert loaded.walk(query, 100, stop_after=2000) == loaded.reference.ids(query)[:2000]


def test_counting_stops_past_ten_thousand_matches(loaded: Loaded) -> None:
    query = Query(q="a")
    matching = len(loaded.reference.ids(query))
    assert matching > 10_000
    page = loaded.page(query, limit=50)
    assert (page.total, page.total_exact, page.pages) == (10_000, False, 200)
    assert document_ids(page.items) == loaded.reference.ids(query)[:50]
