"""The production layout of database roles, on real PostgreSQL: the migration user owns the
schema, and the service connects as one of two login roles that may only change rows
(``movies-api migrate --grant-to``). Two, so that rotating a password never touches the
role the running revision uses (docs/deploy.md, "Rotating the database password")."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from movies_api.db.engine import create_engine
from movies_api.db.schema import current_revision
from movies_api.db.urls import async_url
from tests.conftest import _admin
from tests.integration.live_service import create_key, list_keys, run_cli
from tests.processes import start_server


@pytest.fixture
def service_roles(postgres_url: str) -> Iterator[tuple[str, str]]:
    """Two login roles, blue and green, dropped with everything granted to them afterwards."""
    suffix = uuid.uuid4().hex[:8]
    roles = (f"movies_blue_{suffix}", f"movies_green_{suffix}")
    for role in roles:
        _admin(f'CREATE ROLE "{role}" LOGIN')
    yield roles
    for role in roles:
        _in_database(postgres_url, f'DROP OWNED BY "{role}"')  # the grants, in that database
        _admin(f'DROP ROLE IF EXISTS "{role}"')


def _as(url: str, role: str) -> str:
    return make_url(url).set(username=role).render_as_string(hide_password=False)


def _in_database(url: str, statement: str, *, role: str | None = None) -> None:
    async def run() -> None:
        connection = await asyncpg.connect(_as(url, role) if role else url)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


def test_migrate_grants_the_service_roles_rows_but_not_the_schema(
    postgres_url: str, service_roles: tuple[str, str], tmp_path: Path
) -> None:
    blue, green = service_roles
    done = run_cli(postgres_url, "migrate", "--grant-to", blue, "--grant-to", green, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"granted to {blue}, {green}" in done.stdout

    for role in service_roles:
        _in_database(postgres_url, "SELECT count(*) FROM movies", role=role)
        _in_database(postgres_url, "UPDATE catalogue_state SET version = version", role=role)
        for ddl in (
            "DROP TABLE movies",
            "ALTER TABLE movies ADD COLUMN sneaky TEXT",
            "TRUNCATE api_keys",
            "CREATE TABLE public.sneaky (id int)",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                _in_database(postgres_url, ddl, role=role)


def test_both_service_roles_serve_side_by_side_as_during_a_password_rotation(
    postgres_url: str, service_roles: tuple[str, str], tmp_path: Path
) -> None:
    """The old revision (blue) keeps serving while the new one (green) starts, and each can
    write: what the rotation steps rely on."""
    assert run_cli(postgres_url, "migrate", *_grants(service_roles), cwd=tmp_path).returncode == 0
    servers = []
    try:
        for role in service_roles:
            home = tmp_path / role
            home.mkdir()
            servers.append(
                start_server(
                    home,
                    {
                        "MOVIES_DATABASE_URL": _as(postgres_url, role),
                        "MOVIES_MIGRATE_ON_START": "false",
                        "MOVIES_SEED_ON_STARTUP": "false",
                        "MOVIES_REDIS_URL": "",
                    },
                )
            )
        for server in servers:
            assert httpx.get(f"{server.url}/readyz", timeout=10).status_code == 200
            assert httpx.get(f"{server.url}/movies", timeout=10).status_code == 200
    finally:
        for server in servers:
            server.terminate()
    # The CLI (the admin job) writes as a service role too.
    for role in service_roles:
        issued = create_key(_as(postgres_url, role), cwd=tmp_path, name=role)
        assert issued.run.returncode == 0
    names = [key["name"] for key in list_keys(postgres_url, cwd=tmp_path)]
    assert names == list(service_roles)


def test_a_role_without_grants_is_refused_by_the_database_not_taken_for_an_empty_one(
    postgres_url: str, service_roles: tuple[str, str], tmp_path: Path
) -> None:
    """A service user the migrate job has not granted yet must not look like a database
    that was never migrated (which would send it off to migrate)."""
    assert run_cli(postgres_url, "migrate", cwd=tmp_path).returncode == 0  # no --grant-to

    async def read_revision() -> str | None:
        engine = create_engine(async_url(_as(postgres_url, service_roles[0])))
        try:
            return await current_revision(engine)
        finally:
            await engine.dispose()

    with pytest.raises(DBAPIError, match="permission denied"):
        asyncio.run(read_revision())


def test_granting_to_a_role_that_does_not_exist_is_one_clear_line(
    postgres_url: str, tmp_path: Path
) -> None:
    refused = run_cli(postgres_url, "migrate", "--grant-to", "nobody_here_at_all", cwd=tmp_path)
    assert refused.returncode == 1
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "nobody_here_at_all" in refused.stderr


def test_granting_on_sqlite_is_refused_in_one_line(sqlite_url: str, tmp_path: Path) -> None:
    refused = run_cli(sqlite_url, "migrate", "--grant-to", "anyone", cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "movies-api: migrate failed: granting access to roles needs PostgreSQL; SQLite has no roles"
    )
    assert not Path(make_url(sqlite_url).database or "").exists()  # refused before migrating


def _grants(roles: tuple[str, str]) -> list[str]:
    return [arg for role in roles for arg in ("--grant-to", role)]
