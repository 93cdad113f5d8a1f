"""An async OMDb client: one connection pool, bounded concurrency, retries only where they help.

OMDb puts the API key in the query string, so every URL is a secret. The key is
therefore added by a transport *below* httpx's own request logging and error
reporting: log lines, exceptions and ``response.request`` only ever see the URL
without it.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Final, Self

import httpx

from movies_api.domain.movie import MovieSummary
from movies_api.omdb.errors import (
    OmdbError,
    OmdbInvalidKey,
    OmdbNotConfigured,
    OmdbNotFound,
    OmdbQuotaReached,
    OmdbTimeout,
    OmdbUnavailable,
)
from movies_api.omdb.normalise import summary

DEFAULT_BASE_URL: Final = "https://www.omdbapi.com/"

logger = logging.getLogger("movies_api.omdb")

# OMDb's error texts (it answers these with HTTP 200 or 401 and "Response": "False").
# "Error getting data." is what it says for a well-formed id it does not know.
_NOT_FOUND: Final = frozenset(
    {
        "movie not found!",
        "incorrect imdb id.",
        "error getting data.",
        "series or episode not found!",
        "series not found!",
        "episode not found!",
    }
)
_BAD_KEY: Final = frozenset({"invalid api key!", "no api key provided."})
_QUOTA: Final = frozenset({"request limit reached!"})
_MAX_QUOTED_ERROR: Final = 200
_MAX_BACKOFF_EXPONENT: Final = 32


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of an OMDb search: its hits, and how many results the query has in all."""

    items: tuple[MovieSummary, ...]
    total_results: int

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)


class _TransientError(Exception):
    """An attempt failed in a way that another attempt may not."""

    def __init__(self, reason: str, *, timed_out: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.timed_out = timed_out

    def final(self, subject: str, attempts: int) -> OmdbError:
        """The error to raise once no attempt is left."""
        tries = f"{attempts} attempt{'s' if attempts > 1 else ''}"
        if self.timed_out:
            return OmdbTimeout(f"OMDb did not answer {subject} in time ({tries})")
        return OmdbUnavailable(f"OMDb failed to answer {subject} ({self.reason}; {tries})")


class _KeyedTransport(httpx.AsyncBaseTransport):
    """Adds ``apikey`` to a copy of each request, after httpx has logged the keyless one."""

    def __init__(self, inner: httpx.AsyncBaseTransport, api_key: str) -> None:
        self._inner = inner
        self._api_key = api_key

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        keyed = httpx.Request(
            request.method,
            request.url.copy_add_param("apikey", self._api_key),
            headers=request.headers,
            stream=request.stream,
            extensions=request.extensions,
        )
        return await self._inner.handle_async_request(keyed)

    async def aclose(self) -> None:
        await self._inner.aclose()


class OmdbClient:
    """Asks OMDb for records; one instance per process, shared by every caller.

    At most ``max_in_flight`` requests are on the wire at once (OMDb is a small
    service and bans impolite clients). Timeouts, connection errors, HTTP 5xx and
    malformed bodies are retried with capped exponential backoff and full jitter;
    a waiting retry gives its slot to someone else. OMDb's verdicts (not found, bad
    key, quota spent) are final and never retried. ``timeout`` bounds a whole call, the
    wait for a slot and every retry included, so a hanging OMDb costs a caller at most
    that long; a retry that could not finish within it is not started.
    """

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        max_in_flight: int = 8,
        attempts: int = 3,
        backoff_base: float = 0.2,
        backoff_cap: float = 2.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if max_in_flight < 1 or attempts < 1:
            raise ValueError("max_in_flight and attempts must be at least 1")
        if backoff_base < 0 or backoff_cap < 0:
            raise ValueError("backoff_base and backoff_cap must not be negative")
        self._api_key = (api_key or "").strip()
        self._base_url = httpx.URL(base_url)
        self._attempts = attempts
        self._timeout = timeout
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._sleep = sleep
        self._jitter = jitter
        self._slots = asyncio.Semaphore(max_in_flight)
        pool = httpx.Limits(max_connections=max_in_flight, max_keepalive_connections=max_in_flight)
        self._http = httpx.AsyncClient(
            transport=_KeyedTransport(
                transport or httpx.AsyncHTTPTransport(limits=pool), self._api_key
            ),
            timeout=httpx.Timeout(connect=timeout, read=timeout, write=timeout, pool=timeout),
            headers={"Accept": "application/json", "User-Agent": "movies-api"},
        )

    def __repr__(self) -> str:
        return f"OmdbClient(base_url={str(self._base_url)!r}, configured={bool(self._api_key)})"

    async def get_by_id(self, imdb_id: str, *, plot: str = "full") -> dict[str, object]:
        """The raw OMDb record for an IMDb id."""
        return await self._fetch({"i": imdb_id, "plot": plot}, f"id {imdb_id!r}")

    async def get_by_title(
        self,
        title: str,
        *,
        year: int | None = None,
        type: str | None = None,
        plot: str = "full",
    ) -> dict[str, object]:
        """The raw OMDb record OMDb picks for a title (its most recent match unless ``year``)."""
        params = {"t": title, "plot": plot}
        subject = f"title {title!r}"
        if year is not None:
            params["y"] = str(year)
            subject += f" ({year})"
        if type is not None:
            params["type"] = type
        return await self._fetch(params, subject)

    async def search(
        self,
        query: str,
        *,
        page: int = 1,
        type: str | None = "movie",
        year: int | None = None,
    ) -> SearchPage:
        """One page (up to 10 hits) of titles matching ``query``; no match is an empty page."""
        params = {"s": query, "page": str(page)}
        if type is not None:
            params["type"] = type
        if year is not None:
            params["y"] = str(year)
        try:
            payload = await self._fetch(params, f"search {query!r} page {page}")
        except OmdbNotFound:
            return SearchPage(items=(), total_results=0)
        return _search_page(payload)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _fetch(self, params: dict[str, str], subject: str) -> dict[str, object]:
        """OMDb's answer within ``timeout`` seconds in all, retries included (contract §2:
        adding answers within MOVIES_OMDB_TIMEOUT + 1 s even when OMDb hangs)."""
        if not self._api_key:
            raise OmdbNotConfigured("No OMDb API key is configured (set MOVIES_OMDB_API_KEY)")
        deadline = asyncio.get_running_loop().time() + self._timeout
        try:
            async with asyncio.timeout_at(deadline):
                return await self._retrying({**params, "r": "json"}, subject, deadline)
        except TimeoutError:
            raise OmdbTimeout(f"OMDb did not answer {subject} within {self._timeout:g} s") from None

    async def _retrying(
        self, params: dict[str, str], subject: str, deadline: float
    ) -> dict[str, object]:
        attempt = 1
        while True:
            async with self._slots:
                try:
                    return await self._attempt(params, subject)
                except _TransientError as failure:
                    last = failure
            delay = self._backoff(attempt)
            if attempt == self._attempts or asyncio.get_running_loop().time() + delay >= deadline:
                raise last.final(subject, attempt)  # no retry could finish in the budget
            # Sleep outside the semaphore: a backing-off retry must not starve the others.
            logger.warning(
                "OMDb request for %s failed (%s); retrying in %.2f s (attempt %d of %d)",
                subject,
                last.reason,
                delay,
                attempt + 1,
                self._attempts,
            )
            await self._sleep(delay)
            attempt += 1

    def _backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))]."""
        exponent = min(attempt - 1, _MAX_BACKOFF_EXPONENT)
        return self._jitter() * min(self._backoff_cap, self._backoff_base * 2.0**exponent)

    async def _attempt(self, params: dict[str, str], subject: str) -> dict[str, object]:
        # Only the kind of an httpx exception is kept, and the failure is raised outside the
        # except clause, so no error this client raises holds one (or its URL) in its chain.
        try:
            response = await self._http.get(self._base_url, params=params)
        except httpx.TimeoutException:
            failure = _TransientError("timed out", timed_out=True)
        except httpx.RequestError as exc:
            failure = _TransientError(f"connection failed: {type(exc).__name__}")
        else:
            return self._interpret(response, subject)
        raise failure

    def _interpret(self, response: httpx.Response, subject: str) -> dict[str, object]:
        status = response.status_code
        if status >= 500 or status == 429:
            raise _TransientError(f"HTTP {status}")
        payload = _json_object(response)
        if payload is not None and payload.get("Response") == "False":
            raise self._refusal(payload.get("Error"), subject)
        if status != 200:
            # A 4xx without OMDb's verdict is a proxy or a wrong base URL: retrying won't help.
            raise OmdbUnavailable(f"OMDb answered {subject} with HTTP {status}")
        if payload is None or payload.get("Response") != "True":
            raise _TransientError("malformed body")
        return payload

    def _refusal(self, error: object, subject: str) -> OmdbError:
        text = error.strip() if isinstance(error, str) else ""
        verdict = text.casefold()
        if verdict in _NOT_FOUND:
            return OmdbNotFound(f"OMDb has nothing for {subject}: {text}")
        if verdict in _BAD_KEY:
            return OmdbInvalidKey(f"OMDb refused the configured API key: {text}")
        if verdict in _QUOTA:
            return OmdbQuotaReached(f"OMDb's request limit for the API key is reached: {text}")
        # Unknown text is quoted for the operator, redacted in case an upstream echoes the key.
        quoted = text.replace(self._api_key, "***")[:_MAX_QUOTED_ERROR]
        return OmdbUnavailable(f"OMDb answered {subject} with an unexpected error: {quoted!r}")


def _json_object(response: httpx.Response) -> dict[str, object] | None:
    try:
        payload = response.json()
    except ValueError:  # JSONDecodeError and UnicodeDecodeError alike
        return None
    return payload if isinstance(payload, dict) else None


def _search_page(payload: dict[str, object]) -> SearchPage:
    """Hits of one search page, deduplicated by id; junk entries are skipped, not fatal."""
    found = payload.get("Search")
    entries = found if isinstance(found, list) else []
    unique: dict[str, MovieSummary] = {}
    for entry in entries:
        hit = summary(entry) if isinstance(entry, dict) else None
        if hit is not None:
            unique.setdefault(hit.id, hit)
    total = payload.get("totalResults")
    declared = int(total) if isinstance(total, str) and total.isdecimal() and len(total) < 10 else 0
    return SearchPage(items=tuple(unique.values()), total_results=max(declared, len(unique)))
