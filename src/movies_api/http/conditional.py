"""Answer cached responses, honouring ``If-None-Match`` with a bodiless 304."""

from __future__ import annotations

from starlette.responses import Response

from movies_api.cache.responses import CachedResponse

JSON = "application/json"
# Clients may keep a copy but must revalidate: any write can change any page.
CACHE_CONTROL = "no-cache"


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weakly compared, as for GET)."""
    return if_none_match is not None and _matches(if_none_match, etag)


def _matches(if_none_match: str, etag: str) -> bool:
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))


def answer(cached: CachedResponse, if_none_match: str | None, media_type: str = JSON) -> Response:
    """The cached response, or 304 when the client already holds these bytes."""
    headers = {"ETag": cached.etag, "Cache-Control": CACHE_CONTROL}
    headers.update(cached.headers)
    if if_none_match is not None and cached.status == 200 and _matches(if_none_match, cached.etag):
        return Response(status_code=304, headers=headers)
    return Response(cached.body, cached.status, headers=headers, media_type=media_type)
