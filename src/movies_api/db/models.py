"""SQLAlchemy tables. The migrations create them; this module only describes them.

They are Core ``Table`` objects: the repositories write SQLAlchemy Core, so the ORM (and
the ~50 ms its import adds to a cold start) is never loaded. The PostgreSQL-only types
are picked when a statement is compiled for PostgreSQL, so a process on SQLite never
imports PostgreSQL's dialect either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)

if TYPE_CHECKING:
    from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
    from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
    from sqlalchemy.engine import Connection, Dialect
    from sqlalchemy.types import TypeEngine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# Explicit constraint names, so migrations stay stable.
METADATA = MetaData(naming_convention=NAMING_CONVENTION)


class TitleKeyType(TypeDecorator[str]):
    """Text that compares by code point on every backend: SQLite's BINARY collation already
    does; PostgreSQL needs the "C" collation, whatever the database's default is."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import TEXT

            return dialect.type_descriptor(TEXT(collation="C"))
        return dialect.type_descriptor(Text())


class JsonListType(TypeDecorator[Any]):
    """A JSON array: ``JSONB`` on PostgreSQL, JSON text elsewhere."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


class SearchVectorType(TypeDecorator[str]):
    """PostgreSQL's ``tsvector``; no other backend has the column (``db.search_index``)."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import TSVECTOR

            return dialect.type_descriptor(TSVECTOR())
        return dialect.type_descriptor(Text())


TitleKey = TitleKeyType()
JsonList = JsonListType()
UtcDateTime = DateTime(timezone=True)


def insert_into(connection: Connection, table: Table) -> PostgresInsert | SqliteInsert:
    """An INSERT that can say ``ON CONFLICT``, for the connection's backend (each dialect's
    module is imported on first use)."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgres_insert

        return postgres_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def _column(
    name: str, type_: Any, *args: Any, nullable: bool = False, **kwargs: Any
) -> Column[Any]:
    """A column, NOT NULL unless said otherwise (as the migrations create them)."""
    return Column(name, type_, *args, nullable=nullable, **kwargs)


# One movie with every field of contract §1; lists and ratings as JSON arrays.
#
# Beside the fields it keeps what reads need ready-made: ``document``, the movie's JSON as
# the API sends it (a page is a concatenation of documents), and sort keys that are never
# null (``db.movie_rows`` says how each is derived), so that every order of contract §2 is
# one ascending index that keyset seeks walk, missing values last.
MOVIES = Table(
    "movies",
    METADATA,
    _column("id", String(12), primary_key=True),
    _column("title", Text),
    _column("title_key", TitleKey),
    _column("match_key", TitleKey, index=True),
    _column("year", Integer, nullable=True),
    _column("type", String(32)),
    _column("rated", Text, nullable=True),
    _column("released", Date, nullable=True),
    _column("runtime_minutes", Integer, nullable=True),
    _column("genres", JsonList),
    _column("directors", JsonList),
    _column("writers", JsonList),
    _column("actors", JsonList),
    _column("plot", Text, nullable=True),
    _column("languages", JsonList),
    _column("countries", JsonList),
    _column("awards", Text, nullable=True),
    _column("poster_url", Text, nullable=True),
    _column("ratings", JsonList),
    _column("metascore", Integer, nullable=True),
    _column("imdb_rating", Float, nullable=True),
    _column("imdb_votes", BigInteger, nullable=True),
    _column("dvd", Date, nullable=True),
    _column("box_office_usd", BigInteger, nullable=True),
    _column("production", Text, nullable=True),
    _column("website", Text, nullable=True),
    _column("added_at", UtcDateTime),
    _column("refreshed_at", UtcDateTime),
    _column("document", LargeBinary),
    _column("year_key", Integer),
    _column("year_desc_key", Integer),
    _column("rating_key", Float),
    _column("rating_desc_key", Float),
    _column("added_key", BigInteger),
    _column("added_desc_key", BigInteger),
    # PostgreSQL only: its search words (db.search_index). SQLite keeps them in FTS5 tables
    # of its own; no query selects this column there, and the migration never creates it.
    _column("search_vector", SearchVectorType(), nullable=True),
)
_m = MOVIES.c
Index("ix_movies_title_order", _m.title_key, _m.year_key, _m.id)
Index("ix_movies_title_desc", _m.title_key.desc(), _m.year_key, _m.id)
Index("ix_movies_year", _m.year_key, _m.title_key, _m.id)
Index("ix_movies_year_desc", _m.year_desc_key, _m.title_key, _m.year_key, _m.id)
Index("ix_movies_rating", _m.rating_key, _m.title_key, _m.year_key, _m.id)
Index("ix_movies_rating_desc", _m.rating_desc_key, _m.title_key, _m.year_key, _m.id)
Index("ix_movies_added", _m.added_key, _m.title_key, _m.year_key, _m.id)
Index("ix_movies_added_desc", _m.added_desc_key, _m.title_key, _m.year_key, _m.id)
Index("ix_movies_type", _m.type, _m.title_key, _m.year_key, _m.id)
Index("ix_movies_refreshed_at", _m.refreshed_at, _m.id)

# A movie's genre, folded as titles are: ``genre=`` filters are index look-ups. Indexed
# both ways: a genre's movies (the key), and a movie's genres (deletes cascade by it; an
# order walked with a genre filter probes it).
MOVIE_GENRES = Table(
    "movie_genres",
    METADATA,
    _column("genre_key", TitleKey, primary_key=True),
    _column("movie_id", String(12), ForeignKey("movies.id", ondelete="CASCADE"), primary_key=True),
)
Index("ix_movie_genres_movie_id", MOVIE_GENRES.c.movie_id, MOVIE_GENRES.c.genre_key)

# A director, writer or actor of a movie, the name folded as titles are.
#
# The movie's title-order keys ride along, so the key walks one person's filmography in
# title order (and checks its years) without reading a movie row until the page is known:
# a prolific director's films are thousands of rows scattered across the table.
MOVIE_PEOPLE = Table(
    "movie_people",
    METADATA,
    _column("role", String(1), primary_key=True),
    _column("name_key", TitleKey, primary_key=True),
    _column("title_key", TitleKey, primary_key=True),
    _column("year_key", Integer, primary_key=True),
    _column("movie_id", String(12), ForeignKey("movies.id", ondelete="CASCADE"), primary_key=True),
)
Index(
    "ix_movie_people_movie_id",
    MOVIE_PEOPLE.c.movie_id,
    MOVIE_PEOPLE.c.role,
    MOVIE_PEOPLE.c.name_key,
)

# How many movies hold a search word (in any group): kept exact by every write. A common
# word's count is then one row, not ten thousand index entries and rows read to find out
# there are more than ten thousand (``db.search_index.word_bounds``).
SEARCH_TERMS = Table(
    "search_terms",
    METADATA,
    _column("word", TitleKey, primary_key=True),
    _column("movies", BigInteger),
)

# A stretch of the title order, named by its first position, and how many movies it holds.
# Kept exact in every write's transaction, so ``page=N`` finds its stretch by summing
# sizes and seeks there, instead of reading every movie before it (``db.title_anchors``).
TITLE_ANCHORS = Table(
    "title_anchors",
    METADATA,
    _column("title_key", TitleKey, primary_key=True),
    _column("year_key", Integer, primary_key=True),
    _column("movie_id", String(12), primary_key=True),
    _column("size", Integer),
)

# The single row every write touches: a version for cache validation, the number of movies
# (so the catalogue's total costs one row, not a count), and the seed mark. ``epoch`` is
# random per database, so caches shared between databases (a Redis used by several test
# runs or environments) never mistake one database's version for another's.
CATALOGUE_STATE = Table(
    "catalogue_state",
    METADATA,
    _column("id", Integer, primary_key=True),
    _column("epoch", String(32)),
    _column("version", BigInteger),
    _column("movie_count", BigInteger),
    _column("seeded", Boolean),
    _column("seeded_at", UtcDateTime, nullable=True),
)

# An API key kept only as its hash, with a short prefix to recognise it by.
API_KEYS = Table(
    "api_keys",
    METADATA,
    _column("id", Integer, primary_key=True, autoincrement=True),
    _column("name", String(200)),
    _column("prefix", String(12)),
    _column("key_hash", String(64), unique=True),
    _column("scopes", JsonList),
    _column("created_at", UtcDateTime),
    _column("last_used_at", UtcDateTime, nullable=True),
    _column("revoked_at", UtcDateTime, nullable=True),
)
