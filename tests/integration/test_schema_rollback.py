"""Rolling back to an older release after a newer one migrated the database, on SQLite and
PostgreSQL, with the real CLI and a real ``serve`` process.

The database is stamped at a revision this code has no script for, after an "expand"
change the older code does not know about (a nullable column), as a newer release's
migration would leave it. ``serve`` must serve it with one warning and never touch the
schema; ``migrate`` must refuse with one line and change nothing; ``keys`` must work.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from sqlalchemy import inspect, text

from movies_api.db.engine import create_engine
from movies_api.db.schema import SCHEMA_HEAD, current_revision, migrate
from movies_api.db.urls import async_url
from tests.integration.live_service import create_key, list_keys, run_cli
from tests.processes import start_server

FUTURE_REVISION = "9999_from_a_newer_release"
WARNING = f"the database schema is at revision {FUTURE_REVISION}, which this release does not know"

Snapshot = tuple[str | None, dict[str, list[str]]]


def _snapshot(database_url: str) -> Snapshot:
    """The revision and every table's columns: what "never touches the schema" compares."""

    async def read() -> Snapshot:
        engine = create_engine(async_url(database_url))
        try:
            async with engine.connect() as connection:
                columns = await connection.run_sync(
                    lambda c: {
                        table: [column["name"] for column in inspect(c).get_columns(table)]
                        for table in sorted(inspect(c).get_table_names())
                    }
                )
            return await current_revision(engine), columns
        finally:
            await engine.dispose()

    return asyncio.run(read())


@pytest.fixture
def newer_database(database_url: str) -> str:
    """A database a newer release migrated: an added column and a revision unknown here."""

    async def build() -> None:
        engine = create_engine(async_url(database_url))
        try:
            await migrate(engine)
            async with engine.begin() as connection:
                await connection.execute(text("ALTER TABLE movies ADD COLUMN tagline TEXT"))
                await connection.execute(
                    text("UPDATE alembic_version SET version_num = :revision"),
                    {"revision": FUTURE_REVISION},
                )
        finally:
            await engine.dispose()

    asyncio.run(build())
    return database_url


@pytest.mark.parametrize("migrate_on_start", ["true", "false"])
def test_serve_serves_a_database_from_a_newer_release_with_one_warning_and_no_migration(
    newer_database: str, tmp_path: Path, migrate_on_start: str
) -> None:
    before = _snapshot(newer_database)
    assert before[0] == FUTURE_REVISION
    server = start_server(
        tmp_path,
        {
            "MOVIES_DATABASE_URL": newer_database,
            "MOVIES_SEED_ON_STARTUP": "false",
            "MOVIES_MIGRATE_ON_START": migrate_on_start,
            "MOVIES_REDIS_URL": "",
        },
    )
    try:
        assert httpx.get(f"{server.url}/readyz", timeout=10).status_code == 200
        listing = httpx.get(f"{server.url}/movies", timeout=10)
        assert listing.status_code == 200
        assert listing.json()["total"] == 0
    finally:
        assert server.terminate() == 0
    output = server.output()
    assert output.count(WARNING) == 1, output
    assert "Can't locate revision" not in output
    assert "Traceback" not in output
    assert _snapshot(newer_database) == before


def test_migrate_refuses_a_database_from_a_newer_release_in_one_line_and_changes_nothing(
    newer_database: str, tmp_path: Path
) -> None:
    before = _snapshot(newer_database)
    refused = run_cli(newer_database, "migrate", cwd=tmp_path)
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1, refused.stderr
    assert lines[0].startswith("movies-api: not migrating: ")
    assert WARNING in lines[0]
    assert f"its newest is {SCHEMA_HEAD}" in lines[0]
    assert refused.stdout == ""
    assert _snapshot(newer_database) == before


def test_keys_commands_work_on_a_database_from_a_newer_release_with_one_warning(
    newer_database: str, tmp_path: Path
) -> None:
    before = _snapshot(newer_database)
    issued = create_key(newer_database, "movies:add", cwd=tmp_path, name="after-rollback")
    assert issued.run.stderr.count(WARNING) == 1, issued.run.stderr
    assert len(issued.run.stderr.strip().splitlines()) == 1, issued.run.stderr
    assert [key["name"] for key in list_keys(newer_database, cwd=tmp_path)] == ["after-rollback"]
    assert _snapshot(newer_database) == before


def test_serve_without_migrating_on_start_refuses_to_start_on_a_database_behind_it(
    database_url: str, tmp_path: Path
) -> None:
    """On Cloud Run the migrate job owns the schema: a revision deployed before its migration
    ran must not start (the revision serving keeps the traffic), and must say why."""
    server = start_server(
        tmp_path,
        {
            "MOVIES_DATABASE_URL": database_url,
            "MOVIES_SEED_ON_STARTUP": "false",
            "MOVIES_MIGRATE_ON_START": "false",
            "MOVIES_REDIS_URL": "",
        },
        wait=False,
    )
    assert server.popen.wait(timeout=60) != 0
    server.terminate()
    assert "behind this release's" in server.output()
    assert "run `movies-api migrate` first" in server.output()
    assert _snapshot(database_url) == (None, {})


def test_keys_without_migrating_on_start_refuse_a_database_behind_them_in_one_line(
    database_url: str, tmp_path: Path
) -> None:
    env = {"MOVIES_MIGRATE_ON_START": "false"}
    refused = run_cli(database_url, "keys", "list", cwd=tmp_path, env=env)
    assert refused.returncode == 1
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "run `movies-api migrate` first" in refused.stderr
    assert _snapshot(database_url) == (None, {})
