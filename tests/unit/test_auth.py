"""The API key dependency, through the app's DELETE route: every way in, every way refused."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import httpx
import orjson
import pytest

from movies_api.services.keys import KeyService
from tests.unit.app_with_fakes import client, issue_key, make_app, store_with, stored_movie
from tests.unit.fakes import FakeUnitOfWorkFactory, Store

MATRIX = "tt0133093"
MISSING = "tt9999999"

HeaderList = Sequence[tuple[str, str | bytes]]
Shape = Callable[[str], HeaderList]


@pytest.fixture
def store() -> Store:
    return store_with(stored_movie(MATRIX, "The Matrix"))


async def delete(store: Store, headers: HeaderList, movie_id: str = MATRIX) -> httpx.Response:
    app, _ = make_app(store=store)
    async with client(app) as http:
        raw = [(name.encode(), v if isinstance(v, bytes) else v.encode()) for name, v in headers]
        return await http.delete(f"/movies/{movie_id}", headers=raw)


def assert_unauthorised(response: httpx.Response) -> None:
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"
    problem = orjson.loads(response.content)
    assert problem["status"] == 401
    assert problem["title"] == "Unauthorized"
    assert problem["type"] == "/problems/unauthorised"
    assert problem["detail"]


REFUSED: dict[str, HeaderList] = {
    "no-header": [],
    "bearer-with-nothing": [("Authorization", "Bearer")],
    "bearer-with-blank": [("Authorization", "Bearer    ")],
    "basic-scheme": [("Authorization", "Basic x")],
    "bare-token": [("Authorization", "mva_abcdef")],
    "two-tokens-in-one-header": [("Authorization", "Bearer a b")],
    "blank-x-api-key": [("X-API-Key", "")],
    "non-ascii": [("Authorization", "Bearer mva_clé".encode())],
    "ten-kilobytes": [("Authorization", "Bearer mva_" + "a" * 10_000)],
    "unknown-key": [("Authorization", "Bearer mva_" + "A" * 43)],
    "unknown-x-api-key": [("X-API-Key", "mva_" + "A" * 43)],
}


@pytest.mark.parametrize("headers", list(REFUSED.values()), ids=list(REFUSED))
async def test_delete_without_a_usable_key_is_401_and_deletes_nothing(
    store: Store, headers: HeaderList
) -> None:
    response = await delete(store, headers)

    assert_unauthorised(response)
    assert MATRIX in store.movies


async def test_a_valid_key_beside_a_different_x_api_key_is_401(store: Store) -> None:
    key = await issue_key(store)

    response = await delete(store, [("Authorization", f"Bearer {key}"), ("X-API-Key", "mva_other")])

    assert_unauthorised(response)
    assert MATRIX in store.movies


async def test_two_authorization_headers_with_different_keys_are_401(store: Store) -> None:
    key = await issue_key(store)
    other = await issue_key(store)

    response = await delete(
        store, [("Authorization", f"Bearer {key}"), ("Authorization", f"Bearer {other}")]
    )

    assert_unauthorised(response)
    assert MATRIX in store.movies


async def test_a_valid_key_with_a_malformed_second_authorization_header_is_401(
    store: Store,
) -> None:
    key = await issue_key(store)

    response = await delete(
        store, [("Authorization", f"Bearer {key}"), ("Authorization", "Basic x")]
    )

    assert_unauthorised(response)


async def test_revoked_key_is_401(store: Store) -> None:
    service = KeyService(uow=FakeUnitOfWorkFactory(store))
    stored, key = await service.create(name="leaked")
    await service.revoke(stored.id)

    response = await delete(store, [("Authorization", f"Bearer {key}")])

    assert_unauthorised(response)
    assert MATRIX in store.movies


async def test_key_without_the_delete_scope_is_403(store: Store) -> None:
    key = await issue_key(store, "movies:add")

    response = await delete(store, [("Authorization", f"Bearer {key}")])

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    problem = orjson.loads(response.content)
    assert problem["status"] == 403
    assert "movies:delete" in problem["detail"]
    assert "www-authenticate" not in response.headers
    assert MATRIX in store.movies


ACCEPTED: dict[str, Shape] = {
    "bearer": lambda key: [("Authorization", f"Bearer {key}")],
    "lower-case-scheme": lambda key: [("Authorization", f"bearer {key}")],
    "padded": lambda key: [("Authorization", f"  Bearer   {key}  ")],
    "x-api-key": lambda key: [("X-API-Key", key)],
    "same-key-twice": lambda key: [("Authorization", f"Bearer {key}"), ("X-API-Key", key)],
}


@pytest.mark.parametrize("shape", list(ACCEPTED.values()), ids=list(ACCEPTED))
async def test_key_with_the_delete_scope_passes(store: Store, shape: Shape) -> None:
    key = await issue_key(store, "movies:delete")

    response = await delete(store, shape(key))

    assert response.status_code == 204
    assert MATRIX not in store.movies


async def test_401_is_byte_identical_for_a_missing_and_an_existing_id(store: Store) -> None:
    unknown = [("Authorization", "Bearer mva_" + "B" * 43)]

    existing = await delete(store, unknown, MATRIX)
    missing = await delete(store, unknown, MISSING)

    assert existing.status_code == missing.status_code == 401
    assert existing.content == missing.content
    assert existing.headers["www-authenticate"] == missing.headers["www-authenticate"]


async def test_401_without_any_key_is_byte_identical_for_a_missing_and_an_existing_id(
    store: Store,
) -> None:
    existing = await delete(store, [], MATRIX)
    missing = await delete(store, [], MISSING)

    assert existing.content == missing.content
    assert_unauthorised(missing)


async def test_401_never_echoes_the_presented_key(store: Store) -> None:
    presented = "mva_" + "C" * 43

    response = await delete(store, [("Authorization", f"Bearer {presented}")])

    assert_unauthorised(response)
    assert presented.encode() not in response.content
    assert presented[4:].encode() not in response.content
