"""The catalogue version, read from the database at most once per burst of requests.

A cached page may be served only if it was built at the current version, and the
version must be read after the request arrived (a write finished before then must be
seen). Reading it once per request would cost a query each; instead requests that
arrive while a read is in flight queue for the *next* read, so under load one query
answers a whole burst and every answer is still fresh.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class CatalogueVersion:
    """Single-flight reader: at most one read running and one queued, shared by all waiters."""

    def __init__(self, read: Callable[[], Awaitable[str]]) -> None:
        self._read = read
        self._running = asyncio.Lock()
        self._queued: asyncio.Future[str] | None = None
        self._tasks: set[asyncio.Task[None]] = set()  # strong references until done

    async def current(self) -> str:
        """A version read that started after this call did."""
        queued = self._queued
        if queued is None:
            queued = self._queued = asyncio.get_running_loop().create_future()
            task = asyncio.create_task(self._run(queued))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await asyncio.shield(queued)

    async def _run(self, queued: asyncio.Future[str]) -> None:
        async with self._running:
            self._queued = None  # callers from now on need a read that starts after them
            try:
                queued.set_result(await self._read())
            except asyncio.CancelledError:
                queued.cancel()
                raise
            except Exception as error:
                queued.set_exception(error)
                queued.exception()  # mark it retrieved: every waiter may have gone away
