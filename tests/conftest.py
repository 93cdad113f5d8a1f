"""Fixtures shared by every test: real databases, real processes, free ports."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import settings

# No per-example deadline: on two busy cores an example's time says nothing about the code.
settings.register_profile("movies-api", deadline=None)
settings.load_profile("movies-api")

POSTGRES_ADMIN_URL = os.environ.get(
    "MOVIES_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("MOVIES_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRE_SERVERS = os.environ.get("MOVIES_TEST_REQUIRE_SERVERS") == "1"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _absent(what: str) -> None:
    """Skip when a server is absent, unless CI promised it (then the absence is a failure)."""
    if REQUIRE_SERVERS:
        pytest.fail(f"{what} is required (MOVIES_TEST_REQUIRE_SERVERS=1) but not reachable")
    pytest.skip(f"{what} is not running on this machine")


@pytest.fixture
def sqlite_url(tmp_path: os.PathLike[str]) -> str:
    """A fresh SQLite file URL in the test's own directory."""
    return f"sqlite:///{tmp_path}/movies.db"


def _admin(statement: str) -> None:
    """Run one statement on the admin database, from a thread of its own so that it works
    whether or not the calling test already runs an event loop."""
    import asyncio

    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


def admin_statement(statement: str) -> None:
    """Run one statement (CREATE/DROP DATABASE) on the admin database."""
    _admin(statement)


def require_postgres() -> None:
    """Skip (or, in CI, fail) when the local PostgreSQL is not there."""
    if not _reachable("127.0.0.1", 5432):
        _absent("PostgreSQL (127.0.0.1:5432)")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test, dropped afterwards."""
    require_postgres()
    name = f"movies_test_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each integration test that takes this runs on SQLite and on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def redis_url() -> str:
    """Redis database 15, emptied for this test."""
    if not _reachable("127.0.0.1", 6379):
        _absent("Redis (127.0.0.1:6379)")
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    client.close()
    return REDIS_URL
