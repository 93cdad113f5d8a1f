"""The unit of work: one session, one transaction, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from movies_api.db.engine import Sessions
from movies_api.db.key_repository import SqlApiKeyRepository
from movies_api.db.movie_repository import SqlMovieRepository
from movies_api.db.state_repository import SqlCatalogueStateRepository, record_change
from movies_api.services.errors import StorageUnavailable

# The services speak of storage, not of drivers; the cause stays chained for the logs.
_DRIVER_ERRORS = (DBAPIError, PoolTimeout, OSError)


def _unavailable() -> StorageUnavailable:
    return StorageUnavailable("the database is unavailable")


class SqlUnitOfWork:
    """Implements ``services.ports.UnitOfWork`` on one session from ``Sessions``."""

    movies: SqlMovieRepository
    state: SqlCatalogueStateRepository
    keys: SqlApiKeyRepository

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> Self:
        try:
            self._session = await self._sessions.open()  # PostgreSQL connects here
        except _DRIVER_ERRORS as error:
            raise _unavailable() from error
        self.movies = SqlMovieRepository(self._session, self._sessions.stretches)
        self.state = SqlCatalogueStateRepository(self._session)
        self.keys = SqlApiKeyRepository(self._session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._session.close()  # closing rolls back whatever was not committed
        if isinstance(exc, _DRIVER_ERRORS):
            raise _unavailable() from exc

    async def commit(self) -> None:
        """Commit, recording first what the transaction did to the movies (one version)."""
        if self.movies.changed:
            await self._session.run(_commit_change, self.movies.delta)
        else:
            await self._session.commit()


def _commit_change(connection: Connection, delta: int) -> None:
    record_change(connection, delta)
    connection.commit()
