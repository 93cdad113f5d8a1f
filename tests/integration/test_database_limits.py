"""Reads that cannot hold the pool hostage (issue: a million movies): a statement running
too long is cancelled, and a request finding no free connection is refused quickly —
both as ``StorageUnavailable`` (a 503), never a queue of seconds or a 500."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection

from movies_api.db.engine import Limits, create_engine, session_factory
from movies_api.db.schema import ensure_schema
from movies_api.db.unit_of_work import SqlUnitOfWork
from movies_api.db.urls import async_url
from movies_api.domain.listing import Listing
from movies_api.services.errors import StorageUnavailable

QUICK = Limits(statement_seconds=0.3, pool_wait_seconds=0.3)


async def test_a_statement_past_its_time_is_cancelled_on_postgresql(postgres_url: str) -> None:
    engine = create_engine(async_url(postgres_url), limits=QUICK)
    await ensure_schema(engine)
    sessions = session_factory(engine, QUICK)
    blocker = create_engine(async_url(postgres_url))
    try:
        async with blocker.connect() as holding:
            # Another transaction holds the table: the read waits, then hits its timeout.
            await holding.execute(text("LOCK TABLE catalogue_state IN ACCESS EXCLUSIVE MODE"))
            started = time.monotonic()
            with pytest.raises(StorageUnavailable):
                async with SqlUnitOfWork(sessions) as uow:
                    await uow.movies.listing(Listing(), limit=10)
            assert time.monotonic() - started < 30  # cancelled, not waiting for the lock
            await holding.rollback()
    finally:
        await blocker.dispose()
        await engine.dispose()


def _forever(connection: Connection) -> int:
    endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c"
    return int(connection.exec_driver_sql(endless).scalar_one())


async def test_a_statement_past_its_time_is_interrupted_on_sqlite(sqlite_url: str) -> None:
    engine = create_engine(async_url(sqlite_url))
    await ensure_schema(engine)
    sessions = session_factory(engine, QUICK)
    try:
        with pytest.raises(StorageUnavailable):
            async with SqlUnitOfWork(sessions) as uow:
                await uow._session.run(_forever)
        async with SqlUnitOfWork(sessions) as uow:  # and the connection serves again
            assert await uow.movies.count() == 0
    finally:
        sessions.close()
        await engine.dispose()


async def test_no_free_connection_is_refused_quickly(database_url: str) -> None:
    migrating = create_engine(async_url(database_url))
    await ensure_schema(migrating)  # migrating takes two connections (one holds the lock)
    await migrating.dispose()
    engine = create_engine(async_url(database_url), pool_size=1, max_overflow=0, limits=QUICK)
    sessions = session_factory(engine, QUICK)
    held: list[SqlUnitOfWork] = []
    try:
        # Hold every connection there is (SQLite: its worker slots; PostgreSQL: the pool).
        for _ in range(2 if database_url.startswith("sqlite") else 1):
            unit = SqlUnitOfWork(sessions)
            await unit.__aenter__()
            await unit.movies.count()
            held.append(unit)
        started = time.monotonic()
        with pytest.raises(StorageUnavailable):
            async with SqlUnitOfWork(sessions) as uow:
                await uow.movies.count()
        assert time.monotonic() - started < 10
    finally:
        for unit in held:
            await unit.__aexit__(None, None, None)
        await asyncio.sleep(0)
        sessions.close()
        await engine.dispose()
