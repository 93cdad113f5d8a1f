"""When each movie's details last came from OMDb: ``refreshed_at``, backfilled with ``added_at``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

utc = sa.DateTime(timezone=True)


def upgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        # SQLite adds a NOT NULL column only with a default. The alternative, rebuilding the
        # table (Alembic's batch mode), would drop the expression index ix_movies_title_order,
        # which SQLite reflection cannot read back. Every insert names the column anyway.
        op.add_column(
            "movies",
            sa.Column(
                "refreshed_at",
                utc,
                nullable=False,
                server_default=sa.text("'1970-01-01 00:00:00.000000'"),
            ),
        )
        op.execute("UPDATE movies SET refreshed_at = added_at")
    else:
        op.add_column("movies", sa.Column("refreshed_at", utc, nullable=True))
        op.execute("UPDATE movies SET refreshed_at = added_at")
        op.alter_column("movies", "refreshed_at", nullable=False)
    # `movies-api refresh` walks the stalest movies first; with an index that costs the
    # movies it refreshes, not a sort of the whole catalogue.
    op.create_index("ix_movies_refreshed_at", "movies", ["refreshed_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_movies_refreshed_at", table_name="movies")
    if op.get_context().dialect.name == "sqlite":
        op.execute("ALTER TABLE movies DROP COLUMN refreshed_at")  # SQLite ≥ 3.35
    else:
        op.drop_column("movies", "refreshed_at")
