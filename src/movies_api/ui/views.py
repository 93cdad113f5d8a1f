"""The UI's pages, rendered from the services the JSON routes use (never from the JSON
routes over HTTP). Catalogue and movie pages are kept in the versioned response cache, so
a write shows at once and a repeated page costs a dictionary look-up."""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Final

import orjson
from fastapi import APIRouter, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response

from movies_api.cache.responses import CachedResponse, ResponseCache
from movies_api.domain.movie import MOVIE_TYPES, is_movie_id
from movies_api.http import listing_params, representation
from movies_api.http.conditional import answer, etag_matches
from movies_api.http.problems import Problem, problem_for
from movies_api.http.rate_limit import RateLimiter
from movies_api.services.catalogue import CatalogueService, Page
from movies_api.services.errors import CatalogueError, MovieNotFound
from movies_api.services.lookup import Candidate, LookupPage, LookupService
from movies_api.ui import links
from movies_api.ui.rendering import ASSETS, HEADERS, HTML, render

# OMDb's genres, offered in the genre filter (a genre reached by a link is added to them).
GENRES: Final = (
    *("Action", "Adventure", "Animation", "Biography", "Comedy", "Crime", "Documentary"),
    *("Drama", "Family", "Fantasy", "Film-Noir", "History", "Horror", "Music", "Musical"),
    *("Mystery", "Romance", "Sci-Fi", "Short", "Sport", "Thriller", "War", "Western"),
)
# Every sort but relevance, which the empty choice means when there is a search.
SORT_LABELS: Final = {
    "title": "Title A to Z",
    "-title": "Title Z to A",
    "year": "Oldest first",
    "-year": "Newest first",
    "rating": "Lowest rated first",
    "-rating": "Highest rated first",
    "added": "First added",
    "-added": "Last added",
}
# Filters the form has no field for (links set them), shown with a link that removes them.
FILTER_LABELS: Final = {"genre": "Genre", "year": "Year", "director": "Director", "actor": "Actor"}
STATIC_CACHE: Final = "public, max-age=86400"
NO_STORE: Final = "no-store"


@dataclass(frozen=True, slots=True)
class Card:
    """A movie as the grid and the add page show it."""

    id: str
    title: str
    year: int | None
    rating: float | None
    poster: str | None  # the proxied address, or None for the drawn placeholder
    hue: int
    page: str
    stored: bool = True
    type: str = "movie"


def card(document: dict[str, Any]) -> Card:
    movie_id = str(document["id"])
    poster_url = document.get("poster_url")
    return Card(
        id=movie_id,
        title=str(document["title"]),
        year=document.get("year"),
        rating=document.get("imdb_rating"),
        poster=links.poster(movie_id, poster_url) if poster_url else None,
        hue=links.hue(movie_id),
        page=links.movie_page(movie_id),
    )


def build_router(
    *,
    catalogue: CatalogueService,
    lookup: LookupService,
    lookup_limiter: RateLimiter,
    cache: ResponseCache,
    require_key_for_add: bool,
) -> APIRouter:
    """The UI's routes, closed over the services the composition root built."""
    router = APIRouter(include_in_schema=False)

    @router.api_route(links.HOME, methods=["GET", "HEAD"])
    async def catalogue_page(request: Request) -> Response:
        query = _filled(request)
        shown = {**query, "limit": query.get("limit", [str(links.PAGE_SIZE)])}
        try:
            wanted = listing_params.parse(shown)
        except listing_params.InvalidListing as invalid:
            body = _catalogue_html(query, None, [f"{n}: {m}" for n, m in invalid.errors])
            return _page(body, 422)

        async def build() -> CachedResponse:
            found = await catalogue.list_movies(
                wanted.listing, limit=wanted.limit, page=wanted.page, cursor=wanted.cursor
            )
            return CachedResponse.of(_catalogue_html(query, found, []))

        key = "ui:" + links.catalogue(sorted((n, v) for n, vs in query.items() for v in vs))
        try:
            cached = await cache.get_or_build(key, build)
        except CatalogueError as error:
            problem = problem_for(error)
            return _page(_catalogue_html(query, None, [problem.detail]), problem.status)
        return _cached(cached, request)

    @router.api_route(links.PREFIX + "/movies/{movie_id}", methods=["GET", "HEAD"])
    async def movie_page(request: Request, movie_id: str) -> Response:
        async def build() -> CachedResponse:
            movie = await catalogue.get(movie_id)
            return CachedResponse.of(
                render(
                    "movie.html",
                    movie=movie,
                    poster=links.poster(movie.id, movie.poster_url) if movie.poster_url else None,
                    hue=links.hue(movie.id),
                )
            )

        try:
            if not is_movie_id(movie_id):
                raise MovieNotFound(f"{movie_id!r} is not an IMDb id (tt and 7 to 10 digits)")
            cached = await cache.get_or_build(f"ui:movie:{movie_id}", build)
        except CatalogueError as error:
            return _error_page(error)
        return _cached(cached, request)

    @router.api_route(links.ADD, methods=["GET", "HEAD"])
    async def add_page(request: Request) -> Response:
        params = request.query_params
        q = " ".join(params.get("q", "").split())[: listing_params.MAX_Q]
        year = params.get("year", "").strip()
        type_ = params.get("type", "").strip().lower()
        found: LookupPage | None = None
        failure: str | None = None
        if q and require_key_for_add:
            failure = "Searching OMDb needs an API key here: search with JavaScript on."
        elif q:
            found, failure = await _search(request, q, year, type_)
        body = render(
            "add.html",
            q=q,
            year=year,
            type=type_,
            types=MOVIE_TYPES,
            found=found,
            cards=[_candidate(item) for item in found.items] if found else [],
            failure=failure,
        )
        return _page(body, 200)

    async def _search(
        request: Request, q: str, year: str, type_: str
    ) -> tuple[LookupPage | None, str | None]:
        """The no-JavaScript search: counted against the same limit as ``GET /omdb/search``."""
        if year and not (year.isdigit() and len(year) == 4):
            return None, "The year must be four digits."
        try:
            await lookup_limiter.check(request, None)
            page = await lookup.search(
                q, year=int(year) if year else None, type=type_ if type_ in MOVIE_TYPES else None
            )
        except Problem as problem:
            return None, problem.detail
        except CatalogueError as error:
            return None, f"OMDb could not be searched: {problem_for(error).detail}"
        return page, None

    @router.api_route(links.STATIC + "/{name}", methods=["GET", "HEAD"])
    async def static_file(request: Request, name: str) -> Response:
        asset = ASSETS.get(name)
        if asset is None:
            raise HTTPException(404, "no such file")
        headers = {**HEADERS, "ETag": asset.etag, "Cache-Control": STATIC_CACHE}
        if etag_matches(request.headers.get("if-none-match"), asset.etag):
            return Response(status_code=304, headers=headers)
        return Response(asset.body, headers=headers, media_type=asset.content_type)

    return router


def _filled(request: Request) -> dict[str, list[str]]:
    """The query less its blank values: a submitted form sends every field, filled or not."""
    query: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        if value.strip():
            query.setdefault(name, []).append(value.strip())
    return query


def _last(query: dict[str, list[str]], name: str) -> str:
    values = query.get(name)
    return values[-1] if values else ""


def _catalogue_html(query: dict[str, list[str]], found: Page | None, errors: list[str]) -> bytes:
    genres = query.get("genre", [])
    offered = list(GENRES)
    for genre in genres[:1]:
        if genre.casefold() not in {g.casefold() for g in offered}:
            offered.append(genre)
    chips = [
        (f"{FILTER_LABELS[name]}: {value}", links.without(query, name, value))
        for name in FILTER_LABELS
        # Of a parameter given twice the last counts (as the API reads it); genres repeat,
        # and the first is the form's.
        for value in (genres[1:] if name == "genre" else query.get(name, [])[-1:])
    ]
    hidden = [("genre", genre) for genre in genres[1:]] + [
        (name, _last(query, name)) for name in ("director", "actor", "year") if name in query
    ]
    pager: dict[str, str | None] = {}
    cards: list[Card] = []
    if found is not None:
        cards = [card(orjson.loads(item)) for item in found.items]
        api_links = representation.page_links(found, "")
        pager = {rel: links.from_api(api_links[rel]) for rel in ("first", "prev", "next", "last")}
    return render(
        "catalogue.html",
        q=_last(query, "q"),
        genre=genres[0] if genres else "",
        genres=offered,
        type=_last(query, "type").lower(),
        types=("movie", "series", "episode"),
        year_min=_last(query, "year_min"),
        year_max=_last(query, "year_max"),
        rating_min=_last(query, "rating_min"),
        sort=_last(query, "sort"),
        sorts=SORT_LABELS,
        hidden=hidden,
        chips=chips,
        found=found,
        cards=cards,
        pager=pager,
        errors=errors,
        searched=bool(query.get("q")),
    )


def _candidate(item: Candidate) -> Card:
    stored = bool(item.stored)
    return Card(
        id=item.id,
        title=item.title,
        year=item.year,
        rating=None,
        # Only a stored movie's poster can come through the service; others are drawn.
        poster=links.poster(item.id, item.poster_url) if stored and item.poster_url else None,
        hue=links.hue(item.id),
        page=links.movie_page(item.id),
        stored=stored,
        type=item.type,
    )


def _error_page(error: CatalogueError) -> Response:
    problem = problem_for(error)
    title = HTTPStatus(problem.status).phrase
    body = render("error.html", status=problem.status, title=title, detail=problem.detail)
    return _page(body, problem.status)


def _page(body: bytes, status: int) -> Response:
    headers = {**HEADERS, "Cache-Control": NO_STORE}
    return Response(body, status, headers=headers, media_type=HTML)


def _cached(cached: CachedResponse, request: Request) -> Response:
    response = answer(cached, request.headers.get("if-none-match"), HTML)
    response.headers.update(HEADERS)
    return response
