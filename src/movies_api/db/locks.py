"""Locks that span processes and instances, and die with their holder.

PostgreSQL gets session advisory locks on a dedicated connection; SQLite, which is
only ever shared by processes on one host, gets ``flock`` on a file beside the
database. Either way a crashed holder releases the lock, so nothing waits on a lease.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text

from movies_api.db.engine import Sessions
from movies_api.db.urls import sqlite_file

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``name``, as PostgreSQL advisory locks want."""
    digest = hashlib.blake2b(f"movies_api:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@asynccontextmanager
async def exclusive(
    database: AsyncEngine | Sessions, name: str, *, wait: bool
) -> AsyncIterator[bool]:
    """Hold the lock ``name`` for the block; yields whether it was acquired.

    With ``wait`` it waits (without blocking the event loop) and always yields True. On
    SQLite, ``Sessions`` lock without building an ``AsyncEngine``.
    """
    path = sqlite_file(database.url)
    if database.url.get_backend_name() == "sqlite":
        if path is None:
            msg = "in-memory SQLite is not supported: every connection would see its own database"
            raise ValueError(msg)
        async with _file_lock(path.with_name(f"{path.name}.{name}.lock"), wait=wait) as held:
            yield held
    else:
        engine = database.engine if isinstance(database, Sessions) else database
        async with _advisory_lock(engine, advisory_key(name), wait=wait) as held:
            yield held


@asynccontextmanager
async def _file_lock(path: Path, *, wait: bool) -> AsyncIterator[bool]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if wait:
            await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
        else:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@asynccontextmanager
async def _advisory_lock(engine: AsyncEngine, key: int, *, wait: bool) -> AsyncIterator[bool]:
    async with engine.connect() as connection:
        if wait:
            await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            held = True
        else:
            result = await connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": key}
            )
            held = bool(result.scalar_one())
        await connection.commit()
        try:
            yield held
        finally:
            if held:
                await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                await connection.commit()
