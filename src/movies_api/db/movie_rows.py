"""Everything a stored movie's rows hold beside its details, derived in this one place.

Every write of a movie (add, refresh, the migration that backfills, the scale benchmark's
loader) derives its rows here, so the keys reads rely on can never disagree with the
details they come from.

Sort keys are never null: a missing value takes a sentinel past every real one, so
"missing values last" holds in both directions with plain ascending indexes, and a
descending order is the ascending order of the negated value (real years have four
digits, ratings are 0-10).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, Final

from movies_api.domain.document import movie_document
from movies_api.domain.movie import Movie, MovieDetails
from movies_api.domain.titles import match_key, sort_key, words

YEAR_MISSING: Final = 10_000  # after every four-digit year
YEAR_DESC_MISSING: Final = 0  # after every negated year
RATING_MISSING: Final = 11.0  # after every rating (0-10)
RATING_DESC_MISSING: Final = 1.0  # after every negated rating
LISTS: Final = ("genres", "directors", "writers", "actors", "languages", "countries")
ROLES: Final = {"directors": "d", "writers": "w", "actors": "a"}
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_DETAIL_FIELDS: Final = tuple(field.name for field in fields(MovieDetails))


def detail_values(details: MovieDetails) -> dict[str, Any]:
    """The ``movies`` columns a movie's details fill, with the keys derived from them."""
    values = {name: getattr(details, name) for name in _DETAIL_FIELDS}
    for name in LISTS:
        values[name] = list(values[name])
    values["ratings"] = [{"source": r.source, "value": r.value} for r in details.ratings]
    values["title_key"] = sort_key(details.title)
    values["match_key"] = match_key(details.title)
    year, rating = details.year, details.imdb_rating
    values["year_key"] = YEAR_MISSING if year is None else year
    values["year_desc_key"] = YEAR_DESC_MISSING if year is None else -year
    values["rating_key"] = RATING_MISSING if rating is None else rating
    values["rating_desc_key"] = RATING_DESC_MISSING if rating is None else -rating
    return values


def stored_values(movie: Movie) -> dict[str, Any]:
    """Every ``movies`` column of a movie as stored: details, stamps, keys and document."""
    assert movie.added_at is not None
    assert movie.refreshed_at is not None
    added = microseconds(movie.added_at)
    return {
        **detail_values(movie),
        "added_at": movie.added_at,
        "refreshed_at": movie.refreshed_at,
        "added_key": added,
        "added_desc_key": -added,
        "document": movie_document(movie),
    }


def microseconds(moment: datetime) -> int:
    """``moment`` as whole microseconds since 1970 (UTC): an exact integer sort key."""
    delta = moment - _EPOCH if moment.tzinfo else moment.replace(tzinfo=UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def genre_rows(details: MovieDetails) -> Iterator[dict[str, str]]:
    """The ``movie_genres`` rows: each folded genre once."""
    for key in dict.fromkeys(match_key(genre) for genre in details.genres):
        if key:
            yield {"movie_id": details.id, "genre_key": key}


def people_rows(details: MovieDetails) -> Iterator[dict[str, Any]]:
    """The ``movie_people`` rows: each folded name once per role, with the movie's
    title-order keys."""
    title_key = sort_key(details.title)
    year_key = YEAR_MISSING if details.year is None else details.year
    for field, role in ROLES.items():
        names: tuple[str, ...] = getattr(details, field)
        for key in dict.fromkeys(match_key(name) for name in names):
            if key:
                yield {
                    "movie_id": details.id,
                    "role": role,
                    "name_key": key,
                    "title_key": title_key,
                    "year_key": year_key,
                }


@dataclass(frozen=True, slots=True)
class SearchWords:
    """A movie's words in the three groups relevance ranks (contract §2): its title, its
    people and genres, its plot."""

    title: tuple[str, ...]
    people: tuple[str, ...]
    plot: tuple[str, ...]

    @property
    def every(self) -> set[str]:
        """Each word once, whatever group it is in: what the word counts count."""
        return {*self.title, *self.people, *self.plot}

    @classmethod
    def of(cls, details: MovieDetails) -> SearchWords:
        people = [*details.genres, *details.directors, *details.writers, *details.actors]
        return cls(
            title=_unique(words(details.title)),
            people=_unique(word for name in people for word in words(name)),
            plot=_unique(words(details.plot or "")),
        )


def _unique(found: Iterator[str] | list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(found))
