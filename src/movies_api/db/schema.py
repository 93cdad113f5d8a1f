"""Bring the schema to head through Alembic, importing Alembic only when there is work to do.

Cold start matters on Cloud Run: a database already at head costs one query here.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from movies_api.db.locks import exclusive

# The newest revision in db/migrations/versions; a unit test keeps the two in step.
SCHEMA_HEAD: Final = "0003"
MIGRATIONS: Final = "movies_api.db:migrations"


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at; None when it was never migrated."""
    try:
        async with engine.connect() as connection:
            result = await connection.execute(text("SELECT version_num FROM alembic_version"))
            return result.scalar_one_or_none()
    except DBAPIError:  # no alembic_version table yet
        return None


async def migrate(engine: AsyncEngine) -> str | None:
    """Upgrade to head under a cross-process lock; returns the revision it started from."""
    async with exclusive(engine, "migrate", wait=True):
        before = await current_revision(engine)
        if before != SCHEMA_HEAD:
            async with engine.begin() as connection:
                await connection.run_sync(_upgrade_to_head)
        return before


async def ensure_schema(engine: AsyncEngine) -> bool:
    """Migrate only when needed; True when a migration ran."""
    if await current_revision(engine) == SCHEMA_HEAD:
        return False
    return await migrate(engine) != SCHEMA_HEAD


def _upgrade_to_head(connection: Connection) -> None:
    from alembic import command

    if connection.dialect.name == "postgresql":
        # Backfilling a large catalogue may take longer than any request may.
        connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
