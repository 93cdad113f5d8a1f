"""The unit of work: one session, one transaction, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from movies_api.db.key_repository import SqlApiKeyRepository
from movies_api.db.movie_repository import SqlMovieRepository
from movies_api.db.state_repository import SqlCatalogueStateRepository
from movies_api.services.errors import StorageUnavailable


class SqlUnitOfWork:
    """Implements ``services.ports.UnitOfWork`` on SQLAlchemy's async session."""

    movies: SqlMovieRepository
    state: SqlCatalogueStateRepository
    keys: SqlApiKeyRepository

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> Self:
        self._session = self._sessions()
        self.movies = SqlMovieRepository(self._session)
        self.state = SqlCatalogueStateRepository(self._session)
        self.keys = SqlApiKeyRepository(self._session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self._session.rollback()
        finally:
            await self._session.close()
        if isinstance(exc, DBAPIError | OSError):
            # The services speak of storage, not of drivers; the cause stays chained for logs.
            raise StorageUnavailable("the database is unavailable") from exc

    async def commit(self) -> None:
        await self._session.commit()
