"""Movies, API keys and the catalogue state row.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

title_key = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")
json_list = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
utc = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "movies",
        sa.Column("id", sa.String(12), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("title_key", title_key, nullable=False),
        sa.Column("match_key", title_key, nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("rated", sa.Text(), nullable=True),
        sa.Column("released", sa.Date(), nullable=True),
        sa.Column("runtime_minutes", sa.Integer(), nullable=True),
        sa.Column("genres", json_list, nullable=False),
        sa.Column("directors", json_list, nullable=False),
        sa.Column("writers", json_list, nullable=False),
        sa.Column("actors", json_list, nullable=False),
        sa.Column("plot", sa.Text(), nullable=True),
        sa.Column("languages", json_list, nullable=False),
        sa.Column("countries", json_list, nullable=False),
        sa.Column("awards", sa.Text(), nullable=True),
        sa.Column("poster_url", sa.Text(), nullable=True),
        sa.Column("ratings", json_list, nullable=False),
        sa.Column("metascore", sa.Integer(), nullable=True),
        sa.Column("imdb_rating", sa.Float(), nullable=True),
        sa.Column("imdb_votes", sa.BigInteger(), nullable=True),
        sa.Column("dvd", sa.Date(), nullable=True),
        sa.Column("box_office_usd", sa.BigInteger(), nullable=True),
        sa.Column("production", sa.Text(), nullable=True),
        sa.Column("website", sa.Text(), nullable=True),
        sa.Column("added_at", utc, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_movies"),
    )
    # (year IS NULL) puts null years last on both backends, in the index itself (contract §1).
    op.create_index(
        "ix_movies_title_order", "movies", ["title_key", sa.text("(year IS NULL)"), "year", "id"]
    )
    op.create_index("ix_movies_match_key", "movies", ["match_key"])

    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("prefix", sa.String(12), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("scopes", json_list, nullable=False),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("last_used_at", utc, nullable=True),
        sa.Column("revoked_at", utc, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
    )

    state = op.create_table(
        "catalogue_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.String(32), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("seeded", sa.Boolean(), nullable=False),
        sa.Column("seeded_at", utc, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_catalogue_state"),
    )
    op.bulk_insert(
        state,
        [{"id": 1, "epoch": uuid.uuid4().hex, "version": 1, "seeded": False, "seeded_at": None}],
    )


def downgrade() -> None:
    op.drop_table("catalogue_state")
    op.drop_table("api_keys")
    op.drop_index("ix_movies_match_key", table_name="movies")
    op.drop_index("ix_movies_title_order", table_name="movies")
    op.drop_table("movies")
