"""``GET /movies/{id}/poster`` (contract §2): the poster through the service, so pages
never send browsers to another host."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from starlette.responses import Response

from movies_api.http.conditional import etag_matches
from movies_api.http.routes.movies import PREFIX, MovieId
from movies_api.http.schemas import problem_responses
from movies_api.services.posters import PosterService

# A poster's URL changes when its movie's poster does (the UI adds a version to it), so
# browsers may keep one for a day without asking again.
CACHE_CONTROL: Final = "public, max-age=86400"
# Opened on its own, an SVG is a document: this keeps any script in it from running here.
POLICY: Final = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def build_router(*, posters: PosterService) -> APIRouter:
    """The poster route, closed over the poster service."""
    router = APIRouter(prefix=PREFIX, tags=["movies"])

    @router.get(
        "/{movie_id}/poster",
        response_class=Response,
        summary="The movie's poster image, fetched once by the service and cached",
        description=(
            "The image at the movie's `poster_url`, fetched by the service (once, then kept "
            "in a byte-bounded cache) and served with its image content type, an `ETag` and "
            "`Cache-Control: public`. 404 when the movie is unknown, has no poster, or the "
            "poster cannot be fetched: draw a placeholder then."
        ),
        responses={
            200: {
                "description": "The poster image",
                "content": {"image/*": {"schema": {"type": "string", "format": "binary"}}},
            },
            304: {"description": "The client's copy (its `If-None-Match`) is current"},
            **problem_responses(404, 422, 503),
        },
    )
    async def movie_poster(request: Request, movie_id: MovieId) -> Response:
        poster = await posters.poster(movie_id)
        headers = {
            "ETag": poster.etag,
            "Cache-Control": CACHE_CONTROL,
            "Content-Security-Policy": POLICY,
            "X-Content-Type-Options": "nosniff",  # an image is never read as anything else
        }
        if etag_matches(request.headers.get("if-none-match"), poster.etag):
            return Response(status_code=304, headers=headers)
        return Response(poster.body, media_type=poster.content_type, headers=headers)

    return router
