"""Per-client rate limits (adding movies, searching OMDb), counted with the ``limits`` library:
in process by default, shared by every instance through Redis when it is configured."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from movies_api.cache.breaker import CircuitBreaker
from movies_api.services.ports import StoredKey
from movies_api.settings import RateLimit

if TYPE_CHECKING:
    from fastapi import Request
    from limits import RateLimitItem
    from limits.aio.strategies import MovingWindowRateLimiter
    from redis.asyncio import ConnectionPool


def last_forwarded_for(lines: list[str]) -> str | None:
    """The last entry of ``X-Forwarded-For``, all its header lines read as one list.

    Cloud Run's front end appends the address it saw to the last line; every entry before
    it, on that line or an earlier one, is whatever the client chose to send (contract §2).
    """
    last = ",".join(lines).rsplit(",", 1)[-1].strip()
    return last or None


class RateLimiter:
    """Counts every request that reaches it, whatever its outcome (contract §2).

    Each limit has its own ``namespace``, so one client's adds and searches are counted
    apart; ``what`` names the requests in the 429's detail.
    """

    def __init__(
        self,
        limit: RateLimit,
        *,
        redis_url: str | None,
        trust_forwarded_for: bool,
        redis_pool: ConnectionPool | None = None,
        breaker: CircuitBreaker | None = None,
        namespace: str = "add",
        what: str = "add requests",
    ) -> None:
        # Shared with the Redis cache when the composition root passes one: a Redis outage
        # is then noticed once, and every user of Redis skips it together.
        self._breaker = breaker or CircuitBreaker(f"the {namespace} rate limiter's store")
        self._limit = limit
        self._namespace = f"movies-api-{namespace}"
        self._what = what
        self._redis_url = redis_url
        self._redis_pool = redis_pool  # the cache's pool, so closing the cache closes ours
        self._trust_forwarded_for = trust_forwarded_for
        self._built: tuple[MovingWindowRateLimiter, RateLimitItem] | None = None

    def _limiter(self) -> tuple[MovingWindowRateLimiter, RateLimitItem]:
        """Built on first use: importing ``limits`` at start would slow every cold start."""
        if self._built is None:
            from limits import RateLimitItemPerHour, RateLimitItemPerMinute, RateLimitItemPerSecond
            from limits.aio.storage import MemoryStorage, RedisStorage, Storage
            from limits.aio.strategies import MovingWindowRateLimiter

            item_type = {
                "second": RateLimitItemPerSecond,
                "minute": RateLimitItemPerMinute,
                "hour": RateLimitItemPerHour,
            }[self._limit.period]
            storage: Storage = (
                # redis-py is what the project installs; limits defaults to coredis.
                RedisStorage(
                    self._redis_url.replace("redis", "async+redis", 1),
                    implementation="redispy",
                    **({"connection_pool": self._redis_pool} if self._redis_pool else {}),  # type: ignore[arg-type]
                )
                if self._redis_url
                else MemoryStorage()
            )
            item = item_type(self._limit.amount, namespace=self._namespace)
            self._built = (MovingWindowRateLimiter(storage), item)
        return self._built

    def client_of(self, request: Request, key: StoredKey | None = None) -> str:
        """The client: its API key when it sends a valid one, else its address.

        Only an authenticated key names a client: counting raw header values would give
        every made-up key a fresh budget.
        """
        if key is not None:
            return f"key:{key.id}"
        if self._trust_forwarded_for:
            forwarded = last_forwarded_for(request.headers.getlist("x-forwarded-for"))
            if forwarded:
                return "ip:" + forwarded
        return "ip:" + (request.client.host if request.client else "unknown")

    async def check(self, request: Request, key: StoredKey | None = None) -> None:
        """Count this request; 429 with ``Retry-After`` when the client is over its limit."""
        client = self.client_of(request, key)
        limiter, item = self._limiter()
        # A limiter outage must not take the route down with it: the request goes through.
        if await self._breaker.call(lambda: limiter.hit(item, client), True):
            return
        stats = await self._breaker.call(lambda: limiter.get_window_stats(item, client), None)
        # Refused, but with the window unknown the whole period is safe.
        retry_after = (
            max(1, math.ceil(stats.reset_time - time.time()))
            if stats is not None
            else self._limit.seconds
        )
        # Imported here: the composition root builds a limiter for every command, and the
        # CLI's commands must not pay for importing the HTTP stack.
        from movies_api.http.problems import Problem

        raise Problem(
            429,
            f"too many {self._what}: at most {self._limit} per client",
            kind="rate-limited",
            headers={"Retry-After": str(retry_after)},
        )
