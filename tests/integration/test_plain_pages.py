"""The uncached page's read path (issue 14) on real SQLite and PostgreSQL: a numbered page
of the plain listing in one driver statement, the same as the general listing query gives;
a session that read it still writes in a transaction; PostgreSQL sessions beyond the pool
wait for its connections; a connection dropped while idle is replaced before use."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from movies_api.db import listing_queries, plain_pages
from movies_api.db.engine import PING_AFTER_IDLE_SECONDS, Sessions, create_engine, session_factory
from movies_api.db.schema import ensure_schema
from movies_api.db.state_repository import read_state
from movies_api.db.unit_of_work import SqlUnitOfWork
from movies_api.db.urls import async_url
from movies_api.domain.listing import Listing, ListingSlice
from movies_api.domain.movie import MovieDetails
from movies_api.services.errors import StorageUnavailable
from tests.reference_catalogue import ADDED_AT, TRICKY_MOVIES


async def _open(
    url: str, *, pool_size: int = 10, max_overflow: int = 10
) -> tuple[AsyncEngine, Sessions]:
    engine = create_engine(async_url(url), pool_size=pool_size, max_overflow=max_overflow)
    await ensure_schema(engine)
    return engine, session_factory(engine)


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[Sessions]:
    engine, found = await _open(database_url)
    try:
        yield found
    finally:
        found.close()
        await engine.dispose()


async def _fill(sessions: Sessions) -> None:
    async with SqlUnitOfWork(sessions) as uow:
        await uow.movies.add(TRICKY_MOVIES, added_at=ADDED_AT)
        await uow.commit()


def _general(connection: Connection, limit: int, offset: int) -> ListingSlice:
    """The page as the general listing query reads it (deep pages and cursors still do)."""
    total = read_state(connection)[1]
    rows = listing_queries.ListingQuery(connection, Listing()).rows(limit=limit + 1, offset=offset)
    return ListingSlice(tuple(rows[:limit]), total, True, more=len(rows) > limit)


def _both(connection: Connection, limit: int, offset: int) -> tuple[ListingSlice, ListingSlice]:
    return (
        plain_pages.read(connection, limit=limit, offset=offset),
        _general(connection, limit, offset),
    )


async def test_a_plain_page_is_the_general_querys_page_positions_included(
    sessions: Sessions,
) -> None:
    await _fill(sessions)
    count = len(TRICKY_MOVIES)
    for limit in (1, 3, 10, 100):
        for offset in (0, 1, limit, count - 1, count, count + 5):
            async with SqlUnitOfWork(sessions) as uow:
                fast, general = await uow._session.run(_both, limit, offset)
            assert fast == general, (limit, offset)
            assert fast.total == count
            assert fast.more == (offset + limit < count)


async def test_a_plain_page_of_an_empty_catalogue_is_empty_with_a_total_of_zero(
    sessions: Sessions,
) -> None:
    async with SqlUnitOfWork(sessions) as uow:
        found = await uow.movies.listing(Listing(), limit=10)
    assert found == ListingSlice((), 0, True, more=False)


async def test_a_session_that_read_a_plain_page_still_writes_in_a_transaction(
    sessions: Sessions,
) -> None:
    # On PostgreSQL the page is read in autocommit: the session must be transactional again.
    await _fill(sessions)
    extra = MovieDetails(id="tt9999991", title="Not Committed", year=2001, type="movie")
    async with SqlUnitOfWork(sessions) as uow:
        assert (await uow.movies.listing(Listing(), limit=5)).items
        assert await uow.movies.add([extra], added_at=ADDED_AT) == {extra.id}
        # no commit: leaving the unit of work rolls the add back
    async with SqlUnitOfWork(sessions) as uow:
        assert await uow.movies.count() == len(TRICKY_MOVIES)
        assert not await uow.movies.stored_ids([extra.id])


def _backend(connection: Connection) -> int:
    return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


async def test_postgresql_sessions_beyond_the_pool_wait_for_its_connections(
    postgres_url: str,
) -> None:
    engine, sessions = await _open(postgres_url, pool_size=2, max_overflow=8)
    try:

        async def read() -> int:
            async with SqlUnitOfWork(sessions) as uow:
                await uow.movies.listing(Listing(), limit=10)
                pid = await uow._session.run(_backend)
                await asyncio.sleep(0.02)  # held a while, so that the sessions overlap
                return pid

        backends = await asyncio.gather(*(read() for _ in range(12)))
        # Every session was served, by the pool's two connections: none from the overflow.
        assert len(set(backends)) == 2
    finally:
        sessions.close()
        await engine.dispose()


async def _drop_connections(url: str) -> set[int]:
    """Every connection to the database but the caller's dies (a restart, a proxy's limit)."""
    admin = await asyncpg.connect(url)
    try:
        rows = await admin.fetch(
            "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await admin.close()
    return {row["pid"] for row in rows}


async def test_postgresql_connections_dropped_while_idle_are_replaced_before_use(
    postgres_url: str,
) -> None:
    engine, sessions = await _open(postgres_url)
    try:
        async with SqlUnitOfWork(sessions) as uow:
            await uow._session.run(_backend)
        dropped = await _drop_connections(postgres_url)
        assert dropped
        await asyncio.sleep(PING_AFTER_IDLE_SECONDS + 0.3)
        async with SqlUnitOfWork(sessions) as uow:  # no 503: the check found them dead
            assert (await uow.movies.listing(Listing(), limit=10)).total == 0
            assert await uow._session.run(_backend) not in dropped
    finally:
        sessions.close()
        await engine.dispose()


async def test_postgresql_connections_dropped_in_use_cost_one_503_then_all_are_replaced(
    postgres_url: str,
) -> None:
    engine, sessions = await _open(postgres_url)
    try:

        async def read() -> None:
            async with SqlUnitOfWork(sessions) as uow:
                await uow.movies.listing(Listing(), limit=10)
                await asyncio.sleep(0.02)

        await asyncio.gather(read(), read(), read())  # several connections in the pool
        assert len(await _drop_connections(postgres_url)) >= 2
        await asyncio.sleep(0.1)  # used well within the second: no check before use
        with pytest.raises(StorageUnavailable):
            await read()
        # The page read let SQLAlchemy see the disconnect: every older connection of the
        # pool is replaced, not only the one that failed.
        for _ in range(3):
            await read()
    finally:
        sessions.close()
        await engine.dispose()
