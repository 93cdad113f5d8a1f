"""KeyService over the in-memory store: what is stored, what authenticates, what is refused."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import pytest

from movies_api.services.keys import (
    InvalidKey,
    KeyService,
    MissingScope,
    UnknownKeyId,
    UnknownScope,
)
from movies_api.services.ports import StoredKey
from tests.unit.fakes import FakeUnitOfWorkFactory, Store

START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(store: Store, clock: Clock) -> KeyService:
    return KeyService(uow=FakeUnitOfWorkFactory(store), clock=clock)


# --- create -----------------------------------------------------------------------------------


async def test_create_draws_at_least_256_bits_from_secrets(
    service: KeyService, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[int | None] = []
    real_token_urlsafe = secrets.token_urlsafe

    def recording_token_urlsafe(nbytes: int | None = None) -> str:
        asked.append(nbytes)
        return real_token_urlsafe(nbytes)

    monkeypatch.setattr(secrets, "token_urlsafe", recording_token_urlsafe)
    _stored, key = await service.create(name="ci")

    assert asked
    assert all(n is not None and n >= 32 for n in asked)
    random_part = key.removeprefix("mva_")
    assert len(base64.urlsafe_b64decode(random_part + "=" * (-len(random_part) % 4))) >= 32


async def test_created_keys_carry_the_mva_mark_and_differ(service: KeyService) -> None:
    _first, one = await service.create(name="one")
    _second, two = await service.create(name="two")

    assert one.startswith("mva_")
    assert two.startswith("mva_")
    assert one != two


async def test_create_stores_only_the_hash_and_a_12_character_prefix(
    service: KeyService, store: Store
) -> None:
    stored, key = await service.create(name="deploy bot")

    kept = store.keys[stored.id]
    assert kept.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert kept.prefix == key[:12]
    assert len(kept.prefix) == 12
    assert all(key not in str(value) for value in vars_of(kept))


async def test_the_prefix_alone_does_not_authenticate(service: KeyService) -> None:
    stored, _key = await service.create(name="ci")

    with pytest.raises(InvalidKey):
        await service.authenticate(stored.prefix)


async def test_create_without_scopes_gives_movies_delete(service: KeyService) -> None:
    default, _ = await service.create(name="a")
    empty, _ = await service.create(name="b", scopes=[])

    assert default.scopes == ("movies:delete",)
    assert empty.scopes == ("movies:delete",)


async def test_create_keeps_the_requested_scopes_once_each(service: KeyService) -> None:
    stored, _ = await service.create(
        name="both", scopes=["movies:add", "movies:delete", "movies:add"]
    )

    assert stored.scopes == ("movies:add", "movies:delete")


async def test_create_with_unknown_scope_is_refused_and_stores_nothing(
    service: KeyService, store: Store
) -> None:
    with pytest.raises(UnknownScope, match="movies:admin"):
        await service.create(name="x", scopes=["movies:delete", "movies:admin"])

    assert store.keys == {}


@pytest.mark.parametrize("name", ["", "   ", "\t\n", "x" * 201])
async def test_create_with_blank_or_overlong_name_is_refused(
    service: KeyService, store: Store, name: str
) -> None:
    with pytest.raises(ValueError, match="name"):
        await service.create(name=name)

    assert store.keys == {}


async def test_create_trims_the_name_and_records_the_creation_time(service: KeyService) -> None:
    stored, _ = await service.create(name="  ci bot  ")

    assert stored.name == "ci bot"
    assert stored.created_at == START
    assert stored.last_used_at is None
    assert stored.revoked_at is None


# --- list -------------------------------------------------------------------------------------


async def test_list_gives_every_key_in_creation_order_without_the_keys(
    service: KeyService,
) -> None:
    first, one = await service.create(name="one")
    second, two = await service.create(name="two", scopes=["movies:add"])

    listed = await service.list()

    assert [(k.id, k.name, k.scopes) for k in listed] == [
        (first.id, "one", ("movies:delete",)),
        (second.id, "two", ("movies:add",)),
    ]
    assert all(one not in repr(k) and two not in repr(k) for k in listed)


async def test_list_of_no_keys_is_empty(service: KeyService) -> None:
    assert list(await service.list()) == []


# --- revoke -----------------------------------------------------------------------------------


async def test_revoke_records_the_time_and_the_key_stops_working(
    service: KeyService, clock: Clock
) -> None:
    stored, key = await service.create(name="ci")
    clock.now = START + timedelta(hours=1)

    revoked = await service.revoke(stored.id)

    assert revoked.revoked_at == START + timedelta(hours=1)
    with pytest.raises(InvalidKey):
        await service.authenticate(key)


async def test_revoke_twice_keeps_the_first_revocation_time(
    service: KeyService, clock: Clock
) -> None:
    stored, _ = await service.create(name="ci")
    await service.revoke(stored.id)
    clock.now = START + timedelta(days=1)

    again = await service.revoke(stored.id)

    assert again.revoked_at == START


async def test_revoke_of_unknown_id_is_refused(service: KeyService) -> None:
    with pytest.raises(UnknownKeyId, match="42"):
        await service.revoke(42)


async def test_revoke_leaves_other_keys_working(service: KeyService) -> None:
    doomed, _ = await service.create(name="doomed")
    kept, key = await service.create(name="kept")

    await service.revoke(doomed.id)

    assert (await service.authenticate(key)).id == kept.id


# --- authenticate -----------------------------------------------------------------------------


async def test_authenticate_returns_the_stored_key(service: KeyService) -> None:
    stored, key = await service.create(name="ci", scopes=["movies:add"])

    found = await service.authenticate(key)

    assert found.id == stored.id
    assert found.scopes == ("movies:add",)


async def test_authenticate_refuses_an_unknown_key(service: KeyService) -> None:
    _stored, key = await service.create(name="ci")
    forged = key[:-1] + ("A" if key[-1] != "A" else "B")

    with pytest.raises(InvalidKey, match="unknown"):
        await service.authenticate(forged)


@pytest.mark.parametrize(
    "presented",
    ["", "mva_" + "a" * 125, "mva_clé-secrète", "mva_\u00a0key"],
    ids=["empty", "too-long", "non-ascii", "non-ascii-space"],
)
async def test_authenticate_refuses_malformed_keys_without_a_lookup(
    service: KeyService, store: Store, presented: str
) -> None:
    before = store.commits

    with pytest.raises(InvalidKey, match="malformed"):
        await service.authenticate(presented)

    assert store.commits == before


async def test_authenticate_touches_last_used_at_at_most_once_a_minute(
    service: KeyService, store: Store, clock: Clock
) -> None:
    stored, key = await service.create(name="ci")

    clock.now = START + timedelta(seconds=5)
    await service.authenticate(key)
    assert store.keys[stored.id].last_used_at == START + timedelta(seconds=5)
    commits = store.commits

    clock.now = START + timedelta(seconds=64)
    await service.authenticate(key)
    assert store.keys[stored.id].last_used_at == START + timedelta(seconds=5)
    assert store.commits == commits

    clock.now = START + timedelta(seconds=65)
    await service.authenticate(key)
    assert store.keys[stored.id].last_used_at == START + timedelta(seconds=65)


async def test_authenticate_does_not_touch_a_revoked_key(
    service: KeyService, store: Store, clock: Clock
) -> None:
    stored, key = await service.create(name="ci")
    await service.revoke(stored.id)
    clock.now = START + timedelta(hours=2)

    with pytest.raises(InvalidKey):
        await service.authenticate(key)

    assert store.keys[stored.id].last_used_at is None


# --- authorize --------------------------------------------------------------------------------


async def test_authorize_passes_a_key_with_the_scope(service: KeyService) -> None:
    stored, _ = await service.create(name="ci", scopes=["movies:add", "movies:delete"])

    KeyService.authorize(stored, "movies:delete")
    KeyService.authorize(stored, "movies:add")


async def test_authorize_refuses_a_key_without_the_scope(service: KeyService) -> None:
    stored, _ = await service.create(name="ci")

    with pytest.raises(MissingScope, match="movies:add"):
        KeyService.authorize(stored, "movies:add")


def vars_of(key: StoredKey) -> list[object]:
    """Every field value of a stored key."""
    return [getattr(key, field.name) for field in dataclasses.fields(key)]
