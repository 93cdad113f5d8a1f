"""API keys in SQL, found by the hash of the presented key (unique index)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.engine import Connection

from movies_api.db.engine import DbSession
from movies_api.db.models import API_KEYS
from movies_api.services.ports import StoredKey

_TABLE = API_KEYS


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:  # SQLite drops the zone; values are UTC
        return value.replace(tzinfo=UTC)
    return value


def _to_key(row: Row[Any]) -> StoredKey:
    return StoredKey(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        key_hash=row.key_hash,
        scopes=tuple(row.scopes),
        created_at=_utc(row.created_at) or row.created_at,
        last_used_at=_utc(row.last_used_at),
        revoked_at=_utc(row.revoked_at),
    )


def _add(connection: Connection, values: dict[str, Any]) -> StoredKey:
    return _to_key(
        connection.execute(insert(_TABLE).values(**values).returning(*_TABLE.columns)).one()
    )


def _by_hash(connection: Connection, key_hash: str) -> StoredKey | None:
    row = connection.execute(select(_TABLE).where(_TABLE.c.key_hash == key_hash)).first()
    return None if row is None else _to_key(row)


def _all(connection: Connection) -> list[StoredKey]:
    return [_to_key(row) for row in connection.execute(select(_TABLE).order_by(_TABLE.c.id))]


def _revoke(connection: Connection, key_id: int, at: datetime) -> StoredKey | None:
    connection.execute(
        update(_TABLE)
        .where(_TABLE.c.id == key_id, _TABLE.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    row = connection.execute(select(_TABLE).where(_TABLE.c.id == key_id)).first()
    return None if row is None else _to_key(row)


def _touch(connection: Connection, key_id: int, at: datetime) -> None:
    connection.execute(update(_TABLE).where(_TABLE.c.id == key_id).values(last_used_at=at))


class SqlApiKeyRepository:
    """``ApiKeyRepository`` over one session."""

    def __init__(self, session: DbSession) -> None:
        self._session = session

    async def add(
        self, *, name: str, prefix: str, key_hash: str, scopes: Sequence[str], created_at: datetime
    ) -> StoredKey:
        values = {
            "name": name,
            "prefix": prefix,
            "key_hash": key_hash,
            "scopes": list(scopes),
            "created_at": created_at,
        }
        return await self._session.run(_add, values)

    async def by_hash(self, key_hash: str) -> StoredKey | None:
        return await self._session.run(_by_hash, key_hash)

    async def all(self) -> Sequence[StoredKey]:
        return await self._session.run(_all)

    async def revoke(self, key_id: int, *, at: datetime) -> StoredKey | None:
        return await self._session.run(_revoke, key_id, at)

    async def touch(self, key_id: int, *, at: datetime) -> None:
        await self._session.run(_touch, key_id, at)
