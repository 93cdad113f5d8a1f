"""SQLAlchemy tables. The migrations create them; this module only describes them."""

from __future__ import annotations

from datetime import date, datetime
from typing import cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
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
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Title keys compare by code point on every backend: SQLite's BINARY collation already
# does; PostgreSQL needs the "C" collation, whatever the database's default is.
TitleKey = Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")
JsonList = JSON().with_variant(postgresql.JSONB(), "postgresql")
UtcDateTime = DateTime(timezone=True)


class Base(DeclarativeBase):
    """Declarative base with explicit constraint names, so migrations stay stable."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class MovieRow(Base):
    """One movie with every field of contract §1; lists and ratings as JSON arrays.

    Beside the fields it keeps what reads need ready-made: ``document``, the movie's JSON
    as the API sends it (a page is a concatenation of documents), and sort keys that are
    never null (``db.movie_rows`` says how each is derived), so that every order of
    contract §2 is one ascending index that keyset seeks walk, missing values last.
    """

    __tablename__ = "movies"

    id: Mapped[str] = mapped_column(String(12), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    title_key: Mapped[str] = mapped_column(TitleKey)
    match_key: Mapped[str] = mapped_column(TitleKey, index=True)
    year: Mapped[int | None] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(32))
    rated: Mapped[str | None] = mapped_column(Text)
    released: Mapped[date | None] = mapped_column(Date)
    runtime_minutes: Mapped[int | None] = mapped_column(Integer)
    genres: Mapped[list[str]] = mapped_column(JsonList)
    directors: Mapped[list[str]] = mapped_column(JsonList)
    writers: Mapped[list[str]] = mapped_column(JsonList)
    actors: Mapped[list[str]] = mapped_column(JsonList)
    plot: Mapped[str | None] = mapped_column(Text)
    languages: Mapped[list[str]] = mapped_column(JsonList)
    countries: Mapped[list[str]] = mapped_column(JsonList)
    awards: Mapped[str | None] = mapped_column(Text)
    poster_url: Mapped[str | None] = mapped_column(Text)
    ratings: Mapped[list[dict[str, str]]] = mapped_column(JsonList)
    metascore: Mapped[int | None] = mapped_column(Integer)
    imdb_rating: Mapped[float | None] = mapped_column(Float)
    imdb_votes: Mapped[int | None] = mapped_column(BigInteger)
    dvd: Mapped[date | None] = mapped_column(Date)
    box_office_usd: Mapped[int | None] = mapped_column(BigInteger)
    production: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)
    refreshed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    document: Mapped[bytes] = mapped_column(LargeBinary)
    year_key: Mapped[int] = mapped_column(Integer)
    year_desc_key: Mapped[int] = mapped_column(Integer)
    rating_key: Mapped[float] = mapped_column(Float)
    rating_desc_key: Mapped[float] = mapped_column(Float)
    added_key: Mapped[int] = mapped_column(BigInteger)
    added_desc_key: Mapped[int] = mapped_column(BigInteger)
    # PostgreSQL only: its search words (db.search_index). SQLite keeps them in FTS5 tables
    # of its own; no query selects this column there, and the migration never creates it.
    search_vector: Mapped[str | None] = mapped_column(postgresql.TSVECTOR, nullable=True)

    __table_args__ = (
        Index("ix_movies_title_order", title_key, year_key, id),
        Index("ix_movies_title_desc", title_key.desc(), year_key, id),
        Index("ix_movies_year", year_key, title_key, id),
        Index("ix_movies_year_desc", year_desc_key, title_key, year_key, id),
        Index("ix_movies_rating", rating_key, title_key, year_key, id),
        Index("ix_movies_rating_desc", rating_desc_key, title_key, year_key, id),
        Index("ix_movies_added", added_key, title_key, year_key, id),
        Index("ix_movies_added_desc", added_desc_key, title_key, year_key, id),
        Index("ix_movies_type", type, title_key, year_key, id),
        Index("ix_movies_refreshed_at", refreshed_at, id),
    )


class MovieGenreRow(Base):
    """A movie's genre, folded as titles are: ``genre=`` filters are index look-ups."""

    __tablename__ = "movie_genres"

    genre_key: Mapped[str] = mapped_column(TitleKey, primary_key=True)
    movie_id: Mapped[str] = mapped_column(
        ForeignKey("movies.id", ondelete="CASCADE"), primary_key=True
    )

    # Both directions: a genre's movies (the key), and a movie's genres (deletes cascade
    # by it; an order walked with a genre filter probes it).
    __table_args__ = (Index("ix_movie_genres_movie_id", movie_id, genre_key),)


class MoviePersonRow(Base):
    """A director, writer or actor of a movie, the name folded as titles are.

    The movie's title-order keys ride along, so the key walks one person's filmography in
    title order (and checks its years) without reading a movie row until the page is
    known: a prolific director's films are thousands of rows scattered across the table.
    """

    __tablename__ = "movie_people"

    role: Mapped[str] = mapped_column(String(1), primary_key=True)
    name_key: Mapped[str] = mapped_column(TitleKey, primary_key=True)
    title_key: Mapped[str] = mapped_column(TitleKey, primary_key=True)
    year_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    movie_id: Mapped[str] = mapped_column(
        ForeignKey("movies.id", ondelete="CASCADE"), primary_key=True
    )

    __table_args__ = (Index("ix_movie_people_movie_id", movie_id, role, name_key),)


class SearchTermRow(Base):
    """How many movies hold a search word (in any group): kept exact by every write.

    A common word's count is then one row, not ten thousand index entries and rows read
    to find out there are more than ten thousand (``db.search_index.word_bounds``).
    """

    __tablename__ = "search_terms"

    word: Mapped[str] = mapped_column(TitleKey, primary_key=True)
    movies: Mapped[int] = mapped_column(BigInteger)


class TitleAnchorRow(Base):
    """A stretch of the title order, named by its first position, and how many movies it holds.

    Kept exact in every write's transaction, so ``page=N`` finds its stretch by summing
    sizes and seeks there, instead of reading every movie before it (``db.title_anchors``).
    """

    __tablename__ = "title_anchors"

    title_key: Mapped[str] = mapped_column(TitleKey, primary_key=True)
    year_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    movie_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)


class CatalogueStateRow(Base):
    """The single row every write touches: a version for cache validation, the number of
    movies (so the catalogue's total costs one row, not a count), and the seed mark.

    ``epoch`` is random per database, so caches shared between databases (a Redis used by
    several test runs or environments) never mistake one database's version for another's.
    """

    __tablename__ = "catalogue_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    epoch: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(BigInteger)
    movie_count: Mapped[int] = mapped_column(BigInteger)
    seeded: Mapped[bool] = mapped_column(Boolean)
    seeded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ApiKeyRow(Base):
    """An API key kept only as its hash, with a short prefix to recognise it by."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(12))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JsonList)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


# The tables as Core sees them, for the repositories' statements.
MOVIES = cast(Table, MovieRow.__table__)
MOVIE_GENRES = cast(Table, MovieGenreRow.__table__)
MOVIE_PEOPLE = cast(Table, MoviePersonRow.__table__)
TITLE_ANCHORS = cast(Table, TitleAnchorRow.__table__)
SEARCH_TERMS = cast(Table, SearchTermRow.__table__)
