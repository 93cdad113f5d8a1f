"""Bytes on the wire for movies and pages. A movie is its stored JSON document; a page is
those documents concatenated inside the page's own fields, so no movie is serialised twice."""

from __future__ import annotations

from typing import Any

import orjson

from movies_api.domain.document import movie_document
from movies_api.domain.movie import Movie
from movies_api.http.listing_params import cursor_link, page_link
from movies_api.services.catalogue import Page

Links = dict[str, str | None]


def movie_bytes(movie: Movie) -> bytes:
    """A movie's JSON document, as every route answering one movie sends it."""
    return movie_document(movie)


def page_links(page: Page, self_link: str) -> Links:
    """Links of contract §2, keeping the listing's parameters. Past the end, ``prev``
    points at the last page; a page reached by cursor has no ``prev`` or ``last``, and its
    ``next`` is the next cursor's link."""
    listing, limit = page.listing, page.limit
    if page.page is None:
        after = cursor_link(listing, page.next_cursor, limit) if page.next_cursor else None
        return {
            "self": self_link,
            "first": page_link(listing, 1, limit),
            "prev": None,
            "next": after,
            "last": None,
        }
    last = page.pages or 0
    number = page.page
    return {
        "self": self_link,
        "first": page_link(listing, 1, limit),
        "prev": page_link(listing, min(number - 1, last), limit) if number > 1 and last else None,
        "next": page_link(listing, number + 1, limit) if number < last else None,
        "last": page_link(listing, last, limit) if last else None,
    }


def link_header(links: Links) -> str:
    """The same links as an RFC 8288 ``Link`` header."""
    return ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items() if url)


def page_bytes(page: Page, links: Links) -> bytes:
    """A page's JSON document (``MoviePage`` in OpenAPI), with its ``links``."""
    rest: dict[str, Any] = {
        "page": page.page,
        "limit": page.limit,
        "total": page.total,
        "total_exact": page.total_exact,
        "pages": page.pages,
        "links": links,
        "next_cursor": page.next_cursor,
    }
    return b'{"items":[' + b",".join(page.items) + b"]," + orjson.dumps(rest)[1:]
