"""Fetch one poster image over HTTP, refusing anything that is not a small image.

The URL comes from OMDb, so the service treats it as untrusted: only ``http``/``https``,
no redirects (a redirect could point the service at an address of its own network), a
bounded time, a bounded size read as it streams, and only image content types. Every
refusal is ``PosterUnavailable``; the caller answers 404 and the UI draws a placeholder.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from movies_api.domain.poster import IMAGE_TYPES, Poster
from movies_api.services.errors import PosterUnavailable

if TYPE_CHECKING:
    import httpx

TIMEOUT_SECONDS: Final = 5.0
MAX_BYTES: Final = 2 * 1024 * 1024  # OMDb's posters are 300 px wide: tens of KiB
_SCHEMES: Final = frozenset({"http", "https"})


class PosterFetcher:
    """One pooled HTTP client for every poster, made on first use (a process that only
    serves the JSON API never builds it)."""

    def __init__(
        self,
        *,
        timeout: float = TIMEOUT_SECONDS,
        max_bytes: int = MAX_BYTES,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._transport = transport  # tests pass a mock; production uses httpx's own
        self._http: httpx.AsyncClient | None = None

    async def fetch(self, url: str) -> Poster:
        """The image at ``url``; ``PosterUnavailable`` saying why when there is none to serve."""
        if urlsplit(url).scheme.lower() not in _SCHEMES or not urlsplit(url).hostname:
            raise PosterUnavailable("the poster URL is not an http(s) URL")
        import httpx

        try:
            async with asyncio.timeout(self._timeout):
                return await self._get(url)
        except TimeoutError:
            raise PosterUnavailable("the poster host did not answer in time") from None
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, ValueError) as error:
            reason = type(error).__name__
            raise PosterUnavailable(f"the poster could not be fetched ({reason})") from None

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    async def _get(self, url: str) -> Poster:
        async with self._client().stream("GET", url, headers={"Accept": "image/*"}) as response:
            if response.status_code != 200:
                raise PosterUnavailable(f"the poster host answered {response.status_code}")
            content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type not in IMAGE_TYPES:
                raise PosterUnavailable("the poster host did not send an image")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self._max_bytes:
                raise PosterUnavailable("the poster is too large")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > self._max_bytes:
                    raise PosterUnavailable("the poster is too large")
        return Poster(bytes(body), content_type)

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            import httpx

            self._http = httpx.AsyncClient(
                transport=self._transport,
                follow_redirects=False,
                timeout=self._timeout,
                limits=httpx.Limits(max_connections=16, max_keepalive_connections=8),
                headers={"User-Agent": "movies-api poster proxy"},
            )
        return self._http
