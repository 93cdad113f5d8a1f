"""The Redis circuit breaker: a failure makes everyone skip Redis for a cooldown, one call
probes it afterwards, and an outage is two log lines and a counter, not a line per request
(issue 10 rows 13, 14)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from movies_api.cache.breaker import CircuitBreaker
from movies_api.http.metrics import RequestStats, exposition


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Redis:
    """An operation that fails while ``down``, counting the calls that reached it."""

    def __init__(self) -> None:
        self.down = False
        self.calls = 0

    async def get(self) -> bytes:
        self.calls += 1
        if self.down:
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        return b"cached"


async def test_an_outage_is_skipped_for_the_cooldown_then_probed_and_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, redis = Clock(), Redis()
    breaker = CircuitBreaker("Redis", cooldown=5, clock=clock)
    redis.down = True
    with caplog.at_level(logging.WARNING, "movies_api.cache"):
        assert await breaker.call(redis.get, None) is None
        assert [await breaker.call(redis.get, None) for _ in range(100)] == [None] * 100
        assert redis.calls == 1  # nobody waited on Redis during the cooldown
        clock.now = 5.0
        assert await breaker.call(redis.get, None) is None  # the probe, still down
        assert redis.calls == 2
        clock.now = 10.0
        redis.down = False
        assert await breaker.call(redis.get, None) == b"cached"
        assert await breaker.call(redis.get, None) == b"cached"
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert messages[0].startswith("Redis is unavailable (ConnectionError")
    assert messages[1] == "Redis is available again"
    assert breaker.failures == 2


async def test_while_one_call_probes_the_others_keep_skipping() -> None:
    clock = Clock()
    breaker = CircuitBreaker(cooldown=5, clock=clock)
    breaker.failed(ConnectionError("down"))
    clock.now = 5.0
    release = asyncio.Event()
    probes = 0

    async def hung() -> bytes:
        nonlocal probes
        probes += 1
        await release.wait()
        return b"late"

    probe = asyncio.create_task(breaker.call(hung, None))
    await asyncio.sleep(0)
    assert await breaker.call(hung, None) is None  # answered at once, without Redis
    release.set()
    assert await probe == b"late"
    assert probes == 1
    assert breaker.available


def test_failures_are_exposed_in_metrics() -> None:
    stats = RequestStats()
    breaker = CircuitBreaker("Redis")
    stats.dependencies.append(breaker)
    breaker.failed(TimeoutError("Timeout reading from socket"))
    breaker.failed(TimeoutError("Timeout reading from socket"))
    text = exposition(stats)[0].decode()
    assert 'movies_api_dependency_failures_total{dependency="Redis"} 2.0' in text
