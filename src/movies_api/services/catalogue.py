"""The catalogue's rules: reading pages and movies, adding from OMDb (by title or by id),
fetching a stored movie's details again, deleting."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from movies_api.domain.listing import Listing
from movies_api.domain.movie import Movie, MovieDetails, MovieRef
from movies_api.domain.titles import match_key
from movies_api.services import upstream
from movies_api.services.cursors import CursorCodec
from movies_api.services.errors import (
    AmbiguousTitle,
    MovieAlreadyExists,
    MovieNotFound,
    UpstreamFailed,
    UpstreamLost,
    UpstreamNotFound,
)
from movies_api.services.ports import OmdbLookup, UnitOfWork, UnitOfWorkFactory


def utc_now() -> datetime:
    """The clock the services use; tests pass their own."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Page:
    """Movies of a listing (as JSON documents), with what a client needs to walk the rest.

    A numbered page has ``page``; a page reached by cursor has ``page`` None. Either way
    ``next_cursor`` continues after its last movie, or is None when nothing follows.
    """

    listing: Listing
    items: Sequence[bytes]
    limit: int
    total: int
    total_exact: bool
    page: int | None
    next_cursor: str | None

    @property
    def pages(self) -> int | None:
        return None if self.page is None else -(-self.total // self.limit)


class CatalogueService:
    """Reads and writes the catalogue; the data layer moves the version with every write."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        omdb: OmdbLookup,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._uow = uow
        self._omdb = omdb
        self._clock = clock
        self._codec: CursorCodec | None = None

    async def list_movies(
        self, listing: Listing, *, limit: int, page: int | None = None, cursor: str | None = None
    ) -> Page:
        """Page ``page`` of ``listing`` (1 unless a ``cursor`` is given), or the movies after
        ``cursor``; past the last page the items are empty, never an error."""
        async with self._uow() as uow:
            codec = await self._cursors(uow)
            if cursor is not None:
                found = await uow.movies.listing(
                    listing, limit=limit, after=codec.decode(listing, cursor)
                )
            else:
                page = page or 1
                found = await uow.movies.listing(listing, limit=limit, offset=(page - 1) * limit)
        follows = found.more and found.items
        return Page(
            listing=listing,
            items=tuple(item.document for item in found.items),
            limit=limit,
            total=found.total,
            total_exact=found.total_exact,
            page=None if cursor is not None else page,
            next_cursor=codec.encode(listing, found.items[-1].position) if follows else None,
        )

    async def document(self, movie_id: str) -> bytes:
        """A stored movie's JSON document (contract §1)."""
        async with self._uow() as uow:
            document = await uow.movies.document(movie_id)
        if document is None:
            raise MovieNotFound(f"no movie with id {movie_id}")
        return document

    async def _cursors(self, uow: UnitOfWork) -> CursorCodec:
        """The cursor codec, keyed with the database's epoch (read once: it never changes)."""
        if self._codec is None:
            epoch = (await uow.state.version()).partition(".")[0]
            self._codec = CursorCodec(epoch)
        return self._codec

    async def get(self, movie_id: str) -> Movie:
        async with self._uow() as uow:
            movie = await uow.movies.get(movie_id)
        if movie is None:
            raise MovieNotFound(f"no movie with id {movie_id}")
        return movie

    async def find_by_title(self, title: str, *, year: int | None = None) -> Movie:
        """The one movie matching ``title`` (contract §1); remakes without a year are ambiguous."""
        async with self._uow() as uow:
            matches = await uow.movies.by_match_key(match_key(title), year=year)
        if not matches:
            raise MovieNotFound(f"no movie titled {title!r}" + (f" from {year}" if year else ""))
        if len(matches) > 1:
            raise AmbiguousTitle([MovieRef(m.id, m.title, m.year) for m in matches])
        return matches[0]

    async def add(self, title: str, *, year: int | None = None, type: str | None = None) -> Movie:
        """Fetch every detail from OMDb and store it; nothing is stored on any failure."""
        details = await upstream.details(self._omdb.get_by_title(title, year=year, type=type))
        return await self._store(details)

    async def add_by_id(self, movie_id: str) -> Movie:
        """Fetch exactly that IMDb id from OMDb and store it; an id already stored costs no
        OMDb request."""
        async with self._uow() as uow:
            if await uow.movies.stored_ids([movie_id]):
                raise MovieAlreadyExists(movie_id)
        return await self._store(await upstream.details(self._omdb.get_by_id(movie_id)))

    async def refresh(self, movie_id: str) -> Movie:
        """Fetch a stored movie's details again and replace them in one transaction that bumps
        the catalogue version; ``added_at`` stays. On any OMDb failure nothing changes."""
        async with self._uow() as uow:
            if not await uow.movies.stored_ids([movie_id]):
                raise MovieNotFound(f"no movie with id {movie_id}")
        details = await fetch_again(self._omdb, movie_id)
        async with self._uow() as uow:
            movie = await uow.movies.replace(details, refreshed_at=self._clock())
            if movie is None:  # deleted while OMDb answered
                raise MovieNotFound(f"no movie with id {movie_id}")
            await uow.commit()
        return movie

    async def _store(self, details: MovieDetails) -> Movie:
        added_at = self._clock()
        async with self._uow() as uow:
            if not await uow.movies.add([details], added_at=added_at):
                raise MovieAlreadyExists(details.id)
            await uow.commit()
        return Movie.stored(details, added_at=added_at)

    async def delete(self, movie_id: str) -> None:
        async with self._uow() as uow:
            if not await uow.movies.delete(movie_id):
                raise MovieNotFound(f"no movie with id {movie_id}")
            await uow.commit()

    async def version(self) -> str:
        """The catalogue version: it changes with every committed write, on every instance."""
        async with self._uow() as uow:
            return await uow.state.version()


async def fetch_again(omdb: OmdbLookup, movie_id: str) -> MovieDetails:
    """A stored movie's details as OMDb gives them now.

    OMDb losing a record we hold (``UpstreamLost``), or answering with another id, is its
    failure (502), not a missing movie: the catalogue still has it.
    """
    try:
        details = await upstream.details(omdb.get_by_id(movie_id))
    except UpstreamNotFound as error:
        raise UpstreamLost(f"OMDb no longer has the stored movie {movie_id}: {error}") from None
    if details.id != movie_id:
        raise UpstreamFailed(f"OMDb answered {movie_id} with the record of {details.id}")
    return details
