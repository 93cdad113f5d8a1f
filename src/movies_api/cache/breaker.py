"""A circuit breaker for Redis: after a failure, requests stop asking it for a while.

Redis only makes the service faster (shared cache) or fairer (shared rate limits); the
database answers without it. So when Redis fails, each request must not wait for its
timeouts (2 s apiece when it hangs) nor write a traceback (174,000 lines in 20 s, issue 10):
for ``cooldown`` seconds after a failure nobody calls it; then one call probes it while
the others still go without. One warning says it went away, one says it is back, and
``failures`` counts every failed call for ``/metrics``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger("movies_api.cache")


class CircuitBreaker:
    """Calls through to a shared service while it works; skips it for a while when not."""

    def __init__(
        self,
        name: str = "Redis",
        *,
        cooldown: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.failures = 0
        self._cooldown = cooldown
        self._clock = clock
        self._skip_until = 0.0
        self._down = False

    @property
    def available(self) -> bool:
        """False while failed calls keep the service skipped."""
        return self._clock() >= self._skip_until

    async def call(self, operation: Callable[[], Awaitable[T]], fallback: T) -> T:
        """``operation()``'s result, or ``fallback`` when the service is skipped or fails."""
        if not self.available:
            return fallback
        if self._down:  # this call is the probe: everyone else keeps skipping meanwhile
            self._skip_until = self._clock() + self._cooldown
        try:
            result = await operation()
        except Exception as error:  # any failure of a cache costs speed, never an answer
            self.failed(error)
            return fallback
        self.succeeded()
        return result

    def failed(self, error: BaseException) -> None:
        """Record a failed call: skip the service for the cooldown."""
        self.failures += 1
        self._skip_until = self._clock() + self._cooldown
        if not self._down:
            self._down = True
            log.warning(
                "%s is unavailable (%s: %s); serving without it, trying again every %g s",
                self.name,
                type(error).__name__,
                str(error)[:200],
                self._cooldown,
            )

    def succeeded(self) -> None:
        """Record a call that worked: the service is back."""
        if self._down:
            self._down = False
            self._skip_until = 0.0
            log.warning("%s is available again", self.name)
