"""Turn a raw OMDb record into ``MovieDetails`` (contract §1), whatever the record holds.

OMDb sends every value as a string and spells absence ``"N/A"``. A value that
does not parse (or is not a string at all) becomes ``None`` or ``()`` for its
field alone; only a record with no usable ``imdbID`` or ``Title`` is refused.
Parsing is locale-free (month names are matched here, not by ``strptime``) and
every int is bounded, so the result always fits a 32-bit SQL ``INTEGER``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Final

from movies_api.domain.movie import MovieDetails, MovieSummary, Rating, is_movie_id
from movies_api.omdb.errors import InvalidRecord

_INT_MAX: Final = 2**31 - 1
# int() of a few thousand digits is slow and past 4300 raises: junk that long is refused first.
_MAX_NUMBER_LENGTH: Final = 20
_METASCORE_MAX: Final = 100
_IMDB_RATING_MAX: Final = 10.0
_URL_SCHEMES: Final = ("http://", "https://")

# "1999", "2011\u20132019" (an en dash), "2011-" (a series still running).
_YEAR = re.compile(r"([1-9]\d{3})(?:\s*[-\u2013\u2014]\s*(?:\d{4})?)?", re.ASCII)
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2}) ([a-z]+)\.? (\d{4})", re.ASCII | re.IGNORECASE)
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_RUNTIME = re.compile(
    r"(?:(\d{1,4})\s*h(?:ours?|rs?)?)?\s*(?:(\d{1,6})\s*min(?:s|utes?)?)?",
    re.ASCII | re.IGNORECASE,
)
_GROUPED_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+|\d+", re.ASCII)
_DECIMAL = re.compile(r"\d{1,2}(?:\.\d{1,3})?", re.ASCII)

_MONTH_NAMES: Final = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTHS: Final = {
    spelling: number
    for number, name in enumerate(_MONTH_NAMES, start=1)
    for spelling in (name, name[:3])
}


def normalise(record: Mapping[str, object]) -> MovieDetails:
    """The movie an OMDb record describes; ``InvalidRecord`` when it has no id or title."""
    movie_id = imdb_id(record.get("imdbID"))
    if movie_id is None:
        raw = record.get("imdbID")
        shown = repr(raw[:40]) if isinstance(raw, str) else type(raw).__name__
        raise InvalidRecord(f"OMDb record has no valid imdbID (got {shown})")
    title = _text(record.get("Title"))
    if title is None:
        raise InvalidRecord(f"OMDb record {movie_id} has no Title")
    kind = _text(record.get("Type"))
    return MovieDetails(
        id=movie_id,
        title=title,
        year=_year(record.get("Year")),
        type=kind.lower() if kind else "movie",
        rated=_text(record.get("Rated")),
        released=_date(record.get("Released")),
        runtime_minutes=_runtime(record.get("Runtime")),
        genres=_names(record.get("Genre")),
        directors=_names(record.get("Director")),
        writers=_names(record.get("Writer")),
        actors=_names(record.get("Actors")),
        plot=_text(record.get("Plot")),
        languages=_names(record.get("Language")),
        countries=_names(record.get("Country")),
        awards=_text(record.get("Awards")),
        poster_url=_url(record.get("Poster")),
        ratings=_ratings(record.get("Ratings")),
        metascore=_number(record.get("Metascore"), maximum=_METASCORE_MAX),
        imdb_rating=_imdb_rating(record.get("imdbRating")),
        imdb_votes=_number(record.get("imdbVotes")),
        dvd=_date(record.get("DVD")),
        box_office_usd=_number(record.get("BoxOffice"), prefix="$"),
        production=_text(record.get("Production")),
        website=_url(record.get("Website")),
    )


def summary(item: Mapping[str, object]) -> MovieSummary | None:
    """One hit of an OMDb search (``Title``, ``Year``, ``imdbID``, ``Type``, ``Poster``), by
    the same rules as ``normalise``; None when it has no valid id or no title."""
    movie_id = imdb_id(item.get("imdbID"))
    title = _text(item.get("Title"))
    if movie_id is None or title is None:
        return None
    kind = _text(item.get("Type"))
    return MovieSummary(
        id=movie_id,
        title=title,
        year=_year(item.get("Year")),
        type=kind.lower() if kind else "movie",
        poster_url=_url(item.get("Poster")),
    )


def imdb_id(value: object) -> str | None:
    """``value`` as an IMDb id, or ``None``; ASCII digits only, since ids end up in URLs."""
    text = _text(value)
    return text if text is not None and text.isascii() and is_movie_id(text) else None


def _text(value: object) -> str | None:
    """A stripped string, or ``None`` for ``"N/A"``, blanks and non-strings.

    NUL characters and lone surrogates are dropped or replaced: PostgreSQL and
    UTF-8 encoders refuse them, and a JSON body may well carry them.
    """
    if not isinstance(value, str):
        return None
    if not value.isascii():
        value = value.encode("utf-8", "replace").decode("utf-8")
    text = value.replace("\x00", "").strip()
    return None if not text or text.casefold() == "n/a" else text


def _names(value: object) -> tuple[str, ...]:
    """``"A, B,, A"`` as ``("A", "B")``: trimmed, empties and repeats dropped, order kept."""
    text = _text(value)
    if text is None:
        return ()
    parts = (_text(part) for part in text.split(","))
    return tuple(dict.fromkeys(part for part in parts if part is not None))


def _year(value: object) -> int | None:
    """The first year of a single year or a range."""
    match = _YEAR.fullmatch(_text(value) or "")
    return int(match.group(1)) if match else None


def _date(value: object) -> date | None:
    """OMDb's ``"16 Jul 2010"`` or ISO ``"2010-07-16"``; other spellings and bad days: None."""
    text = _text(value) or ""
    if match := _DAY_MONTH_YEAR.fullmatch(text):
        day, month_name, year = match.groups()
        month = _MONTHS.get(month_name.lower(), 0)  # 0 makes date() refuse it
    elif match := _ISO_DATE.fullmatch(text):
        year, month_digits, day = match.groups()
        month = int(month_digits)
    else:
        return None
    try:
        return date(int(year), month, int(day))
    except ValueError:
        return None


def _runtime(value: object) -> int | None:
    """Minutes from ``"148 min"`` or ``"1 h 30 min"``; zero is no runtime."""
    match = _RUNTIME.fullmatch(_text(value) or "")
    if match is None:
        return None
    hours, minutes = (int(group or 0) for group in match.groups())
    total = hours * 60 + minutes
    return total if total > 0 else None


def _number(value: object, *, prefix: str = "", maximum: int = _INT_MAX) -> int | None:
    """``"2,345,678"``, after an optional ``prefix`` like ``"$"``, as an int up to ``maximum``."""
    text = (_text(value) or "").removeprefix(prefix)
    if len(text) > _MAX_NUMBER_LENGTH or not _GROUPED_NUMBER.fullmatch(text):
        return None
    number = int(text.replace(",", ""))
    return number if number <= maximum else None


def _imdb_rating(value: object) -> float | None:
    text = _text(value) or ""
    if not _DECIMAL.fullmatch(text):
        return None
    rating = float(text)
    return rating if rating <= _IMDB_RATING_MAX else None


def _url(value: object) -> str | None:
    """Only http(s) URLs: a poster is rendered by clients, a ``javascript:`` one must not be."""
    text = _text(value)
    return text if text is not None and text.lower().startswith(_URL_SCHEMES) else None


def _ratings(value: object) -> tuple[Rating, ...]:
    """``[{"Source": …, "Value": …}]`` as ``Rating``s; entries missing either are skipped."""
    if not isinstance(value, list):
        return ()
    ratings = []
    for entry in value:
        if isinstance(entry, Mapping):
            source, score = _text(entry.get("Source")), _text(entry.get("Value"))
            if source is not None and score is not None:
                ratings.append(Rating(source=source, value=score))
    return tuple(ratings)
