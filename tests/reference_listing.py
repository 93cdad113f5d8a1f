"""Contract §2's listings (search, filters, sort) computed in plain Python, apart from the
service's code: the answer every backend's SQL is compared with.

Written from the contract's words, not from ``movies_api``: its own folding (via
``reference_key``), its own word splitting, sorts by stable Python sorts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from movies_api.domain.movie import Movie
from tests.reference_catalogue import reference_key

COUNT_CAP = 10_000


def fold(text: str) -> str:
    """The title key, white space collapsed: how names, genres and titles compare."""
    return " ".join(reference_key(text).split())


def split_words(text: str) -> list[str]:
    """Runs of letters and digits of the folded text."""
    found, current = [], []
    for ch in reference_key(text):
        if ch.isalnum():
            current.append(ch)
        elif current:
            found.append("".join(current))
            current = []
    if current:
        found.append("".join(current))
    return found


def title_position(movie: Movie) -> tuple[str, bool, int, str]:
    return (reference_key(movie.title), movie.year is None, movie.year or 0, movie.id)


@dataclass(frozen=True)
class Query:
    """A listing request's meaning, with the contract's parameter names."""

    q: str | None = None
    genre: tuple[str, ...] = ()
    type: str | None = None
    year: int | None = None
    year_min: int | None = None
    year_max: int | None = None
    director: str | None = None
    actor: str | None = None
    rating_min: float | None = None
    sort: str | None = None

    def params(self) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = [("genre", g) for g in self.genre]
        for name in ("q", "type", "year", "year_min", "year_max", "director", "actor"):
            value = getattr(self, name)
            if value is not None:
                pairs.append((name, str(value)))
        if self.rating_min is not None:
            pairs.append(("rating_min", str(self.rating_min)))
        if self.sort is not None:
            pairs.append(("sort", self.sort))
        return pairs


# What the reference reads of one movie, worked out once: the 12,000-movie checks ask for
# the same movies' words and names in every listing.


@functools.lru_cache(maxsize=65_536)
def _word_groups(movie: Movie) -> tuple[frozenset[str], ...]:
    """The words of the title; of the genres and people; of the plot."""
    people = (*movie.genres, *movie.directors, *movie.writers, *movie.actors)
    return (
        frozenset(split_words(movie.title)),
        frozenset(w for name in people for w in split_words(name)),
        frozenset(split_words(movie.plot or "")),
    )


@functools.lru_cache(maxsize=65_536)
def _names(movie: Movie) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The folded genres, directors and actors."""
    return (
        frozenset(fold(g) for g in movie.genres),
        frozenset(fold(d) for d in movie.directors),
        frozenset(fold(a) for a in movie.actors),
    )


def tier(movie: Movie, words: Sequence[str]) -> int | None:
    """0: every word in the title; 1: in title, genres and people; 2: anywhere; None: no match."""
    *whole, last = words
    seen: set[str] = set()
    for level, group in enumerate(_word_groups(movie)):
        seen |= group
        if all(w in seen for w in whole) and any(w.startswith(last) for w in seen):
            return level
    return None


def _matches(movie: Movie, query: Query) -> bool:
    if query.q is not None and tier(movie, split_words(query.q)) is None:
        return False
    if query.genre or query.director is not None or query.actor is not None:
        genres, directors, actors = _names(movie)
        if any(fold(g) not in genres for g in query.genre):
            return False
        if query.director is not None and fold(query.director) not in directors:
            return False
        if query.actor is not None and fold(query.actor) not in actors:
            return False
    if query.type is not None and movie.type != query.type.lower():
        return False
    if query.year is not None and movie.year != query.year:
        return False
    if query.year_min is not None and (movie.year is None or movie.year < query.year_min):
        return False
    if query.year_max is not None and (movie.year is None or movie.year > query.year_max):
        return False
    rating = movie.imdb_rating
    return query.rating_min is None or (rating is not None and rating >= query.rating_min)


def _then(
    movies: list[Movie], key: Callable[[Movie], Any], *, descending: bool = False
) -> list[Movie]:
    """Stable sort by ``key`` (missing values last either way) over the order ``movies`` has."""
    present = [m for m in movies if key(m) is not None]
    missing = [m for m in movies if key(m) is None]
    return sorted(present, key=key, reverse=descending) + missing


@dataclass
class Reference:
    """A catalogue and the listings of it."""

    movies: list[Movie] = field(default_factory=list)

    @classmethod
    def of(cls, movies: Iterable[Movie]) -> Reference:
        return cls(list(movies))

    def listing(self, query: Query) -> list[Movie]:
        """Every movie of the listing, in its order."""
        chosen = sorted((m for m in self.movies if _matches(m, query)), key=title_position)
        sort = query.sort or ("relevance" if query.q else "title")
        descending, name = sort.startswith("-"), sort.removeprefix("-")
        if name == "title" and descending:
            return _then(chosen, lambda m: reference_key(m.title), descending=True)
        if name == "year":
            return _then(chosen, lambda m: m.year, descending=descending)
        if name == "rating":
            return _then(chosen, lambda m: m.imdb_rating, descending=descending)
        if name == "added":
            return _then(chosen, lambda m: m.added_at, descending=descending)
        if name == "relevance":
            words = split_words(query.q or "")
            return sorted(chosen, key=lambda m: tier(m, words) or 0)
        return chosen

    def ids(self, query: Query) -> list[str]:
        return [movie.id for movie in self.listing(query)]

    def total(self, query: Query) -> tuple[int, bool]:
        """The total a page reports: exact up to the cap, else the cap and not exact."""
        found = len(self.listing(query))
        return (found, True) if found <= COUNT_CAP else (COUNT_CAP, False)


def document_ids(documents: Iterable[bytes]) -> list[str]:
    """The ids of movies given as their JSON documents (what pages hold)."""
    return [orjson.loads(document)["id"] for document in documents]
