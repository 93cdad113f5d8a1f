"""Movies in SQL: Core statements over the mapped table (no identity map on the read path)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    Integer,
    Row,
    Table,
    bindparam,
    delete,
    func,
    literal,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from movies_api.db.engine import DbSession
from movies_api.db.models import MovieRow, UtcDateTime
from movies_api.domain.movie import Movie, MovieDetails, MovieSummary, Rating
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
_STAMPS_AT = [_NAMES.index("added_at"), _NAMES.index("refreshed_at")]
assert [field.name for field in fields(Movie)] == _NAMES, "columns and Movie fields differ"


def _to_movie(row: Row[Any]) -> Movie:
    # Positional: the selected columns are Movie's fields in order (checked above).
    values = list(row)
    for at in _LIST_AT:
        values[at] = tuple(values[at] or ())
    values[_RATINGS_AT] = tuple(Rating(r["source"], r["value"]) for r in values[_RATINGS_AT] or ())
    for at in _STAMPS_AT:
        stamp: datetime = values[at]
        if stamp.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
            values[at] = stamp.replace(tzinfo=UTC)
    return Movie(*values)


_DETAIL_FIELDS = tuple(field.name for field in fields(MovieDetails))


def _detail_values(movie: MovieDetails) -> dict[str, Any]:
    """The columns a movie's details fill, derived keys included.

    Every write of details (``_add``, ``_replace``) builds its row here, so whatever is
    derived from the details is derived in this one place.
    """
    # Shallow, not dataclasses.asdict: its recursive deep copy cost ~0.2 ms a movie.
    values = {name: getattr(movie, name) for name in _DETAIL_FIELDS}
    for name in _LISTS:
        values[name] = list(values[name])
    values["ratings"] = [{"source": r.source, "value": r.value} for r in movie.ratings]
    values["title_key"] = sort_key(movie.title)
    values["match_key"] = match_key(movie.title)
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
_STORED_IDS = select(_TABLE.c.id).where(_TABLE.c.id.in_(bindparam("ids", expanding=True)))
_STORED_TITLES = (
    select(
        _TABLE.c.match_key,
        _TABLE.c.id,
        _TABLE.c.title,
        _TABLE.c.year,
        _TABLE.c.type,
        _TABLE.c.poster_url,
    )
    .where(_TABLE.c.match_key.in_(bindparam("keys", expanding=True)))
    .order_by(*_TITLE_ORDER)
)


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


def _add(connection: Connection, movies: list[MovieDetails], added_at: datetime) -> set[str]:
    # Rows are built here, on the session's side (a worker thread for SQLite), not on
    # the event loop: a batch of a hundred would hold up every request meanwhile.
    rows = [
        {**_detail_values(movie), "added_at": added_at, "refreshed_at": added_at}
        for movie in movies
    ]
    # ON CONFLICT makes a concurrent writer's row win quietly instead of failing the batch.
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(_TABLE).on_conflict_do_nothing(index_elements=["id"]).returning(_TABLE.c.id)
    )
    return set(connection.execute(statement, rows).scalars())


def _stored_ids(connection: Connection, ids: list[str]) -> set[str]:
    return set(connection.execute(_STORED_IDS, {"ids": ids}).scalars())


def _stored_titles(connection: Connection, keys: list[str]) -> dict[str, list[MovieSummary]]:
    found: dict[str, list[MovieSummary]] = {}
    for key, *summary in connection.execute(_STORED_TITLES, {"keys": keys}):
        found.setdefault(key, []).append(MovieSummary(*summary))
    return found


def _replace(connection: Connection, details: MovieDetails, refreshed_at: datetime) -> Movie | None:
    values = {**_detail_values(details), "refreshed_at": refreshed_at}
    statement = (
        update(_TABLE).where(_TABLE.c.id == values["id"]).values(values).returning(*_COLUMNS)
    )
    row = connection.execute(statement).first()
    return None if row is None else _to_movie(row)


def _stale(
    connection: Connection, before: datetime, after: tuple[datetime, str] | None, limit: int
) -> list[Movie]:
    # Keyset, not offset: each page costs the same, and movies refreshed meanwhile (now
    # newer than ``before``) cannot shift the ones still to come.
    statement = select(*_COLUMNS).where(_TABLE.c.refreshed_at < before)
    if after is not None:
        statement = statement.where(
            tuple_(_TABLE.c.refreshed_at, _TABLE.c.id)
            > tuple_(literal(after[0], UtcDateTime), literal(after[1], _TABLE.c.id.type))
        )
    statement = statement.order_by(_TABLE.c.refreshed_at, _TABLE.c.id).limit(limit)
    return [_to_movie(row) for row in connection.execute(statement)]


def _count_stale(connection: Connection, before: datetime) -> int:
    statement = select(func.count()).select_from(_TABLE).where(_TABLE.c.refreshed_at < before)
    return connection.execute(statement).scalar_one()


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
        wanted = list(movies)
        return await self._session.run(_add, wanted, added_at) if wanted else set()

    async def stored_ids(self, ids: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(ids))
        return await self._session.run(_stored_ids, wanted) if wanted else set()

    async def stored_titles(self, keys: Iterable[str]) -> dict[str, list[MovieSummary]]:
        # NUL cannot be in a stored title (PostgreSQL text refuses it), nor in a parameter.
        wanted = list(dict.fromkeys(key for key in keys if "\x00" not in key))
        return await self._session.run(_stored_titles, wanted) if wanted else {}

    async def replace(self, details: MovieDetails, *, refreshed_at: datetime) -> Movie | None:
        return await self._session.run(_replace, details, refreshed_at)

    async def stale(
        self, *, before: datetime, after: tuple[datetime, str] | None = None, limit: int
    ) -> Sequence[Movie]:
        return await self._session.run(_stale, before, after, limit)

    async def count_stale(self, *, before: datetime) -> int:
        return await self._session.run(_count_stale, before)

    async def delete(self, movie_id: str) -> bool:
        return await self._session.run(_delete, movie_id)
