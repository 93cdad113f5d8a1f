"""Movies in SQL: Core statements over the mapped table (no identity map on the read path)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, fields
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Integer, Row, Table, bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from movies_api.db.engine import DbSession
from movies_api.db.models import MovieRow
from movies_api.domain.movie import Movie, MovieDetails, Rating
from movies_api.domain.titles import match_key, sort_key

_TABLE = cast(Table, MovieRow.__table__)
_COLUMNS = [column for column in _TABLE.columns if column.name not in ("title_key", "match_key")]
_LISTS = ("genres", "directors", "writers", "actors", "languages", "countries")
# "year IS NULL" rather than NULLS LAST: both backends then walk ix_movies_title_order
# in order and stop after the page, instead of sorting the whole table for every read.
_TITLE_ORDER = (MovieRow.title_key, MovieRow.year.is_(None), MovieRow.year, MovieRow.id)
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1  # the range of the INTEGER year column


_NAMES = [column.name for column in _COLUMNS]
_LIST_AT = [_NAMES.index(name) for name in _LISTS]
_RATINGS_AT = _NAMES.index("ratings")
_ADDED_AT = _NAMES.index("added_at")
assert [field.name for field in fields(Movie)] == _NAMES, "columns and Movie fields differ"


def _to_movie(row: Row[Any]) -> Movie:
    # Positional: the selected columns are Movie's fields in order (checked above).
    values = list(row)
    for at in _LIST_AT:
        values[at] = tuple(values[at] or ())
    values[_RATINGS_AT] = tuple(Rating(r["source"], r["value"]) for r in values[_RATINGS_AT] or ())
    added_at: datetime = values[_ADDED_AT]
    if added_at.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        values[_ADDED_AT] = added_at.replace(tzinfo=UTC)
    return Movie(*values)


def _to_values(movie: MovieDetails, added_at: datetime) -> dict[str, Any]:
    values = asdict(movie)
    for name in _LISTS:
        values[name] = list(values[name])
    values["ratings"] = [{"source": r.source, "value": r.value} for r in movie.ratings]
    values["title_key"] = sort_key(movie.title)
    values["match_key"] = match_key(movie.title)
    values["added_at"] = added_at
    return values


# The hot reads are built once: composing a statement costs more than running it here.
_COUNT = select(func.count()).select_from(_TABLE)
_PAGE = (
    select(*_COLUMNS)
    .order_by(*_TITLE_ORDER)
    .offset(bindparam("offset", type_=Integer))
    .limit(bindparam("limit", type_=Integer))
)
_BY_ID = select(*_COLUMNS).where(_TABLE.c.id == bindparam("movie_id"))


def _count(connection: Connection) -> int:
    return connection.execute(_COUNT).scalar_one()


def _page(connection: Connection, offset: int, limit: int) -> tuple[int, list[Movie]]:
    total = _count(connection)
    if offset >= total:  # past the end: nothing to read (and no offset too big for SQL)
        return total, []
    rows = connection.execute(_PAGE, {"offset": offset, "limit": limit})
    return total, [_to_movie(row) for row in rows]


def _get(connection: Connection, movie_id: str) -> Movie | None:
    row = connection.execute(_BY_ID, {"movie_id": movie_id}).first()
    return None if row is None else _to_movie(row)


def _by_match_key(connection: Connection, key: str, year: int | None) -> list[Movie]:
    statement = select(*_COLUMNS).where(_TABLE.c.match_key == key).order_by(*_TITLE_ORDER)
    if year is not None:
        statement = statement.where(_TABLE.c.year == year)
    return [_to_movie(row) for row in connection.execute(statement)]


def _add(connection: Connection, rows: list[dict[str, Any]]) -> set[str]:
    # ON CONFLICT makes a concurrent writer's row win quietly instead of failing the batch.
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(_TABLE).on_conflict_do_nothing(index_elements=["id"]).returning(_TABLE.c.id)
    )
    return set(connection.execute(statement, rows).scalars())


def _delete(connection: Connection, movie_id: str) -> bool:
    result = connection.execute(delete(_TABLE).where(_TABLE.c.id == movie_id))
    return bool(getattr(result, "rowcount", 0))


class SqlMovieRepository:
    """``MovieRepository`` over one session; the unit of work owns its transaction."""

    def __init__(self, session: DbSession) -> None:
        self._session = session

    async def count(self) -> int:
        return await self._session.run(_count)

    async def page(self, *, offset: int, limit: int) -> tuple[int, Sequence[Movie]]:
        return await self._session.run(_page, offset, limit)

    async def get(self, movie_id: str) -> Movie | None:
        return await self._session.run(_get, movie_id)

    async def by_match_key(self, key: str, *, year: int | None) -> Sequence[Movie]:
        if "\x00" in key:
            return []  # no stored title holds NUL (PostgreSQL text cannot), nor may a query
        if year is not None and not _INT32_MIN <= year <= _INT32_MAX:
            return []  # no stored year is that big, and the drivers would refuse the value
        return await self._session.run(_by_match_key, key, year)

    async def add(self, movies: Iterable[MovieDetails], *, added_at: datetime) -> set[str]:
        rows = [_to_values(movie, added_at) for movie in movies]
        return await self._session.run(_add, rows) if rows else set()

    async def delete(self, movie_id: str) -> bool:
        return await self._session.run(_delete, movie_id)
