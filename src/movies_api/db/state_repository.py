"""The catalogue's single state row: the version caches check, the number of movies, the
once-only seed mark, and the lock every write of the catalogue takes first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, bindparam, select, update
from sqlalchemy.engine import Connection

from movies_api.db.engine import DbSession
from movies_api.db.models import CATALOGUE_STATE

STATE_ROW_ID = 1
STATE = CATALOGUE_STATE  # its single row holds the version and count
_ROW = STATE.c.id == STATE_ROW_ID
_READ = select(STATE.c.epoch, STATE.c.version, STATE.c.movie_count).where(_ROW)
# Updating the row to itself takes its row lock (PostgreSQL) or the write lock (SQLite)
# before anything else is read: writers of the catalogue then run one after another, and
# what they maintain beside the movies (counts, stretches, search order) stays exact.
_LOCK = update(STATE).where(_ROW).values(version=STATE.c.version)
_CHANGED = (
    update(STATE)
    .where(_ROW)
    .values(
        version=STATE.c.version + 1,
        movie_count=STATE.c.movie_count + bindparam("delta", type_=Integer),
    )
)


def read_state(connection: Connection) -> tuple[str, int]:
    """The catalogue version (``epoch.number``) and how many movies it holds, in one read."""
    epoch, version, count = connection.execute(_READ).one()
    return f"{epoch}.{version}", count


def lock_catalogue(connection: Connection) -> None:
    """Take the catalogue's write lock for the rest of the transaction."""
    connection.execute(_LOCK)


def record_change(connection: Connection, delta: int) -> None:
    """A committed change of the movies: a new version, and ``delta`` movies more or fewer."""
    connection.execute(_CHANGED, {"delta": delta})


def _version(connection: Connection) -> str:
    return read_state(connection)[0]


def _is_seeded(connection: Connection) -> bool:
    return bool(connection.execute(select(STATE.c.seeded).where(_ROW)).scalar_one())


def _mark_seeded(connection: Connection, at: datetime) -> None:
    connection.execute(update(STATE).where(_ROW).values(seeded=True, seeded_at=at))


class SqlCatalogueStateRepository:
    """``CatalogueStateRepository``; the migration inserts the row, so it always exists."""

    def __init__(self, session: DbSession) -> None:
        self._session = session

    async def version(self) -> str:
        return await self._session.run(_version)

    async def is_seeded(self) -> bool:
        return await self._session.run(_is_seeded)

    async def mark_seeded(self, *, at: datetime) -> None:
        await self._session.run(_mark_seeded, at)
