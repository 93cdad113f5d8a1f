"""What the services need from storage, as protocols: the data layer implements them,
unit tests implement them with in-memory fakes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from movies_api.domain.listing import Listing, ListingSlice, Position
from movies_api.domain.movie import Movie, MovieDetails, MovieSummary


@dataclass(frozen=True, slots=True)
class StoredKey:
    """An API key as stored: never the key itself, only its hash and a recognisable prefix."""

    id: int
    name: str
    prefix: str
    key_hash: str
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class MovieRepository(Protocol):
    """The movies aggregate.

    Every write (``add``, ``replace``, ``delete``) that changes a movie also moves the
    catalogue version and keeps the count, in the same transaction: a service cannot forget.
    """

    async def count(self) -> int:
        """How many movies the catalogue holds: kept as movies come and go, never counted."""
        ...

    async def listing(
        self, listing: Listing, *, limit: int, offset: int = 0, after: Position | None = None
    ) -> ListingSlice:
        """Up to ``limit`` movies of ``listing`` in its order, from ``offset`` or after
        ``after``, with the listing's total; each movie as its JSON document and position."""
        ...

    async def get(self, movie_id: str) -> Movie | None: ...

    async def document(self, movie_id: str) -> bytes | None:
        """A stored movie's JSON document, as the API sends it."""
        ...

    async def by_match_key(self, key: str, *, year: int | None) -> Sequence[Movie]:
        """Movies whose title matches ``key`` (see ``domain.titles.match_key``), in title order."""
        ...

    async def add(self, movies: Iterable[MovieDetails], *, added_at: datetime) -> set[str]:
        """Store movies whose ids are not stored yet; returns the ids it stored."""
        ...

    async def delete(self, movie_id: str) -> bool:
        """Remove one movie; False when it was not there."""
        ...

    async def stored_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` are stored, in one query."""
        ...

    async def stored_titles(self, keys: Iterable[str]) -> Mapping[str, Sequence[MovieSummary]]:
        """For each of ``keys`` (``domain.titles.match_key``) a stored title matches, the
        movies it matches, in title order; in one query."""
        ...

    async def replace(self, details: MovieDetails, *, refreshed_at: datetime) -> Movie | None:
        """Overwrite the stored details of ``details.id`` (``added_at`` stays); None when that
        id is not stored."""
        ...

    async def stale(
        self, *, before: datetime, after: tuple[datetime, str] | None = None, limit: int
    ) -> Sequence[Movie]:
        """Up to ``limit`` movies last refreshed before ``before``, the stalest first (ties by
        id); ``after`` (a movie's ``refreshed_at`` and id) continues from that movie."""
        ...

    async def count_stale(self, *, before: datetime) -> int:
        """How many movies were last refreshed before ``before``."""
        ...


class CatalogueStateRepository(Protocol):
    """The catalogue's version (bumped by every write) and its seed mark."""

    async def version(self) -> str:
        """``epoch.number``: the number changes with every committed write of movies, the
        epoch is random per database (and secret: cursors are signed with it)."""
        ...

    async def is_seeded(self) -> bool: ...

    async def mark_seeded(self, *, at: datetime) -> None: ...


class ApiKeyRepository(Protocol):
    """API keys, looked up by hash."""

    async def add(
        self, *, name: str, prefix: str, key_hash: str, scopes: Sequence[str], created_at: datetime
    ) -> StoredKey: ...

    async def by_hash(self, key_hash: str) -> StoredKey | None: ...

    async def all(self) -> Sequence[StoredKey]: ...

    async def revoke(self, key_id: int, *, at: datetime) -> StoredKey | None:
        """Revoke a key (idempotent: keeps the first revocation time); None when unknown."""
        ...

    async def touch(self, key_id: int, *, at: datetime) -> None: ...


class UnitOfWork(Protocol):
    """One transaction: nothing it did persists unless ``commit`` is awaited before exit."""

    @property
    def movies(self) -> MovieRepository: ...

    @property
    def state(self) -> CatalogueStateRepository: ...

    @property
    def keys(self) -> ApiKeyRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    """Makes a fresh unit of work; services open one per operation."""

    def __call__(self) -> UnitOfWork: ...


class OmdbLookup(Protocol):
    """The part of the OMDb client the services use; ``omdb.client.OmdbClient`` provides it."""

    async def get_by_id(self, imdb_id: str, *, plot: str = "full") -> dict[str, object]: ...

    async def get_by_title(
        self, title: str, *, year: int | None = None, type: str | None = None, plot: str = "full"
    ) -> dict[str, object]: ...


class SearchResults(Protocol):
    """One page of an OMDb search (``omdb.client.SearchPage``)."""

    @property
    def items(self) -> tuple[MovieSummary, ...]: ...

    @property
    def total_results(self) -> int: ...


class OmdbSearch(Protocol):
    """OMDb's title search, as the lookup service uses it."""

    async def search(
        self, query: str, *, page: int = 1, type: str | None = "movie", year: int | None = None
    ) -> SearchResults: ...


class LookupCache(Protocol):
    """Where OMDb's search answers are kept for a while (in process, or shared through Redis).

    It expires entries on its own; a failure to read or write must not fail a lookup.
    """

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes) -> None: ...
