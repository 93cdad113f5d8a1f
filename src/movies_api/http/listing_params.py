"""``GET /movies``'s query (contract §2), read in one place.

The route, the cached-read fast path and the web UI all read a listing request through
``parse``, and all name it by ``ListingRequest.cache_key`` — the canonical spelling that
is also its ``self`` link. So the same search spelled in another parameter order, case or
accent is one cache entry, and a parameter added here is known to every reader at once.
``PARAMETERS`` describes the same parameters to OpenAPI.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

from movies_api.domain.listing import (
    LISTED_TYPES,
    RELEVANCE,
    SORTS,
    TITLE_ORDER,
    Listing,
    Sort,
)
from movies_api.domain.titles import match_key, words

PATH: Final = "/movies"
DEFAULT_LIMIT: Final = 10
MAX_LIMIT: Final = 100
MAX_PAGE: Final = 2**31 - 1  # keeps every page number representable in the JSON we send
MAX_Q: Final = 200
MAX_NAME: Final = 200
MAX_GENRES: Final = 10
MAX_CURSOR: Final = 4096
YEARS: Final = (1800, 9999)
_DIGITS = re.compile(r"[0-9]{1,10}")
_YEAR = re.compile(r"[0-9]{4}")
_NUMBER = re.compile(r"[0-9]{1,2}(?:\.[0-9]{1,6})?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

Query = Mapping[str, Sequence[str]]


class InvalidListing(Exception):
    """Parameters that do not make a listing; each error names its parameter."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class ListingRequest:
    """A valid listing request: which listing, which page of it (or cursor), how many."""

    listing: Listing
    limit: int = DEFAULT_LIMIT
    page: int | None = None
    cursor: str | None = None

    @property
    def cache_key(self) -> str:
        """The request's canonical form (its ``self`` link): equal for every spelling."""
        if self.cursor is not None:
            return cursor_link(self.listing, self.cursor, self.limit)
        return page_link(self.listing, self.page or 1, self.limit)


@functools.lru_cache(maxsize=4096)
def page_link(listing: Listing, page: int, limit: int) -> str:
    """The canonical link to page ``page`` of ``listing``.

    Memoised: a page names up to five such links, and urlencoding them cost more than
    reading the page's rows.
    """
    return _link(listing, [("page", str(page)), ("limit", str(limit))])


def cursor_link(listing: Listing, cursor: str, limit: int) -> str:
    """The canonical link to the movies of ``listing`` after ``cursor``."""
    return _link(listing, [("cursor", cursor), ("limit", str(limit))])


def _link(listing: Listing, tail: list[tuple[str, str]]) -> str:
    return f"{PATH}?{urlencode([*listing.parameters(), *tail])}"


def parse_query_string(query_string: str) -> ListingRequest:
    """``parse`` for a raw query string, decoded as Starlette decodes it."""
    values: dict[str, list[str]] = {}
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        values.setdefault(name, []).append(value)
    return parse(values)


def parse(query: Query) -> ListingRequest:
    """The listing request ``query`` makes; ``InvalidListing`` naming every bad parameter.

    Parameters the route does not know are ignored; of a parameter given twice, the last
    value counts (as FastAPI reads its parameters), except ``genre``, which repeats.
    """
    errors: list[tuple[str, str]] = []

    def read(name: str, convert: Callable[[str], Any]) -> Any:
        values = query.get(name)
        if not values:
            return None
        try:
            return convert(values[-1])
        except ValueError as error:
            errors.append((name, str(error)))
            return None

    q = read("q", _search_words)
    genres = set()
    for value in query.get("genre", ()):
        try:
            genres.add(_name(value))
        except ValueError as error:
            errors.append(("genre", str(error)))
    if len(genres) > MAX_GENRES:
        errors.append(("genre", f"at most {MAX_GENRES} genres"))
    year_min, year_max = read("year_min", _year), read("year_max", _year)
    if year_min is not None and year_max is not None and year_min > year_max:
        errors.append(("year_min", "must not be above year_max"))
    sort = read("sort", Sort.parse)
    if sort == RELEVANCE and not q:
        errors.append(("sort", "relevance needs q"))
    page, cursor = read("page", _page), read("cursor", _cursor)
    if page is not None and cursor is not None:
        errors.append(("cursor", "give either page or cursor, not both"))
    listing = Listing(
        words=tuple(q or ()),
        genres=tuple(sorted(genres)),
        type=read("type", _type),
        year=read("year", _year),
        year_min=year_min,
        year_max=year_max,
        director=read("director", _name),
        actor=read("actor", _name),
        rating_min=read("rating_min", _rating),
        sort=sort or (RELEVANCE if q else TITLE_ORDER),
    )
    limit = read("limit", _limit)
    if errors:
        raise InvalidListing(errors)
    return ListingRequest(listing, limit or DEFAULT_LIMIT, page, cursor)


def _search_words(value: str) -> list[str]:
    if not value.strip():
        raise ValueError("must not be blank")
    if len(value) > MAX_Q:
        raise ValueError(f"at most {MAX_Q} characters")
    found = words(value)
    if not found:
        raise ValueError("must hold a word (letters or digits)")
    return found


def _name(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    if len(value) > MAX_NAME or _CONTROL.search(value):
        raise ValueError(f"at most {MAX_NAME} characters, no control characters")
    return match_key(value)


def _whole(value: str, low: int, high: int) -> int:
    if not _DIGITS.fullmatch(value) or not low <= int(value) <= high:
        raise ValueError(f"must be an integer from {low} to {high}")
    return int(value)


def _page(value: str) -> int:
    return _whole(value, 1, MAX_PAGE)


def _limit(value: str) -> int:
    return _whole(value, 1, MAX_LIMIT)


def _year(value: str) -> int:
    if not _YEAR.fullmatch(value) or not YEARS[0] <= int(value) <= YEARS[1]:
        raise ValueError(f"must be a year: an integer from {YEARS[0]} to {YEARS[1]}")
    return int(value)


def _rating(value: str) -> float:
    number = float(value) if _NUMBER.fullmatch(value) else math.nan
    if not 0 <= number <= 10:
        raise ValueError("must be a number from 0 to 10")
    return number


def _type(value: str) -> str:
    if value.lower() not in LISTED_TYPES:
        raise ValueError(f"must be one of {', '.join(LISTED_TYPES)}")
    return value.lower()


def _cursor(value: str) -> str:
    if not value or len(value) > MAX_CURSOR:
        raise ValueError("is malformed")
    return value


def _sort_doc() -> str:
    fields = ", ".join(f"`{name}`" for name in SORTS)
    return f"One of {fields}; `-` means descending. Default `relevance` with `q`, else `title`."


# OpenAPI for the parameters ``parse`` reads: name, schema, description, example.
PARAMETERS: Final[list[dict[str, Any]]] = [
    {
        "name": "q",
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_Q},
        "description": "Words to search for in titles, genres, people and plots; every word "
        "must match a whole word (case- and accent-insensitive), the last one also as a "
        "prefix. Orders by relevance unless `sort` says otherwise.",
        "example": "matr",
    },
    {
        "name": "genre",
        "schema": {"type": "array", "items": {"type": "string"}, "maxItems": MAX_GENRES},
        "style": "form",
        "explode": True,
        "description": "Only movies with this genre; repeat it to require several.",
        "example": ["Drama"],
    },
    {
        "name": "type",
        "schema": {"type": "string", "enum": list(LISTED_TYPES)},
        "description": "Only movies of this type.",
        "example": "movie",
    },
    {
        "name": "year",
        "schema": {"type": "integer", "minimum": YEARS[0], "maximum": YEARS[1]},
        "description": "Only movies from this year.",
        "example": 1999,
    },
    {
        "name": "year_min",
        "schema": {"type": "integer", "minimum": YEARS[0], "maximum": YEARS[1]},
        "description": "Only movies from this year or later.",
        "example": 2000,
    },
    {
        "name": "year_max",
        "schema": {"type": "integer", "minimum": YEARS[0], "maximum": YEARS[1]},
        "description": "Only movies from this year or earlier.",
        "example": 2010,
    },
    {
        "name": "director",
        "schema": {"type": "string", "maxLength": MAX_NAME},
        "description": "Only movies this person directed (the whole name, any case or accents).",
        "example": "Christopher Nolan",
    },
    {
        "name": "actor",
        "schema": {"type": "string", "maxLength": MAX_NAME},
        "description": "Only movies this person acted in (the whole name).",
        "example": "Keanu Reeves",
    },
    {
        "name": "rating_min",
        "schema": {"type": "number", "minimum": 0, "maximum": 10},
        "description": "Only movies with an IMDb rating at least this high.",
        "example": 7.5,
    },
    {
        "name": "sort",
        "schema": {"type": "string", "enum": list(SORTS)},
        "description": _sort_doc() + " Ties in title order, then id; missing values last.",
        "example": "-rating",
    },
    {
        "name": "page",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
        "description": "1-based page number (not with `cursor`).",
        "example": 1,
    },
    {
        "name": "limit",
        "schema": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_LIMIT,
            "default": DEFAULT_LIMIT,
        },
        "description": "Movies per page.",
        "example": DEFAULT_LIMIT,
    },
    {
        "name": "cursor",
        "schema": {"type": "string", "maxLength": MAX_CURSOR},
        "description": "The `next_cursor` of the page before, for the movies that follow it "
        "(send the same search, filters and sort). Costs the same at any depth.",
    },
]
for _parameter in PARAMETERS:
    _parameter["in"] = "query"
    _parameter["required"] = False
