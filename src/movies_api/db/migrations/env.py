"""Alembic environment: runs on the connection ``db.schema`` hands it (never opens its own)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from movies_api.db.models import METADATA

connection: Connection | None = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached when someone runs the alembic CLI
    raise RuntimeError("run migrations with `movies-api migrate`, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=METADATA,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
