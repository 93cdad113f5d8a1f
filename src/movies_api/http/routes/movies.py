"""The movies resource (contract §2): reads served from the versioned response cache."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.responses import Response

from movies_api.cache.responses import CachedResponse, ResponseCache
from movies_api.domain.movie import MOVIE_ID_PATTERN
from movies_api.domain.titles import match_key
from movies_api.http import representation
from movies_api.http.auth import optional_key, require_scope
from movies_api.http.conditional import JSON, answer
from movies_api.http.problems import PROBLEM_JSON, problem_body, problem_for
from movies_api.http.rate_limit import AddRateLimiter
from movies_api.http.schemas import AddMovie, AmbiguousProblem, MovieOut, MoviePage, ProblemOut
from movies_api.services.catalogue import CatalogueService
from movies_api.services.errors import AmbiguousTitle
from movies_api.services.keys import KeyService
from movies_api.services.ports import StoredKey

MovieId = Annotated[str, Path(pattern=MOVIE_ID_PATTERN, examples=["tt0133093"])]
IfNoneMatch = Annotated[str | None, Header(include_in_schema=False)]


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ProblemOut, "content": {PROBLEM_JSON: {}}} for status in statuses}


def build_router(
    *,
    catalogue: CatalogueService,
    cache: ResponseCache,
    keys: KeyService,
    limiter: AddRateLimiter,
    require_key_for_add: bool,
) -> APIRouter:
    """The movie routes, closed over the services the composition root built."""
    router = APIRouter(prefix="/movies", tags=["movies"])

    @router.get(
        "",
        response_model=MoviePage,
        summary="A page of the catalogue, ordered by title",
        responses=_problems(422, 503),
    )
    async def list_movies(
        # The upper bound keeps every page number representable in the JSON we send.
        page: Annotated[int, Query(ge=1, le=2**31 - 1, description="1-based page number")] = 1,
        limit: Annotated[int, Query(ge=1, le=100, description="movies per page")] = 10,
        if_none_match: IfNoneMatch = None,
    ) -> Response:
        async def build() -> CachedResponse:
            found = await catalogue.list_page(page=page, limit=limit)
            links = representation.page_links(found)
            body = representation.page_bytes(found, links)
            return CachedResponse.of(body, (("Link", representation.link_header(links)),))

        return answer(await cache.get_or_build(f"page:{page}:{limit}", build), if_none_match)

    @router.get(
        "/by-title",
        response_model=MovieOut,
        summary="One movie by its title (case- and accent-insensitive)",
        responses={
            300: {
                "model": AmbiguousProblem,
                "description": "Several movies match; choose by year",
                "content": {PROBLEM_JSON: {}},  # served as a problem, like the errors
            },
            **_problems(404, 422, 503),
        },
    )
    async def movie_by_title(
        title: Annotated[str, Query(min_length=1, pattern=r"\S", examples=["The Matrix"])],
        year: Annotated[int | None, Query(description="narrows remakes to one")] = None,
        if_none_match: IfNoneMatch = None,
    ) -> Response:
        async def build() -> CachedResponse:
            try:
                movie = await catalogue.find_by_title(title, year=year)
            except AmbiguousTitle as ambiguous:
                problem = problem_for(ambiguous)
                body = problem_body(
                    problem.status, problem.detail, problem.kind, **problem.extensions
                )
                return CachedResponse.of(body, status=300)
            return CachedResponse.of(representation.movie_bytes(movie))

        cached = await cache.get_or_build(f"title:{year}:{match_key(title)}", build)
        return answer(cached, if_none_match, JSON if cached.status == 200 else PROBLEM_JSON)

    @router.get(
        "/{movie_id}",
        response_model=MovieOut,
        summary="One movie by its IMDb id",
        responses=_problems(404, 422, 503),
    )
    async def movie_by_id(movie_id: MovieId, if_none_match: IfNoneMatch = None) -> Response:
        async def build() -> CachedResponse:
            return CachedResponse.of(representation.movie_bytes(await catalogue.get(movie_id)))

        return answer(await cache.get_or_build(f"id:{movie_id}", build), if_none_match)

    add_caller = require_scope(keys, "movies:add") if require_key_for_add else optional_key(keys)

    @router.post(
        "",
        status_code=201,
        response_model=MovieOut,
        summary="Add a movie by title; every detail comes from OMDb",
        responses=_problems(401, 403, 404, 409, 422, 429, 502, 503, 504),
        openapi_extra={
            "requestBody": {
                "required": True,
                # Inline: no declared parameter uses AddMovie, so a $ref to components
                # would point at a schema FastAPI never emits.
                "content": {"application/json": {"schema": AddMovie.model_json_schema()}},
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
        movie = await catalogue.add(wanted.title, year=wanted.year, type=wanted.type)
        return Response(
            representation.movie_bytes(movie),
            201,
            headers={"Location": f"/movies/{movie.id}"},
            media_type=JSON,
        )

    @router.delete(
        "/{movie_id}",
        status_code=204,
        summary="Remove a movie (API key with the movies:delete scope)",
        dependencies=[Depends(require_scope(keys, "movies:delete"))],
        responses=_problems(401, 403, 404, 422, 503),
    )
    async def delete_movie(movie_id: MovieId) -> Response:
        await catalogue.delete(movie_id)
        return Response(status_code=204)

    return router


def _body_errors(invalid: ValidationError) -> RequestValidationError:
    """Body errors located under ``body``, as FastAPI reports its own."""
    return RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in invalid.errors()])
