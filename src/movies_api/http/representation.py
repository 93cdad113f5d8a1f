"""Bytes on the wire for movies and pages: orjson serialises the domain dataclasses
directly (field names already match contract §1), which keeps uncached reads cheap."""

from __future__ import annotations

from typing import Any

import orjson

from movies_api.domain.movie import Movie
from movies_api.services.catalogue import Page

_OPTIONS = orjson.OPT_UTC_Z


def movie_bytes(movie: Movie) -> bytes:
    return orjson.dumps(movie, option=_OPTIONS)


def page_link(page: int, limit: int) -> str:
    return f"/movies?page={page}&limit={limit}"


def page_links(page: Page) -> dict[str, str | None]:
    """Links of contract §2: past the end, ``prev`` points at the last page."""
    last = page.pages
    link = page_link
    return {
        "self": link(page.page, page.limit),
        "first": link(1, page.limit),
        "prev": link(min(page.page - 1, last), page.limit) if page.page > 1 and last else None,
        "next": link(page.page + 1, page.limit) if page.page < last else None,
        "last": link(last, page.limit) if last else None,
    }


def link_header(links: dict[str, str | None]) -> str:
    """The same links as an RFC 8288 ``Link`` header."""
    return ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items() if url)


def page_bytes(page: Page, links: dict[str, str | None]) -> bytes:
    document: dict[str, Any] = {
        "items": page.items,
        "page": page.page,
        "limit": page.limit,
        "total": page.total,
        "pages": page.pages,
        "links": links,
    }
    return orjson.dumps(document, option=_OPTIONS)
