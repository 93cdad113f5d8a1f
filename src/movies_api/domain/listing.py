"""What a listing of the catalogue holds and in what order (contract §2 "Search, filters
and sort"), as one value every layer shares.

A ``Listing`` is already canonical: words and names are folded as titles are, genres
sorted and unique. Two requests that mean the same listing therefore build equal
values, spell the same links and share cache entries and cursors.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class SortField(StrEnum):
    """What a listing can be sorted by, as the ``sort`` parameter names it."""

    TITLE = "title"
    YEAR = "year"
    RATING = "rating"
    ADDED = "added"
    RELEVANCE = "relevance"


@dataclass(frozen=True, slots=True)
class Sort:
    """A sort field and its direction; spelled ``year`` or ``-year`` on the wire."""

    field: SortField
    descending: bool = False

    @classmethod
    def parse(cls, text: str) -> Sort:
        """The sort ``text`` names; ``ValueError`` for anything not in ``SORTS``."""
        if text not in SORTS:
            raise ValueError(f"expected one of {', '.join(SORTS)}")
        return cls(SortField(text.removeprefix("-")), text.startswith("-"))

    def __str__(self) -> str:
        return ("-" if self.descending else "") + self.field.value


TITLE_ORDER: Final = Sort(SortField.TITLE)
RELEVANCE: Final = Sort(SortField.RELEVANCE)
SORTS: Final = (
    "title",
    "-title",
    "year",
    "-year",
    "rating",
    "-rating",
    "added",
    "-added",
    "relevance",
)
# Types a listing can be narrowed to: the ones OMDb gives (it also has "game").
LISTED_TYPES: Final = ("movie", "series", "episode", "game")
# Beyond this many matches a filtered listing stops counting (contract §2).
COUNT_CAP: Final = 10_000

# A position in a listing's order: the sort values of the last movie seen (the tier
# first when ordered by relevance), as JSON-safe scalars.
Position = tuple[str | int | float, ...]


@dataclass(frozen=True, slots=True)
class Listing:
    """The movies of one listing: search words, filters, and the order they come in."""

    words: tuple[str, ...] = ()
    genres: tuple[str, ...] = ()
    type: str | None = None
    year: int | None = None
    year_min: int | None = None
    year_max: int | None = None
    director: str | None = None
    actor: str | None = None
    rating_min: float | None = None
    sort: Sort = TITLE_ORDER

    @property
    def filtered(self) -> bool:
        """Whether anything narrows the catalogue (then totals are counted, and capped)."""
        return any(value not in (None, ()) for value in self._filters())

    @property
    def plain(self) -> bool:
        """The whole catalogue in title order: the listing with a maintained total."""
        return not self.filtered and self.sort == TITLE_ORDER

    @property
    def default_sort(self) -> Sort:
        return RELEVANCE if self.words else TITLE_ORDER

    def parameters(self) -> list[tuple[str, str]]:
        """The listing as query parameters, in one canonical order; the default sort is left out."""
        pairs: list[tuple[str, str]] = []
        if self.words:
            pairs.append(("q", " ".join(self.words)))
        pairs.extend(("genre", genre) for genre in self.genres)
        for name, value in (
            ("type", self.type),
            ("year", self.year),
            ("year_min", self.year_min),
            ("year_max", self.year_max),
            ("director", self.director),
            ("actor", self.actor),
            ("rating_min", self.rating_min),
        ):
            if value is not None:
                pairs.append((name, _spell(value)))
        if self.sort != self.default_sort:
            pairs.append(("sort", str(self.sort)))
        return pairs

    def fingerprint(self) -> str:
        """A short digest of the parameters: what a cursor is bound to."""
        text = "&".join(f"{name}={value}" for name, value in self.parameters())
        return hashlib.blake2b(f"{text}|{self.sort}".encode(), digest_size=9).hexdigest()

    def _filters(self) -> tuple[object, ...]:
        return (
            self.words,
            self.genres,
            self.type,
            self.year,
            self.year_min,
            self.year_max,
            self.director,
            self.actor,
            self.rating_min,
        )


def _spell(value: str | int | float) -> str:
    """Numbers as people write them: ``7`` rather than ``7.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True, slots=True)
class Listed:
    """A movie as a listing holds it: its JSON document, and its position for a cursor."""

    document: bytes
    position: Position


@dataclass(frozen=True, slots=True)
class ListingSlice:
    """Consecutive movies of a listing, how many the listing holds, and whether more follow.

    ``total`` is exact for the whole catalogue; for a filtered listing counting stops past
    ``COUNT_CAP`` and ``total_exact`` is then False.
    """

    items: tuple[Listed, ...]
    total: int
    total_exact: bool
    more: bool
