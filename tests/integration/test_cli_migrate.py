"""``movies-api migrate`` against real databases."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from movies_api.db.engine import create_engine
from movies_api.db.schema import SCHEMA_HEAD, current_revision
from movies_api.db.urls import async_url

FTS5_SHADOW = ("config", "data", "docsize", "idx")


def _migrate(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "movies_api", "migrate"],
        env={**os.environ, "MOVIES_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _revision(url: str) -> str | None:
    async def read() -> str | None:
        engine = create_engine(async_url(url))
        try:
            return await current_revision(engine)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_migrate_brings_an_empty_database_to_head_then_is_a_no_op(database_url: str) -> None:
    assert _revision(database_url) is None

    first = _migrate(database_url)
    assert first.returncode == 0, first.stderr
    assert f"schema migrated from nothing to {SCHEMA_HEAD}" in first.stdout
    assert _revision(database_url) == SCHEMA_HEAD

    second = _migrate(database_url)
    assert second.returncode == 0, second.stderr
    assert f"schema already at {SCHEMA_HEAD}" in second.stdout


def test_the_migrations_downgrade_to_nothing_and_upgrade_again(database_url: str) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect
    from sqlalchemy.engine import Connection

    from movies_api.db.schema import MIGRATIONS

    def run(connection: Connection, target: str) -> list[str]:
        config = Config()
        config.set_main_option("script_location", MIGRATIONS)
        config.attributes["connection"] = connection
        if target == "base":
            command.downgrade(config, target)
        else:
            command.upgrade(config, target)
        return sorted(inspect(connection).get_table_names())

    async def cycle() -> tuple[list[str], list[str]]:
        engine = create_engine(async_url(database_url))
        try:
            async with engine.begin() as connection:
                await connection.run_sync(run, "head")
            async with engine.begin() as connection:
                down = await connection.run_sync(run, "base")
            async with engine.begin() as connection:
                up = await connection.run_sync(run, "head")
            return down, up
        finally:
            await engine.dispose()

    down, up = asyncio.run(cycle())
    tables = [
        "api_keys",
        "catalogue_state",
        "movie_genres",
        "movie_people",
        "movies",
        "search_terms",
        "title_anchors",
    ]
    if database_url.startswith("sqlite"):  # full-text search: FTS5 and its shadow tables
        tables += ["movie_fts", *(f"movie_fts_{part}" for part in FTS5_SHADOW), "movie_search"]
    assert down == ["alembic_version"]
    assert up == sorted(["alembic_version", *tables])


def test_migrate_refuses_an_unknown_database_scheme_with_a_clear_message() -> None:
    result = _migrate("mysql://root@127.0.0.1/test")
    assert result.returncode == 2
    assert "MOVIES_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_concurrent_migrations_on_one_sqlite_file_all_succeed(sqlite_url: str) -> None:
    runs = 3
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "movies_api", "migrate"],
            env={**os.environ, "MOVIES_DATABASE_URL": sqlite_url},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(runs)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0] * runs, outputs
    migrated = [out for out, _ in outputs if "migrated from nothing" in out]
    assert len(migrated) == 1, outputs
    assert _revision(sqlite_url) == SCHEMA_HEAD
