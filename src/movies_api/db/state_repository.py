"""The catalogue's single state row: version for cache checks and the once-only seed mark."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.engine import Connection

from movies_api.db.engine import DbSession
from movies_api.db.models import CatalogueStateRow

STATE_ROW_ID = 1
_TABLE = cast(Table, CatalogueStateRow.__table__)
_ROW = _TABLE.c.id == STATE_ROW_ID


def _version(connection: Connection) -> str:
    epoch, version = connection.execute(select(_TABLE.c.epoch, _TABLE.c.version).where(_ROW)).one()
    return f"{epoch}.{version}"


def _bump(connection: Connection) -> None:
    connection.execute(update(_TABLE).where(_ROW).values(version=_TABLE.c.version + 1))


def _is_seeded(connection: Connection) -> bool:
    return bool(connection.execute(select(_TABLE.c.seeded).where(_ROW)).scalar_one())


def _mark_seeded(connection: Connection, at: datetime) -> None:
    connection.execute(update(_TABLE).where(_ROW).values(seeded=True, seeded_at=at))


class SqlCatalogueStateRepository:
    """``CatalogueStateRepository``; the migration inserts the row, so it always exists."""

    def __init__(self, session: DbSession) -> None:
        self._session = session

    async def version(self) -> str:
        return await self._session.run(_version)

    async def bump_version(self) -> None:
        await self._session.run(_bump)

    async def is_seeded(self) -> bool:
        return await self._session.run(_is_seeded)

    async def mark_seeded(self, *, at: datetime) -> None:
        await self._session.run(_mark_seeded, at)
