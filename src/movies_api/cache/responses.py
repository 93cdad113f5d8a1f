"""Whole responses cached under the catalogue version they were built at.

A write bumps the version in its own transaction, so an entry from before the write
can never match again: no invalidation messages, no TTL guesswork, and the same rule
holds across instances. The local LRU (cachetools) is checked first; with Redis
configured, entries are shared so one instance's work serves all.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

import orjson
from cachetools import LRUCache

from movies_api.cache.version import CatalogueVersion

log = logging.getLogger("movies_api.cache")


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


class SharedStore(Protocol):
    """A cache shared by instances (Redis); failures must not fail a read."""

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes) -> None: ...


class ResponseCache:
    """Serve a response built at the current catalogue version, or build and keep one."""

    def __init__(
        self, version: CatalogueVersion, *, entries: int, shared: SharedStore | None = None
    ) -> None:
        self._version = version
        self._local: LRUCache[str, tuple[str, CachedResponse]] | None = (
            LRUCache(maxsize=entries) if entries else None
        )
        self._shared = shared

    async def get_or_build(
        self, key: str, build: Callable[[], Awaitable[CachedResponse]]
    ) -> CachedResponse:
        """The cached response for ``key`` if still current, else ``build()``'s, remembered."""
        if self._local is None:
            return await build()
        version = await self._version.current()
        hit = self._local_at(key, version)
        if hit is not None:
            return hit
        response = await self._from_shared(version, key)
        if response is None:
            response = await build()
            await self._to_shared(version, key, response)
        self._local[key] = (version, response)
        return response

    async def current(self, key: str) -> CachedResponse | None:
        """This instance's entry for ``key`` if built at the current version; never builds.

        Looks before it reads the version, so a key never cached costs no query.
        """
        if self._local is None or key not in self._local:
            return None
        return self._local_at(key, await self._version.current())

    def _local_at(self, key: str, version: str) -> CachedResponse | None:
        hit = self._local.get(key) if self._local is not None else None
        return hit[1] if hit is not None and hit[0] == version else None

    async def _from_shared(self, version: str, key: str) -> CachedResponse | None:
        if self._shared is None:
            return None
        try:
            packed = await self._shared.get(f"{version}:{key}")
        except Exception:  # a cache outage costs speed, never an answer
            log.warning("shared cache read failed", exc_info=True)
            return None
        return None if packed is None else CachedResponse.unpack(packed)

    async def _to_shared(self, version: str, key: str, response: CachedResponse) -> None:
        if self._shared is None:
            return
        try:
            await self._shared.set(f"{version}:{key}", response.pack())
        except Exception:
            log.warning("shared cache write failed", exc_info=True)
