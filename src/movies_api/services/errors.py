"""What can go wrong in the catalogue, in the catalogue's words; the HTTP layer maps
each to one problem response, the CLI to one message."""

from __future__ import annotations

from collections.abc import Sequence

from movies_api.domain.movie import MovieRef


class CatalogueError(Exception):
    """Base of every rule the catalogue enforces."""


class InvalidCursor(CatalogueError):
    """A cursor that is garbled, or was made for another listing (a 422 naming ``cursor``)."""


class MovieNotFound(CatalogueError):
    """No stored movie has that id, or that title."""


class PosterUnavailable(CatalogueError):
    """A stored movie has no poster, or its poster could not be fetched (the UI draws one)."""


class AmbiguousTitle(CatalogueError):
    """Several stored movies match a title and no year narrows them to one."""

    def __init__(self, candidates: Sequence[MovieRef]) -> None:
        super().__init__(f"{len(candidates)} movies match that title")
        self.candidates = tuple(candidates)


class MovieAlreadyExists(CatalogueError):
    """The movie OMDb returned is already stored (same IMDb id)."""

    def __init__(self, movie_id: str) -> None:
        super().__init__(f"movie {movie_id} is already in the catalogue")
        self.movie_id = movie_id


class UpstreamError(CatalogueError):
    """OMDb could not give us the movie; nothing was stored."""


class UpstreamNotFound(UpstreamError):
    """OMDb has no such title."""


class UpstreamFailed(UpstreamError):
    """OMDb answered with an error, a malformed body, or not at all."""


class UpstreamLost(UpstreamFailed):
    """OMDb no longer has a movie the catalogue holds (a failure upstream, not a missing movie)."""


class UpstreamTimedOut(UpstreamError):
    """OMDb did not answer in time."""


class UpstreamRefused(UpstreamError):
    """OMDb refuses our key, its quota is spent, or no key is configured."""


class UpstreamQuotaReached(UpstreamRefused):
    """OMDb's daily request limit for our key is spent: nothing more until it resets."""


class StorageUnavailable(CatalogueError):
    """The database did not answer; the operation changed nothing."""
