"""The catalogue's single state row: version for cache checks and the once-only seed mark."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from movies_api.db.models import CatalogueStateRow

STATE_ROW_ID = 1
_TABLE = cast(Table, CatalogueStateRow.__table__)
_ROW = _TABLE.c.id == STATE_ROW_ID


class SqlCatalogueStateRepository:
    """``CatalogueStateRepository``; the migration inserts the row, so it always exists."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def version(self) -> str:
        statement = select(_TABLE.c.epoch, _TABLE.c.version).where(_ROW)
        epoch, version = (await self._session.execute(statement)).one()
        return f"{epoch}.{version}"

    async def bump_version(self) -> None:
        await self._session.execute(update(_TABLE).where(_ROW).values(version=_TABLE.c.version + 1))

    async def is_seeded(self) -> bool:
        return bool((await self._session.execute(select(_TABLE.c.seeded).where(_ROW))).scalar_one())

    async def mark_seeded(self, *, at: datetime) -> None:
        await self._session.execute(update(_TABLE).where(_ROW).values(seeded=True, seeded_at=at))
