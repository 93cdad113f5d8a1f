"""``GET /omdb/search`` (contract §2): look before adding, then add by id."""

from __future__ import annotations

from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from movies_api.http import openapi as doc
from movies_api.http.auth import optional_key, require_scope
from movies_api.http.conditional import JSON
from movies_api.http.rate_limit import RateLimiter
from movies_api.http.schemas import LookupPage, field_examples
from movies_api.services.keys import KeyService
from movies_api.services.lookup import LookupService
from movies_api.services.ports import StoredKey

PATH = "/omdb/search"
_DUNE = [
    {
        "id": "tt0087182",
        "title": "Dune",
        "year": 1984,
        "type": "movie",
        "poster_url": "https://m.media-amazon.com/images/M/MV5BMGJlMGM3NDAtOWNhMy00MWExLWI2MzEtMDQ0ZDIzZDY5ZGQ1XkEyXkFqcGc@._V1_SX300.jpg",
        "stored": True,
    },
    {
        "id": "tt1160419",
        "title": "Dune",
        "year": 2021,
        "type": "movie",
        "poster_url": "https://m.media-amazon.com/images/M/MV5BMDQ0NjgyN2YtNWViNS00YjA3LTkxNDktYzFkZTExZGMxZDkxXkEyXkFqcGc@._V1_SX300.jpg",
        "stored": False,
    },
]
# The stored flags are true at the moment of the answer only: no one may keep it.
_HEADERS = {"Cache-Control": "no-store"}


def build_router(
    *,
    lookup: LookupService,
    keys: KeyService,
    limiter: RateLimiter,
    require_key_for_add: bool,
) -> APIRouter:
    """The lookup route, closed over the services the composition root built."""
    router = APIRouter(tags=["lookup"])
    # Searching spends the same OMDb quota adding does, so the same key guards it.
    caller = require_scope(keys, "movies:add") if require_key_for_add else optional_key(keys)

    async def counted(request: Request, key: StoredKey | None = Depends(caller)) -> None:
        # A dependency, so the key and then the rate limit are checked before the query (§2).
        await limiter.check(request, key)

    @router.get(
        PATH,
        response_model=LookupPage,
        summary="Search OMDb for titles to add, each marked with whether it is stored",
        description=(
            "OMDb's title search, 10 hits a page. Pick a hit and add it with "
            '`POST /movies` and `{"id": "<its id>"}`. Identical searches within '
            "`MOVIES_LOOKUP_CACHE_SECONDS` reuse OMDb's answer; `stored` is always current."
        ),
        dependencies=[Depends(counted)],
        responses={
            **doc.success(
                200,
                "OMDb's hits for the search, each marked `stored` or not; no hit is a 200 "
                "with `items: []` and `total: 0`.",
                example={**field_examples(LookupPage), "items": _DUNE},
                headers={"Cache-Control": doc.CACHE_CONTROL_NO_STORE},
            ),
            **doc.UNAUTHORISED,
            **doc.forbidden("movies:add"),
            **doc.problem(
                422,
                "`q` is blank, or `year`, `type` or `page` is out of range.",
                "validation-error",
            ),
            **doc.rate_limited("MOVIES_LOOKUP_RATE_LIMIT"),
            **doc.omdb_failures("Nothing is stored or cached."),
        },
    )
    async def search_omdb(
        q: Annotated[
            str,
            Query(
                min_length=1,
                max_length=200,
                pattern=r"\S",
                description="Words of the title.",
                examples=["dune"],
            ),
        ],
        year: Annotated[
            int | None,
            Query(ge=1800, le=9999, description="Only hits from this year.", examples=[1984]),
        ] = None,
        type: Annotated[
            Literal["movie", "series", "episode"] | None,
            Query(description="Only hits of this kind; any when absent.", examples=["movie"]),
        ] = None,
        page: Annotated[
            int, Query(ge=1, le=100, description="OMDb's page of 10 hits, 1 to 100.", examples=[1])
        ] = 1,
    ) -> Response:
        found = await lookup.search(q, year=year, type=type, page=page)
        body = orjson.dumps({"items": found.items, "page": found.page, "total": found.total})
        return Response(body, media_type=JSON, headers=_HEADERS)

    return router
