"""OMDb in the catalogue's terms: its records as ``MovieDetails``, its failures as
``UpstreamError``s, so the services above never import the client or its errors."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from movies_api.domain.movie import MovieDetails
from movies_api.omdb.errors import (
    InvalidRecord,
    OmdbError,
    OmdbNotFound,
    OmdbQuotaReached,
    OmdbTimeout,
    OmdbUnavailable,
)
from movies_api.omdb.normalise import normalise
from movies_api.services.errors import (
    UpstreamError,
    UpstreamFailed,
    UpstreamNotFound,
    UpstreamQuotaReached,
    UpstreamRefused,
    UpstreamTimedOut,
)

T = TypeVar("T")


def translate(error: OmdbError) -> UpstreamError:
    """The upstream error for an OMDb error; its message already holds no key."""
    kind: type[UpstreamError]
    if isinstance(error, OmdbNotFound):
        kind = UpstreamNotFound
    elif isinstance(error, OmdbTimeout):
        kind = UpstreamTimedOut
    elif isinstance(error, OmdbUnavailable | InvalidRecord):
        kind = UpstreamFailed
    elif isinstance(error, OmdbQuotaReached):
        kind = UpstreamQuotaReached
    else:  # not configured, invalid key
        kind = UpstreamRefused
    return kind(str(error))


async def answer(request: Awaitable[T]) -> T:
    """What OMDb answers to ``request``; its failure as an ``UpstreamError``."""
    try:
        return await request
    except OmdbError as error:
        raise translate(error) from None


async def details(record: Awaitable[dict[str, object]]) -> MovieDetails:
    """The movie an OMDb record describes, normalised; any failure as an ``UpstreamError``."""
    try:
        return normalise(await record)
    except OmdbError as error:
        raise translate(error) from None
