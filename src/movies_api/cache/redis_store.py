"""Redis as the shared store: responses grouped per catalogue version, and plain entries
(OMDb search answers) that say how long they live.

Responses of one version live in one hash, ``movies-api:response:<version>``. When an
instance sees the version move on it shortens the old hash's life to a few seconds, so
under a steady write rate Redis holds about one version's worth of responses instead of
every superseded version until its TTL runs out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from movies_api.cache.breaker import CircuitBreaker

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
    """``cache.responses.SharedStore`` on a redis.asyncio client the composition root owns.

    Calls go through ``breaker``: while Redis is down a read is a miss and a write is
    skipped, at once and without a log line each.
    """

    def __init__(self, client: Redis, breaker: CircuitBreaker | None = None) -> None:
        self._client = client
        self._breaker = breaker or CircuitBreaker("Redis")

    async def get(self, version: str, key: str) -> bytes | None:
        return _bytes(await self._breaker.call(lambda: self._hget(version, key), None))

    async def set(self, version: str, key: str, value: bytes) -> None:
        await self._breaker.call(lambda: self._set(version, key, value), None)

    async def retire(self, version: str) -> None:
        await self._breaker.call(
            lambda: self._client.expire(KEY_PREFIX + version, RETIRED_TTL_SECONDS), None
        )

    async def _hget(self, version: str, key: str) -> bytes | str | None:
        found: bytes | str | None = await self._client.hget(KEY_PREFIX + version, key)
        return found

    async def _set(self, version: str, key: str, value: bytes) -> None:
        async with self._client.pipeline(transaction=False) as pipe:
            pipe.hset(KEY_PREFIX + version, key, value)
            pipe.expire(KEY_PREFIX + version, TTL_SECONDS)
            await pipe.execute()


class RedisStore:
    """Plain entries with their own lifetime (``cache.lookups.ExpiringStore``), through
    ``breaker`` as ``RedisResponseStore``."""

    def __init__(self, client: Redis, breaker: CircuitBreaker | None = None) -> None:
        self._client = client
        self._breaker = breaker or CircuitBreaker("Redis")

    async def get(self, key: str) -> bytes | None:
        return _bytes(await self._breaker.call(lambda: self._client.get(LOOKUP_PREFIX + key), None))

    async def set(self, key: str, value: bytes, *, ttl: int = TTL_SECONDS) -> None:
        await self._breaker.call(lambda: self._client.set(LOOKUP_PREFIX + key, value, ex=ttl), None)
