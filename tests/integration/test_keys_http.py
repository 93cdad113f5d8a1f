"""Keys made by the real CLI, used over real HTTP against a real ``serve`` process, on SQLite
and PostgreSQL: revocation, deletion seen by every read at once, and the 401 that tells
nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.live_service import (
    Simulator,
    create_key,
    list_keys,
    revoke_key,
    serve,
)
from tests.processes import Process, start_simulator

SEEDED = 3
MISSING_ID = "tt9999999"


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    process = start_simulator(tmp_path_factory.mktemp("omdb-sim"))
    yield Simulator(process)
    process.terminate()


@pytest.fixture
def server(tmp_path: Path, database_url: str, simulator: Simulator) -> Iterator[Process]:
    """A server on this test's database, seeded with a few movies."""
    process = serve(tmp_path, database_url, simulator, seed=SEEDED)
    yield process
    process.terminate()


@dataclass(frozen=True)
class Shared:
    """A server the SQLite-only tests share: none of them changes the catalogue."""

    process: Process
    database_url: str
    home: Path


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, simulator: Simulator) -> Iterator[Shared]:
    home = tmp_path_factory.mktemp("shared")
    database_url = f"sqlite:///{home}/movies.db"
    process = serve(home, database_url, simulator, seed=SEEDED)
    yield Shared(process, database_url, home)
    process.terminate()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def page(http: httpx.Client) -> dict[str, Any]:
    response = http.get("/movies", params={"limit": 100})
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def test_revoked_key_is_refused_on_its_next_request(
    server: Process, database_url: str, tmp_path: Path
) -> None:
    issued = create_key(database_url, cwd=tmp_path)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        first, second = (movie["id"] for movie in page(http)["items"][:2])
        assert http.delete(f"/movies/{first}", headers=bearer(issued.key)).status_code == 204

        revoke_key(database_url, issued.id, cwd=tmp_path)
        refused = http.delete(f"/movies/{second}", headers=bearer(issued.key))
        still_there = http.get(f"/movies/{second}")

    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    assert still_there.status_code == 200


def test_delete_is_seen_at_once_by_every_read(
    server: Process, database_url: str, tmp_path: Path
) -> None:
    issued = create_key(database_url, cwd=tmp_path)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        before = page(http)
        victim = before["items"][0]
        by_id = f"/movies/{victim['id']}"
        by_title = {"title": victim["title"]}
        for _ in range(2):  # the second read of each is served from the warm cache
            assert page(http)["total"] == SEEDED
            assert http.get(by_id).status_code == 200
            assert http.get("/movies/by-title", params=by_title).status_code == 200

        deleted = http.delete(by_id, headers=bearer(issued.key))
        after = page(http)
        gone_by_id = http.get(by_id)
        gone_by_title = http.get("/movies/by-title", params=by_title)
        again = http.delete(by_id, headers=bearer(issued.key))

    assert deleted.status_code == 204
    assert after["total"] == before["total"] - 1
    assert victim["id"] not in [movie["id"] for movie in after["items"]]
    assert gone_by_id.status_code == 404
    assert gone_by_title.status_code == 404
    assert again.status_code == 404


def test_delete_without_key_is_the_same_401_for_existing_and_missing_id(shared: Shared) -> None:
    with httpx.Client(base_url=shared.process.url, timeout=30) as http:
        existing_id = page(http)["items"][0]["id"]
        existing = http.delete(f"/movies/{existing_id}")
        missing = http.delete(f"/movies/{MISSING_ID}")
        wrong_key_existing = http.delete(f"/movies/{existing_id}", headers=bearer("mva_nope"))
        wrong_key_missing = http.delete(f"/movies/{MISSING_ID}", headers=bearer("mva_nope"))
        still_there = http.get(f"/movies/{existing_id}")

    assert existing.status_code == missing.status_code == 401
    assert existing.content == missing.content
    assert existing.headers["www-authenticate"] == missing.headers["www-authenticate"] == "Bearer"
    assert existing.headers["content-type"] == "application/problem+json"
    assert wrong_key_existing.status_code == wrong_key_missing.status_code == 401
    assert wrong_key_existing.content == wrong_key_missing.content
    assert still_there.status_code == 200


def test_key_without_delete_scope_is_403_over_http(shared: Shared) -> None:
    issued = create_key(shared.database_url, "movies:add", cwd=shared.home)
    with httpx.Client(base_url=shared.process.url, timeout=30) as http:
        movie_id = page(http)["items"][0]["id"]
        refused = http.delete(f"/movies/{movie_id}", headers={"X-API-Key": issued.key})
        still_there = http.get(f"/movies/{movie_id}")

    assert refused.status_code == 403
    assert still_there.status_code == 200


def test_keys_list_json_shows_contract_fields_use_and_revocation(shared: Shared) -> None:
    url, home = shared.database_url, shared.home
    used = create_key(url, cwd=home, name="used")
    idle = create_key(url, "movies:add", "movies:delete", cwd=home, name="idle")
    with httpx.Client(base_url=shared.process.url, timeout=30) as http:
        answer = http.delete(f"/movies/{MISSING_ID}", headers={"X-API-Key": used.key})
    assert answer.status_code == 404
    revoke_key(url, used.id, cwd=home)

    listed = {document["id"]: document for document in list_keys(url, cwd=home)}

    assert {used.id, idle.id} <= set(listed)
    fields = {"id", "name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at"}
    for issued in (used, idle):
        document = listed[issued.id]
        assert set(document) == fields
        assert len(document["prefix"]) <= 12
        assert issued.key.startswith(document["prefix"])
        assert isinstance(document["created_at"], str)
    assert listed[used.id]["name"] == "used"
    assert listed[used.id]["scopes"] == ["movies:delete"]
    assert listed[used.id]["last_used_at"] is not None
    assert listed[used.id]["revoked_at"] is not None
    assert listed[idle.id]["scopes"] == ["movies:add", "movies:delete"]
    assert listed[idle.id]["last_used_at"] is None
    assert listed[idle.id]["revoked_at"] is None
