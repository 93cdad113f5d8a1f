"""OMDb's failures in the catalogue's terms, so callers above never import the client."""

from __future__ import annotations

from movies_api.omdb.errors import (
    InvalidRecord,
    OmdbError,
    OmdbNotFound,
    OmdbTimeout,
    OmdbUnavailable,
)
from movies_api.services.errors import (
    UpstreamError,
    UpstreamFailed,
    UpstreamNotFound,
    UpstreamRefused,
    UpstreamTimedOut,
)


def translate(error: OmdbError) -> UpstreamError:
    """The upstream error for an OMDb error; its message already holds no key."""
    kind: type[UpstreamError]
    if isinstance(error, OmdbNotFound):
        kind = UpstreamNotFound
    elif isinstance(error, OmdbTimeout):
        kind = UpstreamTimedOut
    elif isinstance(error, OmdbUnavailable | InvalidRecord):
        kind = UpstreamFailed
    else:  # not configured, invalid key, quota reached
        kind = UpstreamRefused
    return kind(str(error))
