"""Fixtures shared by every test: real databases, real processes, free ports.

The suite runs in parallel (pytest-xdist), and several people may run it at once on one
machine, so every shared resource is kept apart: a PostgreSQL database per test, and a
Redis database number that one test at a time holds (see ``redis_url``).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from hypothesis import settings

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# No per-example deadline: on two busy cores an example's time says nothing about the code.
settings.register_profile("movies-api", deadline=None)
settings.load_profile("movies-api")

POSTGRES_ADMIN_URL = os.environ.get(
    "MOVIES_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("MOVIES_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# In CI every server and tool the suite uses must be there: an absence fails instead of skipping.
REQUIRE_SERVERS = os.environ.get("MOVIES_TEST_REQUIRE_SERVERS") == "1"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


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


def absent(what: str, hint: str = "") -> None:
    """Skip when a server or tool is absent, unless CI promised it (then its absence fails)."""
    if REQUIRE_SERVERS:
        pytest.fail(f"{what} is required (MOVIES_TEST_REQUIRE_SERVERS=1) but not available")
    pytest.skip(f"{what} is not available on this machine{hint}")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, for tests that show a page in a real browser."""
    if not os.access(CHROMIUM, os.X_OK):
        absent("chromium", " (apt-get install chromium)")
    return CHROMIUM


# Headless, offline: every host but 127.0.0.1 resolves to nothing, so a page that reaches
# for another host shows it as a failed request instead of waiting on the network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    """Debian's chromium driven by Playwright, one per test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


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


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database of its own, dropped afterwards."""
    if not _reachable("127.0.0.1", 5432):
        absent("PostgreSQL (127.0.0.1:5432)")
    name = f"movies_test_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test, dropped afterwards."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each integration test that takes this runs on SQLite and on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


def _redis_lock_path(url: str) -> Path:
    """One lock file per Redis server and database number, shared by every run on the machine."""
    parts = urlsplit(url)
    database = parts.path.strip("/") or "0"
    where = f"{parts.hostname or 'localhost'}-{parts.port or 6379}-{database}"
    return Path(tempfile.gettempdir()) / f"movies-api-test-redis-{where}.lock"


@contextmanager
def held_redis_database() -> Iterator[str]:
    """The Redis database of ``MOVIES_TEST_REDIS_URL``, emptied, and held until the end.

    The service's keys (cached responses, rate-limit counters) are not namespaced per test,
    so two tests sharing a database would see each other's. Whoever uses it therefore holds
    an exclusive lock on the database number meanwhile: the other xdist workers, and other
    runs on this machine that were given the same number, wait for it. People running the
    suite at once give each run its own number (``MOVIES_TEST_REDIS_URL``) and never wait
    on each other. Waiting is short: few tests use Redis.
    """
    if not _reachable("127.0.0.1", 6379):
        absent("Redis (127.0.0.1:6379)")
    import redis

    with _redis_lock_path(REDIS_URL).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, even on a crash
        client = redis.Redis.from_url(REDIS_URL)
        try:
            client.flushdb()
        finally:
            client.close()
        yield REDIS_URL


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The test's Redis database, emptied for it and held by it alone."""
    with held_redis_database() as url:
        yield url
