"""``GET /movies/{id}/poster`` (contract §2): the poster through the service, so pages
never send browsers to another host."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from starlette.responses import Response

from movies_api.http import openapi as doc
from movies_api.http.conditional import etag_matches
from movies_api.http.routes.movies import PREFIX, MovieId
from movies_api.services.posters import PosterService

# A poster's URL changes when its movie's poster does (the UI adds a version to it), so
# browsers may keep one for a day without asking again.
CACHE_CONTROL: Final = "public, max-age=86400"
CACHE_CONTROL_DOC: Final = {
    "description": "`public, max-age=86400`: browsers and shared caches may keep it a day.",
    "schema": {"type": "string"},
    "example": CACHE_CONTROL,
}
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
                "description": "The poster image, in the content type its host sent.",
                "content": {"image/*": {"schema": {"type": "string", "format": "binary"}}},
                "headers": {"ETag": doc.ETAG, "Cache-Control": CACHE_CONTROL_DOC},
            },
            304: {
                "description": "The `If-None-Match` header names this image's `ETag`: no body.",
                "headers": {"ETag": doc.ETAG, "Cache-Control": CACHE_CONTROL_DOC},
            },
            **doc.problem(
                404,
                "No stored movie has this id, it has no poster, or its poster could not be "
                "fetched (draw a placeholder).",
                "movie-not-found",
                "poster-not-found",
            ),
            **doc.INVALID_ID,
            **doc.DATABASE_UNAVAILABLE,
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
