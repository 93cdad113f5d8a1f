"""API keys: made from ``secrets``, shown once, kept only as a SHA-256 hash.

Why a plain SHA-256 and not a password hash or a keyed hash: the key is 256 random
bits, so there is nothing to brute-force that a slow or peppered hash would protect,
and a fast hash keeps every authenticated request cheap. A pepper would add a second
secret to rotate without adding security for keys of this entropy.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Final

from movies_api.services.catalogue import utc_now
from movies_api.services.errors import CatalogueError
from movies_api.services.ports import StoredKey, UnitOfWorkFactory

SCOPES: Final = ("movies:delete", "movies:add")
DEFAULT_SCOPES: Final = ("movies:delete",)
KEY_MARK: Final = "mva_"  # lets secret scanners and people recognise a Movies API key
PREFIX_LENGTH: Final = 12
MAX_KEY_LENGTH: Final = 128
# last_used_at is for people reading `keys list`; a write per request would cost more than it tells
TOUCH_EVERY: Final = timedelta(minutes=1)


class ApiKeyError(CatalogueError):
    """Base of the API key errors."""


class InvalidKey(ApiKeyError):
    """Unknown, revoked or malformed: the caller is not authenticated."""


class MissingScope(ApiKeyError):
    """The key is valid but may not do this."""


class UnknownKeyId(ApiKeyError):
    """No key has that id."""


class UnknownScope(ApiKeyError):
    """A scope this service does not have."""


def hash_key(key: str) -> str:
    """What the database keeps of a key: its SHA-256, never the key itself."""
    return hashlib.sha256(key.encode()).hexdigest()


class KeyService:
    """Create, list, revoke and check keys; the clear key leaves only through ``create``."""

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Callable[[], datetime] = utc_now) -> None:
        self._uow = uow
        self._clock = clock

    async def create(
        self, *, name: str, scopes: Iterable[str] = DEFAULT_SCOPES
    ) -> tuple[StoredKey, str]:
        """A new key: returns what is stored and the key itself, which is never seen again."""
        wanted = tuple(dict.fromkeys(scopes)) or DEFAULT_SCOPES
        unknown = [scope for scope in wanted if scope not in SCOPES]
        if unknown:
            raise UnknownScope(f"unknown scope {unknown[0]!r}; scopes are {', '.join(SCOPES)}")
        name = name.strip()
        if not name or len(name) > 200:
            raise ValueError("a key needs a name of 1 to 200 characters")
        key = KEY_MARK + secrets.token_urlsafe(32)
        async with self._uow() as uow:
            stored = await uow.keys.add(
                name=name,
                prefix=key[:PREFIX_LENGTH],
                key_hash=hash_key(key),
                scopes=wanted,
                created_at=self._clock(),
            )
            await uow.commit()
        return stored, key

    async def list(self) -> Sequence[StoredKey]:
        async with self._uow() as uow:
            return await uow.keys.all()

    async def revoke(self, key_id: int) -> StoredKey:
        async with self._uow() as uow:
            revoked = await uow.keys.revoke(key_id, at=self._clock())
            if revoked is None:
                raise UnknownKeyId(f"no key with id {key_id}")
            await uow.commit()
        return revoked

    async def authenticate(self, presented: str) -> StoredKey:
        """The stored key behind ``presented``; InvalidKey for anything else."""
        if not presented or len(presented) > MAX_KEY_LENGTH or not presented.isascii():
            raise InvalidKey("malformed API key")
        digest = hash_key(presented)
        async with self._uow() as uow:
            stored = await uow.keys.by_hash(digest)
            if stored is None or not hmac.compare_digest(stored.key_hash, digest):
                raise InvalidKey("unknown API key")
            if stored.revoked_at is not None:
                raise InvalidKey("revoked API key")
            now = self._clock()
            if stored.last_used_at is None or now - stored.last_used_at >= TOUCH_EVERY:
                await uow.keys.touch(stored.id, at=now)
                await uow.commit()
        return stored

    @staticmethod
    def authorize(key: StoredKey, scope: str) -> None:
        if scope not in key.scopes:
            raise MissingScope(f"this key lacks the {scope} scope")
