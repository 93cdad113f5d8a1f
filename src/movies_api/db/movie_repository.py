"""Movies in SQL: Core statements over the mapped table (no identity map on the read path)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Row, Table, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from movies_api.db.models import MovieRow
from movies_api.domain.movie import Movie, MovieDetails, Rating
from movies_api.domain.titles import match_key, sort_key

_TABLE = cast(Table, MovieRow.__table__)
_COLUMNS = [column for column in _TABLE.columns if column.name not in ("title_key", "match_key")]
_LISTS = ("genres", "directors", "writers", "actors", "languages", "countries")
_TITLE_ORDER = (MovieRow.title_key, MovieRow.year.asc().nulls_last(), MovieRow.id)
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1  # the range of the INTEGER year column


def _to_movie(row: Row[Any]) -> Movie:
    values = row._asdict()
    for name in _LISTS:
        values[name] = tuple(values[name] or ())
    values["ratings"] = tuple(Rating(r["source"], r["value"]) for r in values["ratings"] or ())
    added_at: datetime = values["added_at"]
    if added_at.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        values["added_at"] = added_at.replace(tzinfo=UTC)
    return Movie(**values)


def _to_values(movie: MovieDetails, added_at: datetime) -> dict[str, Any]:
    values = asdict(movie)
    for name in _LISTS:
        values[name] = list(values[name])
    values["ratings"] = [{"source": r.source, "value": r.value} for r in movie.ratings]
    values["title_key"] = sort_key(movie.title)
    values["match_key"] = match_key(movie.title)
    values["added_at"] = added_at
    return values


class SqlMovieRepository:
    """``MovieRepository`` over one session; the unit of work owns its transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def count(self) -> int:
        return (await self._session.execute(select(func.count()).select_from(_TABLE))).scalar_one()

    async def page(self, *, offset: int, limit: int) -> Sequence[Movie]:
        statement = select(*_COLUMNS).order_by(*_TITLE_ORDER).offset(offset).limit(limit)
        return [_to_movie(row) for row in await self._session.execute(statement)]

    async def get(self, movie_id: str) -> Movie | None:
        row = (
            await self._session.execute(select(*_COLUMNS).where(_TABLE.c.id == movie_id))
        ).first()
        return None if row is None else _to_movie(row)

    async def by_match_key(self, key: str, *, year: int | None) -> Sequence[Movie]:
        if "\x00" in key:
            return []  # no stored title holds NUL (PostgreSQL text cannot), nor may a query
        statement = select(*_COLUMNS).where(_TABLE.c.match_key == key).order_by(*_TITLE_ORDER)
        if year is not None:
            if not _INT32_MIN <= year <= _INT32_MAX:
                return []  # no stored year is that big, and the drivers would refuse the value
            statement = statement.where(_TABLE.c.year == year)
        return [_to_movie(row) for row in await self._session.execute(statement)]

    async def add(self, movies: Iterable[MovieDetails], *, added_at: datetime) -> set[str]:
        rows = [_to_values(movie, added_at) for movie in movies]
        if not rows:
            return set()
        # ON CONFLICT makes a concurrent writer's row win quietly instead of failing the batch.
        dialect = postgresql if self._session.get_bind().dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(_TABLE)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(_TABLE.c.id)
        )
        return set((await self._session.execute(statement, rows)).scalars())

    async def delete(self, movie_id: str) -> bool:
        result = await self._session.execute(delete(_TABLE).where(_TABLE.c.id == movie_id))
        return bool(getattr(result, "rowcount", 0))
