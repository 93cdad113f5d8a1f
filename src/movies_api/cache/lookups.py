"""The lookup cache: OMDb's search answers kept for a fixed time, in process or in Redis.

Unlike responses, these answers do not depend on the catalogue (the ``stored`` flags are
computed per answer), so a plain expiry is right here and no version is involved.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from cachetools import TTLCache

log = logging.getLogger("movies_api.cache")


class ExpiringStore(Protocol):
    """A shared store whose entries expire (``cache.redis_store.RedisStore``)."""

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, *, ttl: int) -> None: ...


class LookupCache:
    """``services.ports.LookupCache``: ``seconds`` of reuse; 0 keeps nothing.

    With a shared store every instance reuses the others' answers; its failures cost an
    OMDb request, never an answer.
    """

    def __init__(
        self,
        seconds: int,
        *,
        entries: int = 1024,
        shared: ExpiringStore | None = None,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._seconds = seconds
        self._shared = shared
        self._local: TTLCache[str, bytes] | None = (
            TTLCache(maxsize=entries, ttl=seconds, timer=timer)
            if seconds and shared is None
            else None
        )

    async def get(self, key: str) -> bytes | None:
        if self._shared is not None and self._seconds:
            try:
                return await self._shared.get(key)
            except Exception:
                log.warning("lookup cache read failed", exc_info=True)
                return None
        return self._local.get(key) if self._local is not None else None

    async def set(self, key: str, value: bytes) -> None:
        if self._shared is not None and self._seconds:
            try:
                await self._shared.set(key, value, ttl=self._seconds)
            except Exception:
                log.warning("lookup cache write failed", exc_info=True)
        elif self._local is not None:
            self._local[key] = value
