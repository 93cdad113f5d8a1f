"""In-memory fakes of the service ports: unit tests assert behaviour against these,
not against chains of mocks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields, replace
from datetime import datetime
from types import TracebackType
from typing import Self

from movies_api.domain.document import movie_document
from movies_api.domain.listing import Listed, Listing, ListingSlice, Position
from movies_api.domain.movie import Movie, MovieDetails, MovieSummary
from movies_api.domain.poster import Poster
from movies_api.domain.titles import match_key, sort_key
from movies_api.services.errors import PosterUnavailable
from movies_api.services.ports import StoredKey
from tests.reference_listing import Query, Reference


def title_order(movie: Movie) -> tuple[str, bool, int, str]:
    """Contract §1's order, written independently of the SQL one."""
    return (sort_key(movie.title), movie.year is None, movie.year or 0, movie.id)


class Store:
    """What a database would hold; shared by the units of work made from one factory."""

    def __init__(self) -> None:
        self.movies: dict[str, Movie] = {}
        self.keys: dict[int, StoredKey] = {}
        self.version = 1
        self.seeded = False
        self.seeded_at: datetime | None = None
        self.commits = 0
        self.listings = 0  # listings read: what a cache hit saves


class FakeMovies:
    """Movies in a dict; listings come from the Python reference (``tests.reference_listing``).

    A position here is the last movie's id (real repositories keep sort values, which
    survive that movie's deletion; unit tests do not delete during a walk)."""

    def __init__(self, staged: dict[str, Movie], uow: FakeUnitOfWork) -> None:
        self.staged = staged
        self.uow = uow

    async def count(self) -> int:
        return len(self.staged)

    async def listing(
        self, listing: Listing, *, limit: int, offset: int = 0, after: Position | None = None
    ) -> ListingSlice:
        query = Query(
            q=" ".join(listing.words) or None,
            genre=listing.genres,
            type=listing.type,
            year=listing.year,
            year_min=listing.year_min,
            year_max=listing.year_max,
            director=listing.director,
            actor=listing.actor,
            rating_min=listing.rating_min,
            sort=str(listing.sort),
        )
        self.uow.store.listings += 1
        reference = Reference.of(self.staged.values())
        ordered = reference.listing(query)
        total, exact = (len(ordered), True) if listing.plain else reference.total(query)
        if after is not None:
            offset = [movie.id for movie in ordered].index(str(after[0])) + 1
        chosen = ordered[offset : offset + limit]
        return ListingSlice(
            items=tuple(Listed(movie_document(m), (m.id,)) for m in chosen),
            total=total,
            total_exact=exact,
            more=offset + limit < len(ordered),
        )

    async def get(self, movie_id: str) -> Movie | None:
        return self.staged.get(movie_id)

    async def document(self, movie_id: str) -> bytes | None:
        movie = self.staged.get(movie_id)
        return None if movie is None else movie_document(movie)

    async def by_match_key(self, key: str, *, year: int | None) -> Sequence[Movie]:
        found = [
            m
            for m in self.staged.values()
            if match_key(m.title) == key and (year is None or m.year == year)
        ]
        return sorted(found, key=title_order)

    async def add(self, movies: Iterable[MovieDetails], *, added_at: datetime) -> set[str]:
        stored = set()
        for movie in movies:
            if movie.id not in self.staged:
                self.staged[movie.id] = Movie.stored(movie, added_at=added_at)
                stored.add(movie.id)
        self.uow.changed = self.uow.changed or bool(stored)
        return stored

    async def delete(self, movie_id: str) -> bool:
        if self.staged.pop(movie_id, None) is None:
            return False
        self.uow.changed = True
        return True

    async def stored_ids(self, ids: Iterable[str]) -> set[str]:
        return {movie_id for movie_id in ids if movie_id in self.staged}

    async def stored_titles(self, keys: Iterable[str]) -> dict[str, list[MovieSummary]]:
        wanted = set(keys)
        found: dict[str, list[MovieSummary]] = {}
        for movie in sorted(self.staged.values(), key=title_order):
            key = match_key(movie.title)
            if key in wanted:
                summary = MovieSummary(
                    movie.id, movie.title, movie.year, movie.type, movie.poster_url
                )
                found.setdefault(key, []).append(summary)
        return found

    async def replace(self, details: MovieDetails, *, refreshed_at: datetime) -> Movie | None:
        stored = self.staged.get(details.id)
        if stored is None:
            return None
        values = {field.name: getattr(details, field.name) for field in fields(details)}
        movie = Movie(**values, added_at=stored.added_at, refreshed_at=refreshed_at)
        self.staged[details.id] = movie
        self.uow.changed = True
        return movie

    async def stale(
        self, *, before: datetime, after: tuple[datetime, str] | None = None, limit: int
    ) -> Sequence[Movie]:
        due = sorted(
            (m for m in self.staged.values() if m.refreshed_at and m.refreshed_at < before),
            key=lambda m: (m.refreshed_at, m.id),
        )
        if after is not None:
            due = [m for m in due if m.refreshed_at and (m.refreshed_at, m.id) > after]
        return due[:limit]

    async def count_stale(self, *, before: datetime) -> int:
        return sum(1 for m in self.staged.values() if m.refreshed_at and m.refreshed_at < before)


class FakeState:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def version(self) -> str:
        return f"fake.{self.uow.version}"

    async def is_seeded(self) -> bool:
        return self.uow.seeded

    async def mark_seeded(self, *, at: datetime) -> None:
        self.uow.seeded = True
        self.uow.seeded_at = at


class FakeKeys:
    def __init__(self, staged: dict[int, StoredKey]) -> None:
        self.staged = staged

    async def add(
        self, *, name: str, prefix: str, key_hash: str, scopes: Sequence[str], created_at: datetime
    ) -> StoredKey:
        key = StoredKey(
            id=max(self.staged, default=0) + 1,
            name=name,
            prefix=prefix,
            key_hash=key_hash,
            scopes=tuple(scopes),
            created_at=created_at,
            last_used_at=None,
            revoked_at=None,
        )
        self.staged[key.id] = key
        return key

    async def by_hash(self, key_hash: str) -> StoredKey | None:
        return next((k for k in self.staged.values() if k.key_hash == key_hash), None)

    async def all(self) -> Sequence[StoredKey]:
        return [self.staged[i] for i in sorted(self.staged)]

    async def revoke(self, key_id: int, *, at: datetime) -> StoredKey | None:
        key = self.staged.get(key_id)
        if key is None:
            return None
        if key.revoked_at is None:
            key = self.staged[key_id] = replace(key, revoked_at=at)
        return key

    async def touch(self, key_id: int, *, at: datetime) -> None:
        self.staged[key_id] = replace(self.staged[key_id], last_used_at=at)


class FakeUnitOfWork:
    """Stages changes on copies; ``commit`` publishes them to the store, exit drops the rest."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def __aenter__(self) -> Self:
        self.movies = FakeMovies(dict(self.store.movies), self)
        self.keys = FakeKeys(dict(self.store.keys))
        self.state = FakeState(self)
        self.version = self.store.version
        self.changed = False
        self.seeded = self.store.seeded
        self.seeded_at = self.store.seeded_at
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        self.store.movies = dict(self.movies.staged)
        self.store.keys = dict(self.keys.staged)
        self.store.version = self.version + int(self.changed)
        self.store.seeded = self.seeded
        self.store.seeded_at = self.seeded_at
        self.store.commits += 1


class FakeUnitOfWorkFactory:
    """``UnitOfWorkFactory`` over one in-memory store."""

    def __init__(self, store: Store | None = None) -> None:
        self.store = store or Store()

    def __call__(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store)


class FakePosters:
    """Poster hosts as a dict of URL to image; any other URL fails. ``fetched`` lists every
    fetch, in order."""

    def __init__(self, images: dict[str, Poster] | None = None) -> None:
        self.images = dict(images or {})
        self.fetched: list[str] = []

    async def fetch(self, url: str) -> Poster:
        self.fetched.append(url)
        image = self.images.get(url)
        if image is None:
            raise PosterUnavailable(f"nothing at {url}")
        return image
