"""One engine per process, tuned per backend; built by the composition root, never per request.

On SQLite the service runs every unit of work on worker threads over a sync engine
(``Sessions``), so it never needs an ``AsyncEngine`` to serve: ``Sessions`` builds one on
first use only (migrations, PostgreSQL's sessions and advisory locks, the CLI), and
SQLAlchemy's asyncio extension, the ORM it imports and aiosqlite stay out of a cold start.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

import orjson
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from movies_api.db.title_anchors import StretchCache

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
    from sqlalchemy.pool import QueuePool

log = logging.getLogger("movies_api.db")
SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_WORKERS = 2  # threads (and connections) serving SQLite units of work
T = TypeVar("T")


def _dumps(value: object) -> str:
    return orjson.dumps(value).decode()


@dataclass(frozen=True, slots=True)
class Limits:
    """How long the service waits on its database before answering 503 instead.

    A statement running past ``statement_seconds`` is cancelled (PostgreSQL's
    ``statement_timeout``; SQLite's progress handler), and a request finding every
    connection busy for ``pool_wait_seconds`` is refused: a few slow reads can then never
    hold the pool hostage and queue everyone else for seconds.
    """

    statement_seconds: float = 5.0
    pool_wait_seconds: float = 2.0


def create_engine(
    url: URL, *, pool_size: int = 10, max_overflow: int = 10, limits: Limits = Limits()
) -> AsyncEngine:
    """Create the engine; SQLite gets WAL and a busy timeout so readers never block the writer."""
    from sqlalchemy.ext.asyncio import create_async_engine

    options: dict[str, Any] = {"json_serializer": _dumps, "json_deserializer": orjson.loads}
    if url.get_backend_name() == "sqlite":
        # A missing directory is never created: a typo in the path must not serve from a
        # new, empty database (movies_api.startup refuses it with the path named).
        options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    else:
        # Every instance may hold pool_size + max_overflow connections: size them so that
        # instances x that stays under the database's connection limit.
        options["pool_size"] = pool_size
        options["max_overflow"] = max_overflow
        options["pool_timeout"] = limits.pool_wait_seconds
        timeout_ms = str(int(limits.statement_seconds * 1000))
        options["connect_args"] = {"server_settings": {"statement_timeout": timeout_ms}}
    engine = create_async_engine(url, **options)
    if url.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        _ping_when_idle(engine.sync_engine, PING_AFTER_IDLE_SECONDS)
    return engine


PING_AFTER_IDLE_SECONDS = 1.0
_RETURNED = "movies_api.returned"  # connection info: when it last went back to the pool


def _ping_when_idle(engine: Engine, seconds: float) -> None:
    """Check a pooled connection before use only if it sat idle for over ``seconds``.

    SQLAlchemy's ``pool_pre_ping`` checks every checkout, and on asyncpg a check is three
    round trips (BEGIN, an empty query, ROLLBACK): more than an uncached page's own read.
    A connection the server dropped while idle (a restart, a proxy's idle limit) is found
    here and replaced, as with the pre-ping. One used within the last second that has died
    since fails its statement instead: SQLAlchemy then sees the disconnect and discards
    every connection of the pool opened before it, so only requests already running then
    get a 503 (as they would with the pre-ping).
    """

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED)
        if returned is None or time.monotonic() - returned <= seconds:
            return  # new, or recently in use
        try:
            dbapi_connection.ping()
        except Exception as error:
            raise DisconnectionError(f"connection failed its check: {error}") from error


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class _ThreadSession:
    """A sync connection whose every call runs on a worker thread, one call at a time.

    aiosqlite hands each driver call (cursor, execute, fetch, close…) to its thread and
    back, and on a small VM every hand-off costs more than the query: a page read took
    about a dozen. Here a whole repository call is one hand-off, and the connection is
    checked out inside the first one. The lock keeps calls on one session in order even
    when the awaiting task was cancelled mid-call.
    """

    def __init__(
        self, engine: Engine, executor: ThreadPoolExecutor, slot: asyncio.Semaphore
    ) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        self._executor = executor
        self._slot = slot
        self._lock = threading.Lock()

    def _locked(self, fn: Callable[..., T], *args: Any) -> T:
        with self._lock:
            if self._connection is None:
                self._connection = self._engine.connect()
            return fn(self._connection, *args)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._locked, fn, *args)

    async def commit(self) -> None:
        await self.run(Connection.commit)

    async def close(self) -> None:
        """Roll back and return the connection, without waiting for it.

        Nobody needs the outcome, so the request is not held up by one more hand-off;
        a session opened meanwhile may take a connection from the pool's headroom. A
        connection with no transaction open and no call running (what an uncached page
        leaves) has nothing to roll back: it goes back to the pool right here, which
        costs less than waking a worker thread to do it.
        """
        connection = self._connection
        if connection is not None:
            if not connection.in_transaction() and self._lock.acquire(blocking=False):
                try:
                    connection.close()
                finally:
                    self._lock.release()
            else:
                self._executor.submit(self._locked, Connection.close).add_done_callback(
                    _log_failure
                )
        self._slot.release()


def _log_failure(future: Future[None]) -> None:
    if future.exception() is not None:
        log.warning("closing an SQLite connection failed", exc_info=future.exception())


class _AsyncSession:
    """An async connection (asyncpg needs no threads): sync repository code runs in its greenlet."""

    def __init__(self, connection: AsyncConnection, slot: asyncio.Semaphore) -> None:
        self._connection = connection
        self._slot = slot

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        result: T = await self._connection.run_sync(fn, *args)
        return result

    async def commit(self) -> None:
        await self._connection.commit()

    async def close(self) -> None:
        try:
            await self._connection.close()
        finally:
            self._slot.release()


DbSession = _ThreadSession | _AsyncSession


class Sessions:
    """Opens the connections units of work run on: repository code is written once, as sync
    SQLAlchemy Core, and runs on worker threads for SQLite or in asyncpg's greenlet otherwise.

    ``build_engine`` makes the database's ``AsyncEngine``, called on first use of ``engine``.
    """

    def __init__(
        self, url: URL, build_engine: Callable[[], AsyncEngine], limits: Limits = Limits()
    ) -> None:
        self.url = url
        self._build_engine = build_engine
        self._engine: AsyncEngine | None = None
        self._limits = limits
        # What this process last read of the title order's stretches; shared by sessions.
        self.stretches = StretchCache()
        self._sync_engine = None
        self._executor: ThreadPoolExecutor | None = None
        if url.get_backend_name() == "sqlite":
            self._sync_engine = create_sync_engine(
                url.set(drivername="sqlite+pysqlite"),
                json_serializer=_dumps,
                json_deserializer=orjson.loads,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
                pool_size=SQLITE_WORKERS,
                # headroom for a connection still being returned by a cancelled session
                max_overflow=SQLITE_WORKERS,
            )
            event.listen(self._sync_engine, "connect", _sqlite_pragmas)
            _cancel_slow_statements(self._sync_engine, limits.statement_seconds)
            self._executor = ThreadPoolExecutor(SQLITE_WORKERS, thread_name_prefix="sqlite")
            # A session keeps its connection between calls: more open sessions than
            # connections would park worker threads waiting on the pool, and could starve
            # the very sessions that are to give connections back. So sessions wait here,
            # on the event loop, for a slot.
            self._slots = asyncio.Semaphore(SQLITE_WORKERS)
        else:
            # The same on PostgreSQL, with as many slots as the pool keeps connections:
            # sessions queue here in arrival order and reuse those connections. Letting
            # them reach the pool's overflow instead opened and closed connections under
            # load, and with more sessions than the process could serve, the unlucky ones
            # waited seconds (benchmarks/RESULTS.md, "Uncached reads"). The overflow is
            # left to what runs beside the sessions: locks, readiness checks, migrations.
            # (Serving PostgreSQL needs its engine anyway: it is built here, not on first use.)
            pool = cast("QueuePool", self.engine.sync_engine.pool)  # as create_engine makes it
            self._slots = asyncio.Semaphore(pool.size())

    @property
    def engine(self) -> AsyncEngine:
        """The database's ``AsyncEngine``, built on first use."""
        if self._engine is None:
            self._engine = self._build_engine()
        return self._engine

    async def run(self, fn: Callable[[Connection], T]) -> T:
        """``fn`` on a session of its own (rolled back after: for reads)."""
        session = await self.open()
        try:
            return await session.run(fn)
        finally:
            await session.close()

    async def ping(self) -> None:
        """One round trip to the database."""
        await self.run(_select_one)

    async def open(self) -> DbSession:
        """A new session, once one of the slots is free (``Limits.pool_wait_seconds`` at most)."""
        try:
            if self._slots.locked():
                await asyncio.wait_for(self._slots.acquire(), self._limits.pool_wait_seconds)
            else:
                await self._slots.acquire()  # free: taken at once, no timer needed
        except TimeoutError:
            msg = f"no database connection free within {self._limits.pool_wait_seconds:g} s"
            raise PoolTimeout(msg) from None
        if self._sync_engine is not None and self._executor is not None:
            return _ThreadSession(self._sync_engine, self._executor, self._slots)
        try:
            async_connection = await self.engine.connect().start()
        except BaseException:
            self._slots.release()
            raise
        return _AsyncSession(async_connection, self._slots)

    def close(self) -> None:
        """Release the SQLite threads and connections (no-op for other backends)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        if self._sync_engine is not None:
            self._sync_engine.dispose()

    async def aclose(self) -> None:
        """``close``, then dispose of the ``AsyncEngine`` if one was built."""
        await asyncio.to_thread(self.close)  # joins the SQLite worker threads
        if self._engine is not None:
            await self._engine.dispose()


def _select_one(connection: Connection) -> None:
    connection.execute(text("SELECT 1"))


def session_factory(engine: AsyncEngine, limits: Limits = Limits()) -> Sessions:
    """The sessions for ``engine``'s database (whoever built ``engine`` disposes of it)."""
    return Sessions(engine.url, lambda: engine, limits)


_STARTED = "movies_api.started"  # connection info: when its running statement started
_CHECK_EVERY = 10_000  # SQLite virtual-machine steps between looks at the clock


def _cancel_slow_statements(engine: Engine, seconds: float) -> None:
    """Interrupt any SQLite statement running past ``seconds`` (``OperationalError:
    interrupted``, which the unit of work answers as the database being unavailable)."""

    @event.listens_for(engine, "connect")
    def _watch(dbapi_connection: Any, record: Any) -> None:
        info = record.info

        def too_long() -> int:
            started = info.get(_STARTED)
            return int(started is not None and time.monotonic() - started > seconds)

        dbapi_connection.set_progress_handler(too_long, _CHECK_EVERY)

    @event.listens_for(engine, "before_cursor_execute")
    def _start(connection: Connection, *_args: Any) -> None:
        connection.info[_STARTED] = time.monotonic()

    @event.listens_for(engine, "after_cursor_execute")
    def _stop(connection: Connection, *_args: Any) -> None:
        connection.info.pop(_STARTED, None)
