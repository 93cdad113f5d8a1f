"""Reading an import list (contract §4): one IMDb id or title a line, or a CSV with a
``title`` or ``id`` column and optionally ``year`` and ``type``.

The format is told from the first non-blank line: a comma-separated header naming an
``id`` or ``title`` column makes the file a CSV (columns in any order, names in any
case, other columns ignored); anything else is a plain list. In a plain list a line is
an id when it is one (``tt0133093``, or an IMDb title URL holding one), else a title.
Blank lines are skipped; a line that cannot be read is reported with why, never fatal.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from typing import Final

from movies_api.domain.movie import MOVIE_TYPES, is_movie_id

MAX_TITLE_LENGTH: Final = 300  # as POST /movies allows
_IMDB_URL = re.compile(r"^https?://(?:www\.|m\.)?imdb\.com/title/(tt[0-9]{7,10})/?(?:[?#].*)?$")
_COLUMNS: Final = ("id", "title")


@dataclass(frozen=True, slots=True)
class Wanted:
    """A readable line: exactly one of ``id`` and ``title``; ``year`` and ``type`` narrow a
    title."""

    line: int
    text: str
    id: str | None = None
    title: str | None = None
    year: int | None = None
    type: str | None = None


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A line that names no movie the service could ask for, and why."""

    line: int
    text: str
    reason: str


Entry = Wanted | Unreadable


def read_list(text: str) -> list[Entry]:
    """The entries of an import list, in input order."""
    lines = text.removeprefix("\ufeff").splitlines()
    first = next((number for number, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return []
    header = [cell.strip().casefold() for cell in next(csv.reader([lines[first]]))]
    if any(column in header for column in _COLUMNS):
        return _read_csv(lines, first, header)
    return [_plain(number + 1, line) for number, line in enumerate(lines) if line.strip()]


def _plain(number: int, line: str) -> Entry:
    value = line.strip()
    movie_id = _as_id(value)
    if movie_id is not None:
        return Wanted(number, line, id=movie_id)
    return _title(number, line, value)


def _as_id(value: str) -> str | None:
    found = _IMDB_URL.match(value)
    candidate = found.group(1) if found else value.lower()
    return candidate if candidate.isascii() and is_movie_id(candidate) else None


def _title(number: int, text: str, title: str) -> Entry:
    title = " ".join(title.split())
    if "\x00" in title:
        return Unreadable(number, text, "the title holds a NUL character")
    if len(title) > MAX_TITLE_LENGTH:
        return Unreadable(number, text, f"the title is longer than {MAX_TITLE_LENGTH} characters")
    return Wanted(number, text, title=title)


def _read_csv(lines: list[str], first: int, header: list[str]) -> list[Entry]:
    rows = csv.reader(lines[first + 1 :])
    entries: list[Entry] = []
    previous = 0  # the reader's line count after the last row: rows may span lines
    for row in rows:
        start, previous = previous, rows.line_num
        number = first + 1 + start + 1
        text = "\n".join(lines[first + 1 + start : first + 1 + previous])
        if not any(cell.strip() for cell in row):
            continue
        cells = {name: value.strip() for name, value in zip(header, row, strict=False)}
        entries.append(_csv_row(number, text, cells))
    return entries


def _csv_row(number: int, text: str, cells: dict[str, str]) -> Entry:
    year: int | None = None
    if cells.get("year"):
        raw = cells["year"]
        if not (raw.isascii() and raw.isdecimal() and 1800 <= int(raw) <= 9999):
            return Unreadable(number, text, f"year {raw!r} is not a year between 1800 and 9999")
        year = int(raw)
    kind: str | None = None
    if cells.get("type"):
        kind = cells["type"].lower()
        if kind not in MOVIE_TYPES:
            return Unreadable(
                number, text, f"type {cells['type']!r} is not one of {', '.join(MOVIE_TYPES)}"
            )
    if cells.get("id"):
        movie_id = _as_id(cells["id"])
        if movie_id is None:
            return Unreadable(
                number, text, f"{cells['id']!r} is not an IMDb id (tt and 7-10 digits)"
            )
        return Wanted(number, text, id=movie_id)
    if cells.get("title"):
        entry = _title(number, text, cells["title"])
        if isinstance(entry, Wanted):
            return Wanted(number, text, title=entry.title, year=year, type=kind)
        return entry
    return Unreadable(number, text, "the row has neither an id nor a title")
