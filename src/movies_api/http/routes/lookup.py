"""``GET /omdb/search`` (contract §2): look before adding, then add by id."""

from __future__ import annotations

from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from movies_api.http.auth import optional_key, require_scope
from movies_api.http.conditional import JSON
from movies_api.http.rate_limit import RateLimiter
from movies_api.http.schemas import LookupPage, problem_responses
from movies_api.services.keys import KeyService
from movies_api.services.lookup import LookupService
from movies_api.services.ports import StoredKey

PATH = "/omdb/search"
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
        responses=problem_responses(401, 403, 422, 429, 502, 503, 504),
    )
    async def search_omdb(
        q: Annotated[
            str,
            Query(min_length=1, max_length=200, pattern=r"\S", description="words of the title"),
        ],
        year: Annotated[int | None, Query(ge=1800, le=9999, description="release year")] = None,
        type: Annotated[
            Literal["movie", "series", "episode"] | None, Query(description="default: any")
        ] = None,
        page: Annotated[int, Query(ge=1, le=100, description="OMDb pages 1 to 100")] = 1,
    ) -> Response:
        found = await lookup.search(q, year=year, type=type, page=page)
        body = orjson.dumps({"items": found.items, "page": found.page, "total": found.total})
        return Response(body, media_type=JSON, headers=_HEADERS)

    return router
