"""A catalogue of millions, searchable: per-movie documents, non-null sort keys and an index
per order, genres and people as junction tables, full-text search, a maintained total and
the title order's stretches.

Existing movies are backfilled with the code's own derivations (``db.movie_rows``,
``db.search_index``, ``db.title_anchors``), in title order and in batches, so a populated
catalogue comes out exactly as one built by adding its movies.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from collections import Counter
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from movies_api.db import search_index, title_anchors
from movies_api.db.models import MOVIE_GENRES, MOVIE_PEOPLE, MOVIES
from movies_api.db.movie_repository import MOVIE_COLUMNS, movie_from_row
from movies_api.db.movie_rows import SearchWords, genre_rows, people_rows, stored_values

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

title_key = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")
BATCH = 1000
# The key columns and what an empty catalogue's row would hold: SQLite adds NOT NULL
# columns only with a default, which every write then overrides.
KEY_COLUMNS: tuple[tuple[str, sa.types.TypeEngine[Any], str], ...] = (
    ("document", sa.LargeBinary(), "x''"),
    ("year_key", sa.Integer(), "0"),
    ("year_desc_key", sa.Integer(), "0"),
    ("rating_key", sa.Float(), "0"),
    ("rating_desc_key", sa.Float(), "0"),
    ("added_key", sa.BigInteger(), "0"),
    ("added_desc_key", sa.BigInteger(), "0"),
)
INDEXES: tuple[tuple[str, list[Any]], ...] = (
    ("ix_movies_title_order", ["title_key", "year_key", "id"]),
    ("ix_movies_title_desc", [sa.text("title_key DESC"), "year_key", "id"]),
    ("ix_movies_year", ["year_key", "title_key", "id"]),
    ("ix_movies_year_desc", ["year_desc_key", "title_key", "year_key", "id"]),
    ("ix_movies_rating", ["rating_key", "title_key", "year_key", "id"]),
    ("ix_movies_rating_desc", ["rating_desc_key", "title_key", "year_key", "id"]),
    ("ix_movies_added", ["added_key", "title_key", "year_key", "id"]),
    ("ix_movies_added_desc", ["added_desc_key", "title_key", "year_key", "id"]),
    ("ix_movies_type", ["type", "title_key", "year_key", "id"]),
)


def upgrade() -> None:
    sqlite = op.get_context().dialect.name == "sqlite"
    for name, type_, default in KEY_COLUMNS:
        if sqlite:
            column = sa.Column(name, type_, nullable=False, server_default=sa.text(default))
        else:
            column = sa.Column(name, type_, nullable=True)
        op.add_column("movies", column)
    if sqlite:
        for statement in search_index.SQLITE_SCHEMA:
            op.execute(statement)
    else:
        op.add_column("movies", sa.Column("search_vector", postgresql.TSVECTOR(), nullable=True))
    op.add_column(
        "catalogue_state",
        sa.Column("movie_count", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.create_table(
        "movie_genres",
        sa.Column("genre_key", title_key, nullable=False),
        sa.Column("movie_id", sa.String(12), nullable=False),
        sa.ForeignKeyConstraint(
            ["movie_id"], ["movies.id"], name="fk_movie_genres_movie_id_movies", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("genre_key", "movie_id", name="pk_movie_genres"),
    )
    op.create_index("ix_movie_genres_movie_id", "movie_genres", ["movie_id", "genre_key"])
    op.create_table(
        "movie_people",
        sa.Column("role", sa.String(1), nullable=False),
        sa.Column("name_key", title_key, nullable=False),
        sa.Column("title_key", title_key, nullable=False),
        sa.Column("year_key", sa.Integer(), nullable=False),
        sa.Column("movie_id", sa.String(12), nullable=False),
        sa.ForeignKeyConstraint(
            ["movie_id"], ["movies.id"], name="fk_movie_people_movie_id_movies", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(
            "role", "name_key", "title_key", "year_key", "movie_id", name="pk_movie_people"
        ),
    )
    op.create_index("ix_movie_people_movie_id", "movie_people", ["movie_id", "role", "name_key"])
    op.create_table(
        "search_terms",
        sa.Column("word", title_key, nullable=False),
        sa.Column("movies", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("word", name="pk_search_terms"),
    )
    op.create_table(
        "title_anchors",
        sa.Column("title_key", title_key, nullable=False),
        sa.Column("year_key", sa.Integer(), nullable=False),
        sa.Column("movie_id", sa.String(12), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("title_key", "year_key", "movie_id", name="pk_title_anchors"),
    )
    _backfill(op.get_bind())
    if not sqlite:
        for name, _type, _default in KEY_COLUMNS:
            op.alter_column("movies", name, nullable=False)
        op.create_index(
            "ix_movies_search_vector", "movies", ["search_vector"], postgresql_using="gin"
        )
    op.drop_index("ix_movies_title_order", table_name="movies")
    for name, columns in INDEXES:
        op.create_index(name, "movies", columns)
    title_anchors.rebuild(op.get_bind())


def _backfill(connection: sa.Connection) -> None:
    """Derive every new column and row from the stored details, in title order, a batch at
    a time (SQLite's search rows take evenly spaced ``seq`` values in that order)."""
    sqlite = connection.dialect.name == "sqlite"
    movies = MOVIES
    derived = [name for name, _type, _default in KEY_COLUMNS]
    if not sqlite:
        derived.append("search_vector")
    update = (
        sa.update(movies)
        .where(movies.c.id == sa.bindparam("movie_id"))
        .values({name: sa.bindparam(name) for name in derived})
    )
    ordered = sa.select(*MOVIE_COLUMNS).order_by(
        movies.c.title_key, sa.func.coalesce(movies.c.year, 10000), movies.c.id
    )
    result = connection.execute(ordered)
    count = 0
    words: Counter[str] = Counter()
    while batch := result.fetchmany(BATCH):
        updates: list[dict[str, Any]] = []
        genres: list[dict[str, str]] = []
        people: list[dict[str, Any]] = []
        searched: list[dict[str, Any]] = []
        for row in batch:
            count += 1
            movie = movie_from_row(row)
            values = stored_values(movie)
            found = SearchWords.of(movie)
            words.update(found.every)
            values["search_vector"] = search_index.vector_literal(found)
            updates.append({"movie_id": movie.id, **{name: values[name] for name in derived}})
            genres.extend(genre_rows(movie))
            people.extend(people_rows(movie))
            searched.append(
                search_index.search_row(movie.id, found, count * search_index.SEQ_SPACING)
            )
        connection.execute(update, updates)
        if genres:
            connection.execute(sa.insert(MOVIE_GENRES), genres)
        if people:
            connection.execute(sa.insert(MOVIE_PEOPLE), people)
        if sqlite:
            connection.execute(sa.insert(search_index.MOVIE_SEARCH), searched)
    search_index.count_words(connection, words, Counter())
    connection.execute(sa.text("UPDATE catalogue_state SET movie_count = :n"), {"n": count})


def downgrade() -> None:
    sqlite = op.get_context().dialect.name == "sqlite"
    for name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name="movies")
    op.create_index(
        "ix_movies_title_order", "movies", ["title_key", sa.text("(year IS NULL)"), "year", "id"]
    )
    op.drop_table("title_anchors")
    op.drop_table("search_terms")
    op.drop_table("movie_people")
    op.drop_table("movie_genres")
    if sqlite:
        for statement in search_index.SQLITE_DROP:
            op.execute(statement)
        for name, _type, _default in reversed(KEY_COLUMNS):
            op.execute(f"ALTER TABLE movies DROP COLUMN {name}")  # SQLite ≥ 3.35
        op.execute("ALTER TABLE catalogue_state DROP COLUMN movie_count")
    else:
        op.drop_index("ix_movies_search_vector", table_name="movies")
        op.drop_column("movies", "search_vector")
        for name, _type, _default in reversed(KEY_COLUMNS):
            op.drop_column("movies", name)
        op.drop_column("catalogue_state", "movie_count")
