"""Cursors (contract §2 "Walking a large listing"): opaque, tamper-evident positions.

A cursor carries the position of the last movie of a page (its sort values, not an
offset, so writes elsewhere in the listing cannot make a walk skip or repeat a movie) and
the fingerprint of the listing it belongs to, signed with the database's secret epoch.
A cursor changed by hand, cut short, or made for other filters or another order fails
the check and is refused.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
from typing import Final

import orjson

from movies_api.domain.listing import Listing, Position
from movies_api.services.errors import InvalidCursor

FORMAT: Final = 1
MAX_LENGTH: Final = 4096
_MAC_BYTES: Final = 12


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    """Signs and checks cursors with one database's secret."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(f"movies-api cursor:{secret}".encode()).digest()
        # A page's next cursor is the same for every reader until the movies change:
        # signed once per position, not once per uncached page.
        self._signed = functools.lru_cache(maxsize=4096)(self._sign)

    def encode(self, listing: Listing, position: Position) -> str:
        return self._signed(listing, position)

    def _sign(self, listing: Listing, position: Position) -> str:
        payload = orjson.dumps([FORMAT, listing.fingerprint(), list(position)])
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def decode(self, listing: Listing, cursor: str) -> Position:
        """The position ``cursor`` holds, if this service made it for ``listing``."""
        if len(cursor) > MAX_LENGTH or cursor.count(".") != 1:
            raise InvalidCursor("the cursor is malformed")
        body, _, mac = cursor.partition(".")
        try:
            payload, signature = _unb64(body), _unb64(mac)
        except (binascii.Error, ValueError):
            raise InvalidCursor("the cursor is malformed") from None
        if not hmac.compare_digest(signature, self._mac(payload)):
            raise InvalidCursor("the cursor is not one this service made, or it was changed")
        form, fingerprint, position = orjson.loads(payload)
        if form != FORMAT or fingerprint != listing.fingerprint():
            raise InvalidCursor("the cursor belongs to another listing (other filters or order)")
        return tuple(position)

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_MAC_BYTES]
