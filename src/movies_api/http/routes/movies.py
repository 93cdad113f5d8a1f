"""The movies resource (contract §2): reads served from the versioned response cache."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from movies_api.cache.responses import CachedResponse, ResponseCache
from movies_api.domain.movie import MOVIE_ID_PATTERN
from movies_api.domain.titles import match_key
from movies_api.http import listing_params, representation
from movies_api.http import openapi as doc
from movies_api.http.auth import optional_key, require_scope
from movies_api.http.conditional import JSON, answer
from movies_api.http.middleware import scope_header
from movies_api.http.problems import PROBLEM_JSON, ErrorHandler, problem_for
from movies_api.http.rate_limit import RateLimiter
from movies_api.http.schemas import AddMovie, AmbiguousProblem, MovieOut, MoviePage
from movies_api.services.catalogue import CatalogueService
from movies_api.services.errors import AmbiguousTitle, CatalogueError
from movies_api.services.keys import KeyService
from movies_api.services.ports import StoredKey

MovieId = Annotated[
    str,
    Path(
        pattern=MOVIE_ID_PATTERN,
        description="The movie's IMDb id: `tt` and 7 to 10 digits.",
        examples=["tt0133093"],
    ),
]


def _if_none_match(request: Request) -> str | None:
    # Read here, not declared as a Header parameter: FastAPI validates each declared
    # parameter on every request (~10 µs apiece on the hottest route), and this one is
    # not in the schema anyway. Starlette's ``get`` takes the first such header, as
    # FastAPI's Header did.
    return request.headers.get("if-none-match")


PREFIX = listing_params.PATH


def movie_key(movie_id: str) -> str:
    """The response cache's key of ``GET /movies/{movie_id}``."""
    return f"id:{movie_id}"


@dataclass(frozen=True, slots=True)
class _RouteLabel:
    """What ``ObserveRequests`` reads of the route a request took."""

    path: str


_LIST = _RouteLabel(PREFIX)
_BY_ID = _RouteLabel(PREFIX + "/{movie_id}")


def listing_request(scope: Scope) -> listing_params.ListingRequest:
    """The listing a ``GET /movies`` asks for, read as the route and the fast path both read it.

    Memoised by query string: the same spelling costs one dictionary look-up after the first.
    """
    return _parse(scope["query_string"].decode("latin-1"))


_parse = functools.lru_cache(maxsize=1024)(listing_params.parse_query_string)


class CachedReads:
    """Answers the two hottest reads before FastAPI routes and validates them.

    On a cached page, FastAPI's routing and parameter handling took ~65 of the ~90 µs the
    app spent per request, and on an uncached one about a third of the app's own time
    (benchmarks/RESULTS.md). A listing (``GET /movies`` with a valid query, read by the
    same ``listing_request`` as the route) is answered here, from the cache or built, by
    ``listing_response`` as the route answers it; its errors by the app's own handler of
    service errors. A movie by id is answered here only from a current cache entry,
    which the route stored after validating the id. Anything else (an invalid query, a
    movie not cached, an error reading the version for one) goes on to the routes.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        cache: ResponseCache,
        catalogue: CatalogueService,
        on_error: ErrorHandler,
    ) -> None:
        self.app = app
        self.cache = cache
        self.catalogue = catalogue
        self.on_error = on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            answered = await self._answer(scope)
            if answered is not None:
                await answered(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope) -> Response | None:
        path: str = scope["path"]
        if path == PREFIX:
            try:
                wanted = listing_request(scope)
            except listing_params.InvalidListing:
                return None  # the route answers the 422
            scope["route"] = _LIST
            try:
                cached = await listing_response(self.catalogue, self.cache, wanted)
            except CatalogueError as error:
                return await self.on_error(Request(scope), error)
            return answer(cached, scope_header(scope, b"if-none-match"))
        movie_id = path.removeprefix(PREFIX + "/")
        if movie_id == path or not movie_id or "/" in movie_id:
            return None
        try:
            hit = await self.cache.current(movie_key(movie_id))
        except Exception:  # the route reads it again and answers the error as it should
            return None
        if hit is None:
            return None
        scope["route"] = _BY_ID
        return answer(hit, scope_header(scope, b"if-none-match"))


async def listing_response(
    catalogue: CatalogueService, cache: ResponseCache, wanted: listing_params.ListingRequest
) -> CachedResponse:
    """A listing's response as sent: from the cache when current, else built (and kept)."""

    async def build() -> CachedResponse:
        found = await catalogue.list_movies(
            wanted.listing, limit=wanted.limit, page=wanted.page, cursor=wanted.cursor
        )
        links = representation.page_links(found, wanted.cache_key)
        body = representation.page_bytes(found, links)
        return CachedResponse.of(body, (("Link", representation.link_header(links)),))

    return await cache.get_or_build(wanted.cache_key, build)


def _invalid(invalid: listing_params.InvalidListing) -> RequestValidationError:
    return RequestValidationError(
        [
            {"loc": ("query", name), "msg": message, "type": "value_error"}
            for name, message in invalid.errors
        ]
    )


def build_router(
    *,
    catalogue: CatalogueService,
    cache: ResponseCache,
    keys: KeyService,
    limiter: RateLimiter,
    require_key_for_add: bool,
) -> APIRouter:
    """The movie routes, closed over the services the composition root built."""
    router = APIRouter(prefix=PREFIX, tags=["movies"])

    @router.get(
        "",
        response_model=MoviePage,
        summary="A page of the catalogue: search, filters and sort",
        description="Without `q`, ordered by title (accents and case ignored), then year, "
        "then id. Walk the pages by number (`links`, also in the `Link` header) or, at the "
        "same cost at any depth, by `next_cursor`.",
        responses={
            **doc.success(
                200,
                "The page: its movies, counts and links. A page past the last one is a 200 "
                "too, with no movies and `prev` pointing at the last page.",
                example=doc.page_example(),
                headers={"Link": doc.LINK, **doc.READ_HEADERS},
            ),
            **doc.NOT_MODIFIED,
            **doc.problem(
                422,
                "A parameter is of the wrong kind or out of range (`limit=0`, `year=abc`, "
                "`sort=relevance` without `q`, `year_min` above `year_max`, both `page` and "
                "`cursor`), or the cursor is malformed or was made for another listing. "
                "`errors` names each.",
                "validation-error",
            ),
            **doc.DATABASE_UNAVAILABLE,
        },
        openapi_extra={"parameters": listing_params.PARAMETERS},
    )
    async def list_movies(request: Request) -> Response:
        # The query is read by listing_params (documented there for OpenAPI), not declared
        # here: the cached fast path reads it the same way and must agree to the byte.
        try:
            wanted = listing_request(request.scope)
        except listing_params.InvalidListing as invalid:
            raise _invalid(invalid) from None
        cached = await listing_response(catalogue, cache, wanted)
        return answer(cached, _if_none_match(request))

    @router.get(
        "/by-title",
        response_model=MovieOut,
        summary="One movie by its title (case- and accent-insensitive)",
        description="The title is compared with case, accents and runs of white space "
        "ignored; it may hold any character (percent-encode it as usual).",
        responses={
            **doc.success(
                200,
                "Exactly one movie matches (with `year`, of that year).",
                example=doc.THE_MATRIX,
                headers=doc.READ_HEADERS,
            ),
            # Served as a problem, like the errors.
            **doc.problem(
                300,
                "Several movies match (remakes) and no `year` narrows them to one: "
                "`candidates` lists them. Ask again with a `year`, or by id.",
                "ambiguous-title",
                model=AmbiguousProblem,
            ),
            **doc.NOT_MODIFIED,
            **doc.problem(404, "No stored movie has this title (and year).", "movie-not-found"),
            **doc.problem(
                422, "`title` is missing or blank, or `year` is not an integer.", "validation-error"
            ),
            **doc.DATABASE_UNAVAILABLE,
        },
    )
    async def movie_by_title(
        request: Request,
        title: Annotated[
            str,
            Query(
                min_length=1,
                pattern=r"\S",
                description="The title; case, accents and spacing do not matter.",
                examples=["The Matrix"],
            ),
        ],
        year: Annotated[
            int | None, Query(description="Narrows remakes to one.", examples=[1999])
        ] = None,
    ) -> Response:
        async def build() -> CachedResponse:
            try:
                movie = await catalogue.find_by_title(title, year=year)
            except AmbiguousTitle as ambiguous:
                return CachedResponse.of(problem_for(ambiguous).body(), status=300)
            return CachedResponse.of(representation.movie_bytes(movie))

        cached = await cache.get_or_build(f"title:{year}:{match_key(title)}", build)
        media_type = JSON if cached.status == 200 else PROBLEM_JSON
        return answer(cached, _if_none_match(request), media_type)

    @router.delete("/by-title", include_in_schema=False)
    async def by_title_is_not_an_id() -> Response:
        # Without this, DELETE /movies/by-title would be DELETE /movies/{movie_id} with the
        # id "by-title" (a 401, then a 422); the path names a lookup, which only GET has.
        raise StarletteHTTPException(405)

    @router.get(
        "/{movie_id}",
        response_model=MovieOut,
        summary="One movie by its IMDb id",
        responses={
            **doc.success(
                200, "The movie is stored.", example=doc.THE_MATRIX, headers=doc.READ_HEADERS
            ),
            **doc.NOT_MODIFIED,
            **doc.problem(404, "No stored movie has this id.", "movie-not-found"),
            **doc.INVALID_ID,
            **doc.DATABASE_UNAVAILABLE,
        },
    )
    async def movie_by_id(request: Request, movie_id: MovieId) -> Response:
        async def build() -> CachedResponse:
            return CachedResponse.of(await catalogue.document(movie_id))

        return answer(await cache.get_or_build(movie_key(movie_id), build), _if_none_match(request))

    add_caller = require_scope(keys, "movies:add") if require_key_for_add else optional_key(keys)

    @router.post(
        "",
        status_code=201,
        response_model=MovieOut,
        summary="Add a movie by title or IMDb id; every detail comes from OMDb",
        description="Send a title (narrowed by `year` and `type`) or exactly one IMDb `id`, "
        "as `GET /omdb/search` finds them. Checks run in this order: the key (when "
        "`MOVIES_REQUIRE_KEY_FOR_ADD` is on), the rate limit, the body, OMDb. The answer "
        "comes within `MOVIES_OMDB_TIMEOUT` + 1 s; after any error nothing is stored.",
        responses={
            **doc.success(
                201,
                "OMDb had the movie and it is stored now.",
                example=doc.THE_MATRIX,
                headers={"Location": doc.LOCATION_CREATED},
            ),
            **doc.UNAUTHORISED,
            **doc.forbidden("movies:add"),
            **doc.problem(404, "OMDb has no such title or id.", "omdb-title-not-found"),
            **doc.problem(
                409,
                "A movie with the IMDb id OMDb returned (or the id sent) is already stored; "
                "`id` and `Location` name it. Nothing changes.",
                "movie-exists",
                headers={"Location": doc.LOCATION_EXISTING},
            ),
            **doc.problem(
                413,
                "The body is over 64 KiB (answered without reading the rest).",
                example=doc.plain_problem(413, "the request body is over 64 KiB"),
            ),
            **doc.problem(
                415,
                "The body is not `application/json`.",
                example=doc.plain_problem(415, "send the body as application/json"),
            ),
            **doc.problem(
                422,
                "The body is not one of the two shapes: no title and no id, both, a blank or "
                "too long title, a year that is not an integer, an unknown type, a malformed id.",
                "validation-error",
            ),
            **doc.rate_limited("MOVIES_ADD_RATE_LIMIT"),
            **doc.omdb_failures("Nothing is stored."),
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                # Inline: no declared parameter uses AddMovie, so a $ref to components
                # would point at a schema FastAPI never emits.
                "content": {
                    "application/json": {
                        "schema": AddMovie.model_json_schema(),
                        # Whole bodies: the members' own examples, put together, would
                        # give a title and an id at once, which is refused.
                        "examples": {
                            "by title": {"value": {"title": "The Matrix", "year": 1999}},
                            "by IMDb id": {"value": {"id": "tt0133093"}},
                        },
                    }
                },
            }
        },
    )
    async def add_movie(
        request: Request, caller: StoredKey | None = Depends(add_caller)
    ) -> Response:
        # The body is read here, not declared, so the key and the rate limit come first (§2).
        await limiter.check(request, caller)
        try:
            wanted = AddMovie.model_validate_json(await request.body())
        except ValidationError as invalid:
            raise _body_errors(invalid) from None
        if wanted.id is not None:
            movie = await catalogue.add_by_id(wanted.id)
        else:
            movie = await catalogue.add(wanted.title or "", year=wanted.year, type=wanted.type)
        return Response(
            representation.movie_bytes(movie),
            201,
            headers={"Location": f"/movies/{movie.id}"},
            media_type=JSON,
        )

    @router.post(
        "/{movie_id}/refresh",
        response_model=MovieOut,
        summary="Fetch a stored movie's details again (API key with the movies:add scope)",
        description="`added_at` stays, `refreshed_at` becomes now; readers on every "
        "instance see the new details at once.",
        dependencies=[Depends(require_scope(keys, "movies:add"))],
        responses={
            **doc.success(
                200, "The details were fetched again and stored.", example=doc.THE_MATRIX
            ),
            **doc.UNAUTHORISED,
            **doc.forbidden("movies:add"),
            **doc.problem(404, "No stored movie has this id.", "movie-not-found"),
            **doc.INVALID_ID,
            **doc.omdb_failures("The stored movie is unchanged."),
        },
    )
    async def refresh_movie(movie_id: MovieId) -> Response:
        movie = await catalogue.refresh(movie_id)
        return Response(representation.movie_bytes(movie), media_type=JSON)

    @router.delete(
        "/{movie_id}",
        status_code=204,
        summary="Remove a movie (API key with the movies:delete scope)",
        description="The key is checked before the id, so a caller without one learns "
        "nothing about which ids exist.",
        dependencies=[Depends(require_scope(keys, "movies:delete"))],
        responses={
            **doc.success(
                204,
                "Deleted: gone from every read at once, on every instance, cached pages included.",
            ),
            **doc.UNAUTHORISED,
            **doc.forbidden("movies:delete"),
            **doc.problem(
                404, "No stored movie has this id (the key is valid).", "movie-not-found"
            ),
            **doc.INVALID_ID,
            **doc.DATABASE_UNAVAILABLE,
        },
    )
    async def delete_movie(movie_id: MovieId) -> Response:
        await catalogue.delete(movie_id)
        return Response(status_code=204)

    return router


def _body_errors(invalid: ValidationError) -> RequestValidationError:
    """Body errors located under ``body``, as FastAPI reports its own."""
    return RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in invalid.errors()])
