"""Addresses of the UI's pages. Every state of the catalogue page is a URL: the same query
parameters as ``GET /movies`` on ``/``, so a JSON link becomes a page link by its path, and
a search, a filter or a page can be bookmarked and shared."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

HOME: Final = "/"
PREFIX: Final = "/ui"
ADD: Final = PREFIX + "/add"
STATIC: Final = PREFIX + "/static"
PAGE_SIZE: Final = 24  # a grid of 2, 3, 4, 6 or 8 columns fills its rows
HUES: Final = 12  # placeholder colours: classes hue-0 … hue-11 in app.css


def movie_page(movie_id: str) -> str:
    """A movie's page. Under ``/ui``, not ``/movies/{id}``: that path is the JSON API's, and
    its cached fast path answers by path alone, before any content negotiation could."""
    return f"{PREFIX}/movies/{quote(movie_id)}"


def poster(movie_id: str, poster_url: str) -> str:
    """The poster through the service; the version changes when the poster URL does, so a
    browser's day-long copy never outlives a refreshed poster. (app.js computes the same.)"""
    return f"/movies/{quote(movie_id)}/poster?v={_fnv1a(poster_url)}"


def hue(movie_id: str) -> int:
    """A stable placeholder colour for a movie, 0 to ``HUES`` - 1 (app.js computes the same)."""
    return int(movie_id[2:]) % HUES if movie_id[2:].isdigit() else 0


def _fnv1a(text: str) -> str:
    """32-bit FNV-1a of the UTF-8 bytes, in hex: short, and easy to compute in JavaScript."""
    value = 0x811C9DC5
    for byte in text.encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return f"{value:08x}"


def catalogue(pairs: Iterable[tuple[str, str]]) -> str:
    """The catalogue page for these query parameters (page 1 and the page size left out)."""
    kept = [
        (name, value)
        for name, value in pairs
        if value != "" and (name, value) not in (("page", "1"), ("limit", str(PAGE_SIZE)))
    ]
    return HOME + ("?" + urlencode(kept) if kept else "")


def from_api(link: str | None) -> str | None:
    """The catalogue page a ``GET /movies`` link (``links.next`` …) shows."""
    if link is None:
        return None
    return catalogue(parse_qsl(urlsplit(link).query, keep_blank_values=True))


def filter_link(name: str, value: str) -> str:
    """The catalogue narrowed to one value: a genre, a person, a year, a type."""
    return catalogue([(name, value)])


def without(query: Mapping[str, Sequence[str]], name: str, value: str | None = None) -> str:
    """The page ``query`` shows, less one parameter (or one value of a repeated one), from
    page 1: what a "remove this filter" link points at."""
    pairs = [
        (key, item)
        for key, values in query.items()
        for item in values
        if key not in ("page", "cursor") and not (key == name and value in (None, item))
    ]
    return catalogue(pairs)
