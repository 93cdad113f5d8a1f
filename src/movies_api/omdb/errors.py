"""What can go wrong when asking OMDb, as types the service maps to HTTP statuses.

Kept free of httpx so the error mapping can be imported without the HTTP stack.
No message ever carries the API key: they are built from the request's subject
(an id, a title) and OMDb's own error text, never from a URL.
"""

from __future__ import annotations


class OmdbError(Exception):
    """Any failure to get an answer out of OMDb."""


class OmdbNotConfigured(OmdbError):
    """The service has no OMDb API key, so nothing was sent."""


class OmdbNotFound(OmdbError):
    """OMDb answered, and it has no such title or id."""


class OmdbInvalidKey(OmdbError):
    """OMDb refused the configured API key (or says none was sent)."""


class OmdbQuotaReached(OmdbError):
    """The key's daily request limit is spent; retrying before it resets is useless."""


class OmdbUnavailable(OmdbError):
    """OMDb failed: 5xx, a malformed body, a connection error or an unexpected error text."""


class OmdbTimeout(OmdbError):
    """OMDb did not answer in time, on every attempt."""


class InvalidRecord(OmdbError):
    """An OMDb record lacks what identifies a movie (a valid ``imdbID`` or a ``Title``)."""
