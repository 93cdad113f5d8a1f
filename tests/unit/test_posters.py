"""The poster proxy: the fetcher's refusals, the byte-bounded cache, the service's
fetch-once rule and ``GET /movies/{id}/poster`` over the production app with fakes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from movies_api.cache.posters import ENTRY_OVERHEAD, FAILURE_SECONDS, PosterCache
from movies_api.domain.poster import Poster
from movies_api.posters.fetcher import PosterFetcher
from movies_api.services.errors import MovieNotFound, PosterUnavailable
from movies_api.services.posters import PosterService
from tests.unit.app_with_fakes import client, make_app, store_with, stored_movie
from tests.unit.fakes import FakePosters, FakeUnitOfWorkFactory

URL = "https://posters.example/matrix.jpg"
JPEG = Poster(b"\xff\xd8\xff" + b"x" * 97, "image/jpeg")
MATRIX = replace(stored_movie("tt0133093", "The Matrix"), poster_url=URL)
NO_POSTER = stored_movie("tt0000001", "Blank")


def fetcher_over(
    handler: httpx.MockTransport, *, timeout: float = 5.0, max_bytes: int = 1_000_000
) -> PosterFetcher:
    return PosterFetcher(transport=handler, timeout=timeout, max_bytes=max_bytes)


def answering(
    status: int = 200, body: bytes = JPEG.body, headers: dict[str, str] | None = None
) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            status, content=body, headers={"content-type": "image/jpeg", **(headers or {})}
        )

    return httpx.MockTransport(handle), seen


# --- the fetcher -----------------------------------------------------------------------------


async def test_the_fetcher_returns_the_image_and_its_type() -> None:
    transport, seen = answering(headers={"content-type": "image/JPEG; charset=binary"})
    poster = await fetcher_over(transport).fetch(URL)
    assert poster == Poster(JPEG.body, "image/jpeg")
    assert [str(request.url) for request in seen] == [URL]


@pytest.mark.parametrize("url", ["ftp://posters.example/a.jpg", "file:///etc/passwd", "/a.jpg"])
async def test_only_http_urls_are_fetched(url: str) -> None:
    transport, seen = answering()
    with pytest.raises(PosterUnavailable, match="http"):
        await fetcher_over(transport).fetch(url)
    assert seen == []


@pytest.mark.parametrize(
    ("status", "headers", "reason"),
    [
        (200, {"content-type": "text/html"}, "not send an image"),
        (200, {"content-type": "image/x-icon-but-not-really"}, "not send an image"),
        (404, {}, "answered 404"),
        (302, {"location": "http://127.0.0.1:6379/"}, "answered 302"),
    ],
)
async def test_non_images_errors_and_redirects_are_refused(
    status: int, headers: dict[str, str], reason: str
) -> None:
    transport, seen = answering(status, headers=headers)
    with pytest.raises(PosterUnavailable, match=reason):
        await fetcher_over(transport).fetch(URL)
    assert len(seen) == 1  # the redirect was not followed


async def test_a_poster_over_the_size_cap_is_refused_as_it_streams() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b"x" * 600

    def handle(request: httpx.Request) -> httpx.Response:
        # Streamed without a Content-Length: only counting as it arrives tells.
        return httpx.Response(200, content=chunks(), headers={"content-type": "image/png"})

    fetcher = fetcher_over(httpx.MockTransport(handle), max_bytes=1000)
    with pytest.raises(PosterUnavailable, match="too large"):
        await fetcher.fetch(URL)


async def test_a_declared_size_over_the_cap_is_refused_before_reading() -> None:
    transport, _ = answering(body=b"x" * 2000)
    with pytest.raises(PosterUnavailable, match="too large"):
        await fetcher_over(transport, max_bytes=1000).fetch(URL)


async def test_a_host_that_never_answers_is_given_up() -> None:
    async def handle(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    with pytest.raises(PosterUnavailable, match="in time"):
        await fetcher_over(httpx.MockTransport(handle), timeout=0.05).fetch(URL)


async def test_a_connection_failure_is_unavailable() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(PosterUnavailable, match="ConnectError"):
        await fetcher_over(httpx.MockTransport(handle)).fetch(URL)


# --- the cache -------------------------------------------------------------------------------


def test_the_cache_never_holds_more_than_its_bound() -> None:
    image = Poster(b"x" * 1000, "image/png")
    cache = PosterCache(3 * (1000 + ENTRY_OVERHEAD))
    for index in range(5):
        cache.keep(f"{URL}?{index}", image)
    assert cache.bytes_held <= 3 * (1000 + ENTRY_OVERHEAD)
    assert cache.get(f"{URL}?0") is None  # the least recently used went first
    assert cache.get(f"{URL}?4") == image


def test_an_image_larger_than_the_bound_is_not_kept_and_zero_keeps_nothing() -> None:
    big = Poster(b"x" * 5000, "image/png")
    small = PosterCache(1000)
    small.keep(URL, big)
    assert (small.get(URL), small.bytes_held) == (None, 0)
    off = PosterCache(0)
    off.keep(URL, JPEG)
    assert off.get(URL) is None


def test_a_failure_is_remembered_for_a_while() -> None:
    now = [100.0]
    cache = PosterCache(10_000, clock=lambda: now[0])
    cache.note_failure(URL)
    assert cache.failed_recently(URL)
    now[0] += FAILURE_SECONDS + 1
    assert not cache.failed_recently(URL)


# --- the service -----------------------------------------------------------------------------


def service(
    source: FakePosters, *movies: object, clock: list[float] | None = None
) -> PosterService:
    now = clock if clock is not None else [0.0]
    store = store_with(*movies)  # type: ignore[arg-type]
    return PosterService(
        uow=FakeUnitOfWorkFactory(store),
        source=source,
        cache=PosterCache(1_000_000, clock=lambda: now[0]),
    )


async def test_many_requests_together_fetch_the_poster_once() -> None:
    source = FakePosters({URL: JPEG})
    posters = service(source, MATRIX)
    found = await asyncio.gather(*(posters.poster(MATRIX.id) for _ in range(20)))
    assert set(found) == {JPEG}
    assert await posters.poster(MATRIX.id) == JPEG
    assert source.fetched == [URL]


async def test_unknown_movies_and_movies_without_posters_fetch_nothing() -> None:
    source = FakePosters({URL: JPEG})
    posters = service(source, NO_POSTER)
    with pytest.raises(MovieNotFound):
        await posters.poster("tt9999999")
    with pytest.raises(PosterUnavailable, match="no poster"):
        await posters.poster(NO_POSTER.id)
    assert source.fetched == []


async def test_a_failed_fetch_is_not_retried_until_the_failure_is_old() -> None:
    source = FakePosters()
    now = [0.0]
    posters = service(source, MATRIX, clock=now)
    for _ in range(3):
        with pytest.raises(PosterUnavailable):
            await posters.poster(MATRIX.id)
    assert source.fetched == [URL]
    source.images[URL] = JPEG
    now[0] += FAILURE_SECONDS + 1
    assert await posters.poster(MATRIX.id) == JPEG


# --- the route -------------------------------------------------------------------------------


async def test_the_route_serves_the_image_with_browser_caching() -> None:
    app, _ = make_app(store=store_with(MATRIX), posters=FakePosters({URL: JPEG}))
    async with client(app) as http:
        response = await http.get(f"/movies/{MATRIX.id}/poster")
        again = await http.get(
            f"/movies/{MATRIX.id}/poster", headers={"If-None-Match": response.headers["etag"]}
        )
    assert response.status_code == 200
    assert response.content == JPEG.body
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["cache-control"] == "public, max-age=86400"
    assert response.headers["etag"] == JPEG.etag
    assert "sandbox" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert (again.status_code, again.content) == (304, b"")


@pytest.mark.parametrize(
    ("movie_id", "kind"),
    [
        ("tt9999999", "movie-not-found"),
        (NO_POSTER.id, "poster-not-found"),
        ("tt0133094", "poster-not-found"),  # its host answers nothing
    ],
)
async def test_no_poster_to_serve_is_a_404_problem(movie_id: str, kind: str) -> None:
    broken = replace(stored_movie("tt0133094", "Broken"), poster_url="https://gone.example/x.jpg")
    app, _ = make_app(store=store_with(MATRIX, NO_POSTER, broken), posters=FakePosters())
    async with client(app) as http:
        response = await http.get(f"/movies/{movie_id}/poster")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"/problems/{kind}"


async def test_a_malformed_id_is_a_422() -> None:
    app, _ = make_app()
    async with client(app) as http:
        response = await http.get("/movies/nope/poster")
    assert response.status_code == 422


async def test_a_cached_movie_read_does_not_answer_for_its_poster() -> None:
    app, _ = make_app(store=store_with(MATRIX), posters=FakePosters({URL: JPEG}))
    async with client(app) as http:
        for _ in range(2):  # the second read is served by CachedReads
            assert (await http.get(f"/movies/{MATRIX.id}")).status_code == 200
        response = await http.get(f"/movies/{MATRIX.id}/poster")
    assert response.headers["content-type"] == "image/jpeg"


async def test_openapi_documents_the_poster_route() -> None:
    app, _ = make_app()
    async with client(app) as http:
        document = (await http.get("/openapi.json")).json()
    operation = document["paths"]["/movies/{movie_id}/poster"]["get"]
    assert "image/*" in operation["responses"]["200"]["content"]
    assert "application/problem+json" in operation["responses"]["404"]["content"]
