"""Title order on real databases against the reference of contract §1: accents, case, remakes,
digits and punctuation, non-Latin scripts, ß against ss. Every page for several limits, on
SQLite and PostgreSQL, and both backends give identical pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
import pytest

from movies_api.db.engine import create_engine, session_factory
from movies_api.db.unit_of_work import SqlUnitOfWork
from movies_api.db.urls import async_url
from movies_api.domain.listing import Listing
from movies_api.services.catalogue import CatalogueService
from tests.reference_catalogue import TRICKY_MOVIES, populate, reference_order
from tests.unit.app_with_fakes import FakeOmdb

LIMITS = (1, 3, 7, 10, 100)
Pages = list[list[tuple[str, str, int | None]]]


@asynccontextmanager
async def tricky_catalogue(url: str) -> AsyncIterator[CatalogueService]:
    """The catalogue service over a database holding the tricky movies."""
    await populate(url, TRICKY_MOVIES)
    engine = create_engine(async_url(url))
    sessions = session_factory(engine)
    try:
        yield CatalogueService(uow=lambda: SqlUnitOfWork(sessions), omdb=FakeOmdb())
    finally:
        await engine.dispose()


async def all_pages(catalogue: CatalogueService, limit: int) -> Pages:
    """Every page of ``limit`` movies, and the empty one past the end."""
    first = await catalogue.list_movies(Listing(), page=1, limit=limit)
    pages: Pages = []
    for number in range(1, (first.pages or 0) + 2):
        page = await catalogue.list_movies(Listing(), page=number, limit=limit)
        movies = [orjson.loads(document) for document in page.items]
        pages.append([(m["id"], m["title"], m["year"]) for m in movies])
    return pages


@pytest.mark.parametrize("limit", LIMITS)
async def test_walking_all_pages_gives_the_reference_order_once(
    database_url: str, limit: int
) -> None:
    async with tricky_catalogue(database_url) as catalogue:
        pages = await all_pages(catalogue, limit)
    assert pages[-1] == []
    assert all(0 < len(page) <= limit for page in pages[:-1])
    walked = [movie_id for page in pages for movie_id, _title, _year in page]
    assert walked == reference_order(TRICKY_MOVIES)


async def test_sqlite_and_postgresql_give_identical_pages(
    sqlite_url: str, postgres_url: str
) -> None:
    results: dict[str, dict[int, Pages]] = {}
    for url in (sqlite_url, postgres_url):
        async with tricky_catalogue(url) as catalogue:
            results[url] = {limit: await all_pages(catalogue, limit) for limit in LIMITS}
    assert results[sqlite_url] == results[postgres_url]
