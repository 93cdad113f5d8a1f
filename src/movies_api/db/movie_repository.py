"""Movies in SQL: Core statements over the mapped tables (no identity map on any path).

Every write of movies runs here, inside the unit of work's transaction: it takes the
catalogue's write lock, then changes the movies and everything kept beside them (genres,
people, the search index, the title-order stretches), and tells the unit of work how
many movies came or went. The unit of work records that on the state row when it
commits — one new version for the caches and the new number of movies, however many
writes the transaction made — so neither can ever disagree with the movies.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, literal, select, tuple_, update
from sqlalchemy.engine import Connection

from movies_api.db import listing_queries, plain_pages, search_index, title_anchors
from movies_api.db.engine import DbSession
from movies_api.db.models import MOVIE_GENRES, MOVIE_PEOPLE, MOVIES, UtcDateTime, insert_into
from movies_api.db.movie_rows import (
    SearchWords,
    genre_rows,
    people_rows,
    stored_values,
)
from movies_api.db.state_repository import lock_catalogue, read_state
from movies_api.db.title_anchors import StretchCache
from movies_api.domain.listing import COUNT_CAP, Listing, ListingSlice, Position
from movies_api.domain.movie import Movie, MovieDetails, MovieSummary, Rating

_TABLE, _GENRES, _PEOPLE = MOVIES, MOVIE_GENRES, MOVIE_PEOPLE
_FIELDS = [field.name for field in fields(Movie)]
MOVIE_COLUMNS = [_TABLE.c[name] for name in _FIELDS]
_LIST_AT = [
    _FIELDS.index(name)
    for name in ("genres", "directors", "writers", "actors", "languages", "countries")
]
_RATINGS_AT = _FIELDS.index("ratings")
_STAMPS_AT = [_FIELDS.index("added_at"), _FIELDS.index("refreshed_at")]
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1  # the range of the INTEGER year column
Key = tuple[str, int, str]


def movie_from_row(row: Any) -> Movie:
    """The movie a row of ``MOVIE_COLUMNS`` holds."""
    values = list(row)
    for at in _LIST_AT:
        values[at] = tuple(values[at] or ())
    values[_RATINGS_AT] = tuple(Rating(r["source"], r["value"]) for r in values[_RATINGS_AT] or ())
    for at in _STAMPS_AT:
        stamp: datetime = values[at]
        if stamp.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
            values[at] = stamp.replace(tzinfo=UTC)
    return Movie(*values)


# The hot reads are built once: composing a statement costs more than running it here.
_BY_ID = select(*MOVIE_COLUMNS).where(_TABLE.c.id == bindparam("movie_id"))
_DOCUMENT = select(_TABLE.c.document).where(_TABLE.c.id == bindparam("movie_id"))
_STORED = select(
    *MOVIE_COLUMNS, _TABLE.c.title_key, _TABLE.c.year_key, _TABLE.c.id.label("key_id")
).where(_TABLE.c.id == bindparam("movie_id"))
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
    .order_by(*listing_queries.TITLE_ORDER)
)


def _row_values(connection: Connection, movie: Movie) -> dict[str, Any]:
    values = stored_values(movie)
    if connection.dialect.name == "postgresql":
        values["search_vector"] = search_index.vector_literal(SearchWords.of(movie))
    return values


def _key_of(values: dict[str, Any]) -> Key:
    return (values["title_key"], values["year_key"], values["id"])


def _store_beside(
    connection: Connection,
    movies: Sequence[Movie],
    keys: Sequence[Key],
    replaced: Sequence[Movie] = (),
) -> None:
    """What is kept beside freshly written movies (and beside the ``replaced`` versions of
    them that are gone): genres, people, word counts, SQLite's search rows."""
    genres = [row for movie in movies for row in genre_rows(movie)]
    people = [row for movie in movies for row in people_rows(movie)]
    if genres:
        connection.execute(insert(_GENRES), genres)
    if people:
        connection.execute(insert(_PEOPLE), people)
    found = [SearchWords.of(movie) for movie in movies]
    search_index.count_words(
        connection,
        added=Counter(word for words in found for word in words.every),
        removed=Counter(word for old in replaced for word in SearchWords.of(old).every),
    )
    if connection.dialect.name == "sqlite":
        search_index.sqlite_store(connection, sorted(zip(keys, found, strict=True)))


def _add(connection: Connection, movies: list[Movie]) -> set[str]:
    lock_catalogue(connection)
    rows = [_row_values(connection, movie) for movie in movies]
    # ON CONFLICT makes a row stored meanwhile win quietly instead of failing the batch.
    statement = (
        insert_into(connection, _TABLE)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(_TABLE.c.id)
    )
    stored = set(connection.execute(statement, rows).scalars())
    if stored:
        new = [(movie, row) for movie, row in zip(movies, rows, strict=True) if movie.id in stored]
        keys = [_key_of(row) for _, row in new]
        _store_beside(connection, [movie for movie, _ in new], keys)
        title_anchors.moved(connection, added=keys)
    return stored


def _stored_key(connection: Connection, movie_id: str) -> tuple[Movie, Key] | None:
    """A stored movie and its title-order position, read before it changes."""
    row = connection.execute(_STORED, {"movie_id": movie_id}).first()
    if row is None:
        return None
    return movie_from_row(row[: len(MOVIE_COLUMNS)]), (row[-3], row[-2], row[-1])


def _delete(connection: Connection, movie_id: str) -> bool:
    lock_catalogue(connection)
    found = _stored_key(connection, movie_id)
    if found is None:
        return False
    old, key = found
    # Genres, people and SQLite's search rows go with it (ON DELETE CASCADE).
    connection.execute(delete(_TABLE).where(_TABLE.c.id == movie_id))
    search_index.count_words(connection, Counter(), Counter(SearchWords.of(old).every))
    title_anchors.moved(connection, removed=[key])
    return True


def _replace(connection: Connection, details: MovieDetails, refreshed_at: datetime) -> Movie | None:
    lock_catalogue(connection)
    found = _stored_key(connection, details.id)
    if found is None:
        return None
    old, old_key = found
    assert old.added_at is not None
    movie = Movie.stored(details, added_at=old.added_at, refreshed_at=refreshed_at)
    values = _row_values(connection, movie)
    connection.execute(update(_TABLE).where(_TABLE.c.id == movie.id).values(values))
    connection.execute(delete(_GENRES).where(_GENRES.c.movie_id == movie.id))
    connection.execute(delete(_PEOPLE).where(_PEOPLE.c.movie_id == movie.id))
    if connection.dialect.name == "sqlite":
        search_index.sqlite_remove(connection, [movie.id])
    new_key = _key_of(values)
    _store_beside(connection, [movie], [new_key], replaced=[old])
    if old_key != new_key:
        title_anchors.moved(connection, added=[new_key], removed=[old_key])
    return movie


def _count(connection: Connection) -> int:
    return read_state(connection)[1]


def _get(connection: Connection, movie_id: str) -> Movie | None:
    row = connection.execute(_BY_ID, {"movie_id": movie_id}).first()
    return None if row is None else movie_from_row(row)


def _document(connection: Connection, movie_id: str) -> bytes | None:
    document = connection.execute(_DOCUMENT, {"movie_id": movie_id}).scalar_one_or_none()
    return None if document is None else bytes(document)


def _by_match_key(connection: Connection, key: str, year: int | None) -> list[Movie]:
    statement = (
        select(*MOVIE_COLUMNS)
        .where(_TABLE.c.match_key == key)
        .order_by(*listing_queries.TITLE_ORDER)
    )
    if year is not None:
        statement = statement.where(_TABLE.c.year == year)
    return [movie_from_row(row) for row in connection.execute(statement)]


def _listing(
    connection: Connection,
    stretches: StretchCache,
    listing: Listing,
    limit: int,
    offset: int,
    after: Position | None,
) -> ListingSlice:
    if listing.plain and after is None and offset < title_anchors.SPLIT_AT:
        return plain_pages.read(connection, limit=limit, offset=offset)
    query = listing_queries.ListingQuery(connection, listing)
    if listing.plain:
        version, total = read_state(connection)
        exact = True
    else:
        counted = query.count(cap=COUNT_CAP + 1)
        total, exact = (COUNT_CAP, False) if counted > COUNT_CAP else (counted, True)
    if after is None and exact and offset >= total:
        return ListingSlice((), total, exact, more=False)  # past the end: nothing to read
    if listing.plain and after is None and offset >= title_anchors.SPLIT_AT:
        # A deep page: seek to the stretch it starts in instead of reading what comes before.
        lower, skip = stretches.get(connection, version).locate(offset)
        rows = query.rows(limit=limit + 1, offset=skip, start=lower)
    else:
        rows = query.rows(limit=limit + 1, offset=offset, after=after)
    return ListingSlice(tuple(rows[:limit]), total, exact, more=len(rows) > limit)


def _stored_ids(connection: Connection, ids: list[str]) -> set[str]:
    return set(connection.execute(_STORED_IDS, {"ids": ids}).scalars())


def _stored_titles(connection: Connection, keys: list[str]) -> dict[str, list[MovieSummary]]:
    found: dict[str, list[MovieSummary]] = {}
    for key, *summary in connection.execute(_STORED_TITLES, {"keys": keys}):
        found.setdefault(key, []).append(MovieSummary(*summary))
    return found


def _stale(
    connection: Connection, before: datetime, after: tuple[datetime, str] | None, limit: int
) -> list[Movie]:
    # Keyset, not offset: each page costs the same, and movies refreshed meanwhile (now
    # newer than ``before``) cannot shift the ones still to come.
    statement = select(*MOVIE_COLUMNS).where(_TABLE.c.refreshed_at < before)
    if after is not None:
        statement = statement.where(
            tuple_(_TABLE.c.refreshed_at, _TABLE.c.id)
            > tuple_(literal(after[0], UtcDateTime), literal(after[1], _TABLE.c.id.type))
        )
    statement = statement.order_by(_TABLE.c.refreshed_at, _TABLE.c.id).limit(limit)
    return [movie_from_row(row) for row in connection.execute(statement)]


def _count_stale(connection: Connection, before: datetime) -> int:
    statement = select(func.count()).select_from(_TABLE).where(_TABLE.c.refreshed_at < before)
    return connection.execute(statement).scalar_one()


class SqlMovieRepository:
    """``MovieRepository`` over one session; the unit of work owns its transaction and
    records ``changed``/``delta`` on the state row when it commits."""

    def __init__(self, session: DbSession, stretches: StretchCache) -> None:
        self._session = session
        self._stretches = stretches
        self.changed = False  # whether a write of this transaction changed any movie
        self.delta = 0  # how many movies more (or fewer) this transaction leaves

    def _note(self, delta: int, changed: bool) -> None:
        self.delta += delta
        self.changed = self.changed or changed

    async def count(self) -> int:
        return await self._session.run(_count)

    async def listing(
        self, listing: Listing, *, limit: int, offset: int = 0, after: Position | None = None
    ) -> ListingSlice:
        return await self._session.run(_listing, self._stretches, listing, limit, offset, after)

    async def get(self, movie_id: str) -> Movie | None:
        return await self._session.run(_get, movie_id)

    async def document(self, movie_id: str) -> bytes | None:
        return await self._session.run(_document, movie_id)

    async def by_match_key(self, key: str, *, year: int | None) -> Sequence[Movie]:
        if "\x00" in key:
            return []  # no stored title holds NUL (PostgreSQL text cannot), nor may a query
        if year is not None and not _INT32_MIN <= year <= _INT32_MAX:
            return []  # no stored year is that big, and the drivers would refuse the value
        return await self._session.run(_by_match_key, key, year)

    async def add(self, movies: Iterable[MovieDetails], *, added_at: datetime) -> set[str]:
        stored = [Movie.stored(details, added_at=added_at) for details in movies]
        added: set[str] = await self._session.run(_add, stored) if stored else set()
        self._note(len(added), bool(added))
        return added

    async def stored_ids(self, ids: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(ids))
        return await self._session.run(_stored_ids, wanted) if wanted else set()

    async def stored_titles(self, keys: Iterable[str]) -> dict[str, list[MovieSummary]]:
        # NUL cannot be in a stored title (PostgreSQL text refuses it), nor in a parameter.
        wanted = list(dict.fromkeys(key for key in keys if "\x00" not in key))
        return await self._session.run(_stored_titles, wanted) if wanted else {}

    async def replace(self, details: MovieDetails, *, refreshed_at: datetime) -> Movie | None:
        movie: Movie | None = await self._session.run(_replace, details, refreshed_at)
        self._note(0, movie is not None)
        return movie

    async def stale(
        self, *, before: datetime, after: tuple[datetime, str] | None = None, limit: int
    ) -> Sequence[Movie]:
        return await self._session.run(_stale, before, after, limit)

    async def count_stale(self, *, before: datetime) -> int:
        return await self._session.run(_count_stale, before)

    async def delete(self, movie_id: str) -> bool:
        deleted: bool = await self._session.run(_delete, movie_id)
        self._note(-int(deleted), deleted)
        return deleted
