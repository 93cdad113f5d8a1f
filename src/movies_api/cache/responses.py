"""Whole responses cached under the catalogue version they were built at.

A write moves the version in its own transaction, so an entry from before the write can
never match again: no invalidation messages, no TTL guesswork, and the same rule holds
across instances. The local LRU (cachetools) is checked first and is bounded in bytes as
well as entries; with Redis configured, entries are shared so one instance's work serves
all, and an instance that sees the version move tells Redis to drop the old version's
entries within seconds. Concurrent misses of one response share one build.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final, Protocol

import orjson
from cachetools import LRUCache

from movies_api.cache.version import CatalogueVersion

log = logging.getLogger("movies_api.cache")

# What an entry costs beyond its body: the key, the ETag, the tuples and dict slot.
ENTRY_OVERHEAD: Final = 400


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """A finished response: bytes as sent, with its strong ETag and any extra headers."""

    body: bytes
    etag: str
    headers: tuple[tuple[str, str], ...] = ()
    status: int = 200

    @classmethod
    def of(
        cls, body: bytes, headers: tuple[tuple[str, str], ...] = (), status: int = 200
    ) -> CachedResponse:
        """Build one, deriving the ETag from the bytes so every instance agrees on it."""
        digest = hashlib.blake2b(body, digest_size=12).hexdigest()
        return cls(body=body, etag=f'"{digest}"', headers=headers, status=status)

    def pack(self) -> bytes:
        head = orjson.dumps({"s": self.status, "e": self.etag, "h": self.headers})
        return head + b"\n" + self.body

    @classmethod
    def unpack(cls, packed: bytes) -> CachedResponse:
        head, _, body = packed.partition(b"\n")
        meta = orjson.loads(head)
        headers = tuple((str(name), str(value)) for name, value in meta["h"])
        return cls(body=body, etag=meta["e"], headers=headers, status=meta["s"])

    @property
    def size(self) -> int:
        return len(self.body) + ENTRY_OVERHEAD


class SharedStore(Protocol):
    """A cache shared by instances (Redis), entries grouped by catalogue version."""

    async def get(self, version: str, key: str) -> bytes | None: ...

    async def set(self, version: str, key: str, value: bytes) -> None: ...

    async def retire(self, version: str) -> None:
        """The entries of ``version`` will never be read again: let them go soon."""
        ...


_Entry = tuple[str, CachedResponse]


class ResponseCache:
    """Serve a response built at the current catalogue version, or build and keep one."""

    def __init__(
        self,
        version: CatalogueVersion,
        *,
        entries: int,
        max_bytes: int,
        shared: SharedStore | None = None,
    ) -> None:
        self._version = version
        self._entries = entries
        self._local: LRUCache[str, _Entry] | None = (
            LRUCache(maxsize=max_bytes, getsizeof=lambda entry: entry[1].size)
            if entries and max_bytes
            else None
        )
        self._shared = shared
        self._building: dict[tuple[str, str], asyncio.Future[CachedResponse]] = {}
        self._seen: str | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def bytes_held(self) -> int:
        """What the local entries weigh now (never above the byte bound)."""
        return int(self._local.currsize) if self._local is not None else 0

    async def get_or_build(
        self, key: str, build: Callable[[], Awaitable[CachedResponse]]
    ) -> CachedResponse:
        """The cached response for ``key`` if still current, else ``build()``'s, remembered.

        Requests missing the same entry together wait for one build.
        """
        if self._local is None:
            return await build()
        version = await self._current_version()
        hit = self._local_at(key, version)
        if hit is not None:
            return hit
        slot = (version, key)
        running = self._building.get(slot)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[CachedResponse] = asyncio.get_running_loop().create_future()
        self._building[slot] = future
        try:
            response = await self._from_shared(version, key)
            if response is None:
                response = await build()
                await self._to_shared(version, key, response)
            self._remember(key, version, response)
            future.set_result(response)
            return response
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as error:
            future.set_exception(error)
            future.exception()  # retrieved: nobody may be waiting
            raise
        finally:
            del self._building[slot]

    async def current(self, key: str) -> CachedResponse | None:
        """This instance's entry for ``key`` if built at the current version; never builds.

        Looks before it reads the version, so a key never cached costs no query.
        """
        if self._local is None or key not in self._local:
            return None
        return self._local_at(key, await self._current_version())

    async def aclose(self) -> None:
        """Let the last retirements reach the shared store."""
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _current_version(self) -> str:
        version = await self._version.current()
        if version != self._seen:
            superseded, self._seen = self._seen, version
            if superseded is not None and self._shared is not None:
                task = asyncio.create_task(self._retire(superseded))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        return version

    def _local_at(self, key: str, version: str) -> CachedResponse | None:
        hit = self._local.get(key) if self._local is not None else None
        return hit[1] if hit is not None and hit[0] == version else None

    def _remember(self, key: str, version: str, response: CachedResponse) -> None:
        local = self._local
        if local is None or response.size > local.maxsize:
            return  # larger than the whole budget: served, not kept
        local[key] = (version, response)
        while len(local) > self._entries:
            local.popitem()

    async def _from_shared(self, version: str, key: str) -> CachedResponse | None:
        if self._shared is None:
            return None
        try:
            packed = await self._shared.get(version, key)
        except Exception:  # a cache outage costs speed, never an answer
            log.warning("shared cache read failed", exc_info=True)
            return None
        return None if packed is None else CachedResponse.unpack(packed)

    async def _to_shared(self, version: str, key: str, response: CachedResponse) -> None:
        if self._shared is None:
            return
        try:
            await self._shared.set(version, key, response.pack())
        except Exception:
            log.warning("shared cache write failed", exc_info=True)

    async def _retire(self, version: str) -> None:
        assert self._shared is not None
        try:
            await self._shared.retire(version)
        except Exception:
            log.warning("shared cache retirement failed", exc_info=True)
