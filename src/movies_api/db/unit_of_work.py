"""The unit of work: one session, one transaction, rolled back unless committed."""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Self

from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from movies_api.db.engine import Sessions
from movies_api.db.key_repository import SqlApiKeyRepository
from movies_api.db.movie_repository import SqlMovieRepository
from movies_api.db.state_repository import SqlCatalogueStateRepository, record_change
from movies_api.services.errors import StorageUnavailable

# The services speak of storage, not of drivers; the cause stays chained for the logs.
# Every SQLAlchemy error counts, not only the driver's (``DBAPIError``) and the pool's: a
# connection the server dropped also surfaces as "can't reconnect until invalid
# transaction is rolled back" and the like.
_STORAGE_ERRORS = (SQLAlchemyError, OSError)
log = logging.getLogger("movies_api.db")


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
        except _STORAGE_ERRORS as error:
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
        try:
            await self._session.close()  # closing rolls back whatever was not committed
        except _STORAGE_ERRORS as closing:
            # The server went away: the rollback fails with it, which changes nothing (an
            # uncommitted transaction dies with its connection). The work's own outcome,
            # or its own error, is the answer; a failed close is never a 500 (issue 10).
            log.debug("closing a database session failed: %s", closing)
        if isinstance(exc, _STORAGE_ERRORS):
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
