"""The movie as every layer sees it: typed, normalised, independent of OMDb and SQL."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Final

# ASCII digits: the contract's \d would admit any Unicode digit in Python and in pydantic.
MOVIE_ID_PATTERN: Final = r"^tt[0-9]{7,10}$"
_MOVIE_ID = re.compile(MOVIE_ID_PATTERN)

MOVIE_TYPES: Final = ("movie", "series", "episode")


def is_movie_id(value: str) -> bool:
    """Tell an IMDb id (``tt`` and 7 to 10 digits) from anything else."""
    return _MOVIE_ID.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class Rating:
    """One critic's score as OMDb reports it (``"8.7/10"``, ``"87%"``): kept verbatim."""

    source: str
    value: str


@dataclass(frozen=True, slots=True)
class MovieDetails:
    """Everything OMDb tells about a title, already normalised (contract §1)."""

    id: str
    title: str
    year: int | None
    type: str
    rated: str | None = None
    released: date | None = None
    runtime_minutes: int | None = None
    genres: tuple[str, ...] = ()
    directors: tuple[str, ...] = ()
    writers: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    plot: str | None = None
    languages: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    awards: str | None = None
    poster_url: str | None = None
    ratings: tuple[Rating, ...] = ()
    metascore: int | None = None
    imdb_rating: float | None = None
    imdb_votes: int | None = None
    dvd: date | None = None
    box_office_usd: int | None = None
    production: str | None = None
    website: str | None = None


@dataclass(frozen=True, slots=True)
class Movie(MovieDetails):
    """A movie as stored in the catalogue: its details plus when it was stored and when its
    details last came from OMDb (both UTC)."""

    added_at: datetime | None = None
    refreshed_at: datetime | None = None

    @classmethod
    def stored(
        cls, details: MovieDetails, *, added_at: datetime, refreshed_at: datetime | None = None
    ) -> Movie:
        """The movie ``details`` became when stored at ``added_at`` (and fetched again at
        ``refreshed_at``; until then that is ``added_at``)."""
        values = {field.name: getattr(details, field.name) for field in fields(details)}
        return cls(**values, added_at=added_at, refreshed_at=refreshed_at or added_at)


@dataclass(frozen=True, slots=True)
class MovieSummary:
    """A search hit: enough of a title for a person to pick it before adding it by id."""

    id: str
    title: str
    year: int | None
    type: str
    poster_url: str | None


@dataclass(frozen=True, slots=True)
class MovieRef:
    """Enough of a movie to tell remakes apart when a title matches several."""

    id: str
    title: str
    year: int | None
