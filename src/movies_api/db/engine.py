"""One engine per process, tuned per backend; built by the composition root, never per request."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession

from movies_api.db.urls import sqlite_file

SQLITE_BUSY_TIMEOUT_MS = 10_000


def _dumps(value: object) -> str:
    return orjson.dumps(value).decode()


def create_engine(url: URL, *, pool_size: int = 10, max_overflow: int = 10) -> AsyncEngine:
    """Create the engine; SQLite gets WAL and a busy timeout so readers never block the writer."""
    options: dict[str, Any] = {"json_serializer": _dumps, "json_deserializer": orjson.loads}
    if url.get_backend_name() == "sqlite":
        path = sqlite_file(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    else:
        # Every instance may hold pool_size + max_overflow connections: size them so that
        # instances × that stays under the database's connection limit.
        options["pool_size"] = pool_size
        options["max_overflow"] = max_overflow
        options["pool_pre_ping"] = True
    engine = create_async_engine(url, **options)
    if url.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded values after commit, since results outlive the transaction."""
    return async_sessionmaker(engine, expire_on_commit=False)
