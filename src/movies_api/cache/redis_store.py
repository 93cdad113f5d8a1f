"""Redis as the shared store: response keys carry the version, so old ones just expire;
other entries (OMDb search answers) say how long they live."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis.asyncio import Redis

KEY_PREFIX = "movies-api:response:"
TTL_SECONDS = 3600


class RedisStore:
    """``SharedStore`` on a redis.asyncio client the composition root owns."""

    def __init__(self, client: Redis) -> None:
        self._client = client

    async def get(self, key: str) -> bytes | None:
        value = await self._client.get(KEY_PREFIX + key)
        if value is None:
            return None
        return value.encode() if isinstance(value, str) else bytes(value)

    async def set(self, key: str, value: bytes, *, ttl: int = TTL_SECONDS) -> None:
        await self._client.set(KEY_PREFIX + key, value, ex=ttl)
