"""Bring the schema to head through Alembic, importing Alembic only when there is work to do.

Cold start matters on Cloud Run: a database already at head costs one query here.

A database at a revision this code does not know was migrated by a newer release: this
one is being rolled back to. Migrations are written expand-then-contract (a release
never needs what the one before it cannot use), so serving such a database is safe,
and ``ensure_schema`` does, with one warning. Migrating it is not: Alembic cannot
walk from a revision it has no script for, so ``migrate`` refuses with
``UnknownRevision`` instead of crashing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from importlib import resources
from typing import TYPE_CHECKING, Final

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from movies_api.db.engine import Sessions
from movies_api.db.locks import exclusive

if TYPE_CHECKING:
    from typing import TypeAlias

    from sqlalchemy.ext.asyncio import AsyncEngine

    # A database, reached through its ``AsyncEngine`` or through the service's ``Sessions``
    # (which, on SQLite, check the schema without ever building an ``AsyncEngine``).
    Database: TypeAlias = AsyncEngine | Sessions

MIGRATIONS: Final = "movies_api.db:migrations"
log = logging.getLogger("movies_api.db")

_REVISION = re.compile(r"^revision\s*(?::[^=]+)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN_REVISION = re.compile(
    r"^down_revision\s*(?::[^=]+)?=\s*(?:None|['\"]([^'\"]+)['\"])", re.MULTILINE
)


def _revisions_in(scripts: Iterable[str]) -> tuple[str, ...]:
    """The revisions the migration scripts declare, oldest first.

    Read from the scripts' text (``revision = "…"``, ``down_revision = …``) rather than
    through Alembic, which costs a cold start tens of milliseconds to import. A unit
    test checks the result against Alembic's own reading of the same folder.
    """
    parents: dict[str | None, str] = {}
    for source in scripts:
        revision, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if revision is None or down is None:
            msg = "a migration script without `revision = ...` and `down_revision = ...`"
            raise RuntimeError(msg)
        if down.group(1) in parents:
            msg = f"two migrations follow {down.group(1) or 'the base'}: the history must be a line"
            raise RuntimeError(msg)
        parents[down.group(1)] = revision.group(1)
    chain: list[str] = []
    while (following := parents.get(chain[-1] if chain else None)) is not None:
        chain.append(following)
    if len(chain) != len(parents):
        msg = "the migration scripts do not form one line down to the base"
        raise RuntimeError(msg)
    return tuple(chain)


def _migration_scripts() -> list[str]:
    folder = resources.files("movies_api.db.migrations.versions")
    return [
        entry.read_text(encoding="utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith(".py") and not entry.name.startswith("__")
    ]


# Every revision this release can migrate from or to, oldest first; the last is head.
KNOWN_REVISIONS: Final = _revisions_in(_migration_scripts())
SCHEMA_HEAD: Final = KNOWN_REVISIONS[-1]


class UnknownRevision(Exception):
    """The database is at a revision newer than this release: a rollback is in progress."""

    def __init__(self, revision: str) -> None:
        self.revision = revision
        super().__init__(
            f"the database schema is at revision {revision}, which this release does not know "
            f"(its newest is {SCHEMA_HEAD}): a newer release migrated it"
        )


class SchemaBehind(Exception):
    """The database needs a migration this process may not run."""

    def __init__(self, revision: str | None) -> None:
        self.revision = revision
        super().__init__(
            f"the database schema is at revision {revision or 'none (never migrated)'}, "
            f"behind this release's {SCHEMA_HEAD}, and migrating on start is off "
            "(MOVIES_MIGRATE_ON_START=false): run `movies-api migrate` first"
        )


def is_known(revision: str | None) -> bool:
    """Whether this release has a script for ``revision`` (None: a database never migrated)."""
    return revision is None or revision in KNOWN_REVISIONS


async def current_revision(database: Database) -> str | None:
    """The revision the database is at; None when it was never migrated.

    One query when the table is there. A database that cannot be reached, or a role that
    may not read the table, raises: neither is the same as a database never migrated.
    """
    if isinstance(database, Sessions):
        return await database.run(_read_revision)
    async with database.connect() as connection:
        return await connection.run_sync(_read_revision)


def _read_revision(connection: Connection) -> str | None:
    try:
        result = connection.execute(text("SELECT version_num FROM alembic_version"))
    except DBAPIError:
        connection.rollback()
        if inspect(connection).has_table("alembic_version"):
            raise
        return None
    revision: str | None = result.scalar_one_or_none()
    return revision


async def migrate(engine: AsyncEngine) -> str | None:
    """Upgrade to head under a cross-process lock; returns the revision it started from.

    Raises ``UnknownRevision`` (changing nothing) when the database is newer than this release.
    """
    async with exclusive(engine, "migrate", wait=True):
        before = await current_revision(engine)
        if not is_known(before):
            raise UnknownRevision(str(before))
        if before != SCHEMA_HEAD:
            async with engine.begin() as connection:
                await connection.run_sync(_upgrade_to_head)
        return before


async def ensure_schema(database: Database, *, migrate_if_behind: bool = True) -> bool:
    """Make the schema usable by this release; True when a migration ran.

    At head: nothing. Behind: migrate; with ``migrate_if_behind`` off (Cloud Run, where the
    migrate job owns the schema) raise ``SchemaBehind``, so a revision deployed before its
    migration ran never starts and the one serving keeps the traffic. Newer than this
    release: warn once and leave it alone.
    """
    revision = await current_revision(database)
    if revision == SCHEMA_HEAD:
        return False
    if not is_known(revision):
        log.warning("%s; using it as it is, without migrating", UnknownRevision(str(revision)))
        return False
    if not migrate_if_behind:
        raise SchemaBehind(revision)
    engine = database.engine if isinstance(database, Sessions) else database
    try:
        return await migrate(engine) != SCHEMA_HEAD
    except UnknownRevision as newer:  # a newer release migrated it while we waited for the lock
        log.warning("%s; using it as it is, without migrating", newer)
        return False


def require_roles(engine: AsyncEngine) -> None:
    """Raise ``ValueError`` unless the database has roles to grant to (PostgreSQL)."""
    if engine.url.get_backend_name() != "postgresql":
        msg = "granting access to roles needs PostgreSQL; SQLite has no roles"
        raise ValueError(msg)


async def grant_data_access(engine: AsyncEngine, roles: Iterable[str]) -> None:
    """Let ``roles`` read and write every table (DML only: no DDL, owning nothing).

    The migration user owns the schema; the service connects as a role that can change
    rows but not tables, so a compromised instance cannot drop or alter them. Granting is
    idempotent and covers tables a migration just added, so it runs after every migrate.
    """
    require_roles(engine)
    async with engine.begin() as connection:
        quote = connection.dialect.identifier_preparer.quote_identifier
        for role in roles:
            grantee = quote(role)
            await connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {grantee}"))
            await connection.execute(
                text(
                    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public "
                    f"TO {grantee}"
                )
            )
            await connection.execute(
                text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {grantee}")
            )


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
