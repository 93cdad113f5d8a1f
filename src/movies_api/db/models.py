"""SQLAlchemy tables. The migrations create them; this module only describes them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
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
    """One movie with every field of contract §1; lists and ratings as JSON arrays."""

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

    __table_args__ = (
        Index("ix_movies_title_order", title_key, year.is_(None), year, id),
        Index("ix_movies_refreshed_at", refreshed_at, id),
    )


class CatalogueStateRow(Base):
    """The single row every write touches: a version for cache validation, and the seed mark.

    ``epoch`` is random per database, so caches shared between databases (a Redis used by
    several test runs or environments) never mistake one database's version for another's.
    """

    __tablename__ = "catalogue_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    epoch: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(BigInteger)
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
