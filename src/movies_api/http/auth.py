"""The API key dependency: a bearer token or an ``X-API-Key`` header, checked before anything else.

Both schemes are declared to OpenAPI so ``/docs`` offers a working "Authorize" button.
Every way of failing (missing, malformed, unknown, revoked) gives the same 401, so a
caller without a key learns nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from movies_api.http.problems import Problem
from movies_api.services.keys import InvalidKey, KeyService, MissingScope
from movies_api.services.ports import StoredKey

bearer_scheme = HTTPBearer(auto_error=False, description="`Authorization: Bearer <key>`")
header_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="`X-API-Key: <key>`")

_UNAUTHORISED_HEADERS = {"WWW-Authenticate": "Bearer"}


def unauthorised(detail: str) -> Problem:
    """The 401 every failed key check answers, with ``WWW-Authenticate: Bearer``."""
    return Problem(401, detail, kind="unauthorised", headers=_UNAUTHORISED_HEADERS)


def presented_key(request: Request) -> str:
    """The one key the request carries; 401 when there is none or it is malformed."""
    authorizations = request.headers.getlist("authorization")
    api_keys = request.headers.getlist("x-api-key")
    candidates: list[str] = []
    for value in authorizations:
        scheme, _, token = value.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or " " in token:
            raise unauthorised("malformed Authorization header: expected 'Bearer <key>'")
        candidates.append(token)
    candidates.extend(value.strip() for value in api_keys)
    if not candidates:
        raise unauthorised("an API key is required: send 'Authorization: Bearer <key>'")
    if len(set(candidates)) > 1:
        raise unauthorised("send one API key, not several")
    return candidates[0]


def require_scope(keys: KeyService, scope: str) -> Callable[..., Awaitable[StoredKey]]:
    """A dependency that authenticates the caller and checks ``scope`` (401, then 403)."""

    async def authorised_key(
        request: Request,
        _bearer: HTTPAuthorizationCredentials | None = Security(bearer_scheme),
        _header: str | None = Security(header_scheme),
    ) -> StoredKey:
        # The scheme objects are here for OpenAPI; parsing is stricter than theirs.
        try:
            key = await keys.authenticate(presented_key(request))
        except InvalidKey:
            # One answer for unknown, revoked and malformed keys: a caller learns nothing.
            raise unauthorised("the API key is not valid") from None
        try:
            keys.authorize(key, scope)
        except MissingScope as error:
            raise Problem(403, str(error), kind="forbidden") from None
        return key

    return authorised_key


def optional_key(keys: KeyService) -> Callable[..., Awaitable[StoredKey | None]]:
    """A dependency that never refuses: the caller's key when it presents a valid one, else None.

    Where a key is optional (adding while MOVIES_REQUIRE_KEY_FOR_ADD is off) only a valid key
    may name the client, or made-up keys would each get a fresh rate-limit budget.
    """

    async def caller_key(request: Request) -> StoredKey | None:
        try:
            return await keys.authenticate(presented_key(request))
        except (Problem, InvalidKey):
            return None

    return caller_key
