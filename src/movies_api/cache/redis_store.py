"""Redis as the shared store: responses grouped per catalogue version, and plain entries
(OMDb search answers) that say how long they live.

Responses of one version live in one hash, ``movies-api:response:<version>``. When an
instance sees the version move on it shortens the old hash's life to a few seconds, so
under a steady write rate Redis holds about one version's worth of responses instead of
every superseded version until its TTL runs out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from redis.asyncio import Redis

KEY_PREFIX: Final = "movies-api:response:"
LOOKUP_PREFIX: Final = "movies-api:lookup:"
TTL_SECONDS: Final = 3600
# How long a superseded version's responses stay: long enough for requests that read the
# old version a moment ago, short enough that memory stays flat under writes.
RETIRED_TTL_SECONDS: Final = 5


def _bytes(value: bytes | str | None) -> bytes | None:
    if value is None:
        return None
    return value.encode() if isinstance(value, str) else bytes(value)


class RedisResponseStore:
    """``cache.responses.SharedStore`` on a redis.asyncio client the composition root owns."""

    def __init__(self, client: Redis) -> None:
        self._client = client

    async def get(self, version: str, key: str) -> bytes | None:
        return _bytes(await self._client.hget(KEY_PREFIX + version, key))

    async def set(self, version: str, key: str, value: bytes) -> None:
        async with self._client.pipeline(transaction=False) as pipe:
            pipe.hset(KEY_PREFIX + version, key, value)
            pipe.expire(KEY_PREFIX + version, TTL_SECONDS)
            await pipe.execute()

    async def retire(self, version: str) -> None:
        await self._client.expire(KEY_PREFIX + version, RETIRED_TTL_SECONDS)


class RedisStore:
    """Plain entries with their own lifetime (``cache.lookups.ExpiringStore``)."""

    def __init__(self, client: Redis) -> None:
        self._client = client

    async def get(self, key: str) -> bytes | None:
        return _bytes(await self._client.get(LOOKUP_PREFIX + key))

    async def set(self, key: str, value: bytes, *, ttl: int = TTL_SECONDS) -> None:
        await self._client.set(LOOKUP_PREFIX + key, value, ex=ttl)
