"""The data layer on real SQLite and PostgreSQL: the schema migrations build, title order and
pages, look-ups by title key, ON CONFLICT adds, deletes, the catalogue version, the unit of
work's transaction, SQLite's tuning, and locks."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from dataclasses import dataclass, fields, replace
from datetime import UTC
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from movies_api.db import plain_pages
from movies_api.db.engine import SQLITE_BUSY_TIMEOUT_MS, Sessions, create_engine, session_factory
from movies_api.db.locks import exclusive
from movies_api.db.schema import SCHEMA_HEAD, current_revision, ensure_schema, migrate
from movies_api.db.unit_of_work import SqlUnitOfWork
from movies_api.db.urls import async_url
from movies_api.domain.listing import Listing
from movies_api.domain.movie import Movie, MovieDetails
from movies_api.services.errors import StorageUnavailable
from tests.conftest import free_port
from tests.reference_catalogue import ADDED_AT, AMELIE, TRICKY_MOVIES, populate, reference_order
from tests.reference_listing import document_ids


@dataclass
class Database:
    engine: AsyncEngine
    sessions: Sessions

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A migrated, empty database of each backend."""
    engine = create_engine(async_url(database_url))
    await ensure_schema(engine)
    try:
        sessions = session_factory(engine)
        yield Database(engine, sessions)
        sessions.close()
    finally:
        await engine.dispose()


@pytest.fixture
async def filled(database: Database) -> Database:
    async with database.uow() as uow:
        await uow.movies.add(TRICKY_MOVIES, added_at=ADDED_AT)
        await uow.commit()
    return database


def details_of(movie: Movie) -> MovieDetails:
    return MovieDetails(**{f.name: getattr(movie, f.name) for f in fields(MovieDetails)})


async def test_migrations_build_the_schema_from_nothing(database_url: str) -> None:
    engine = create_engine(async_url(database_url))
    try:
        assert await current_revision(engine) is None
        assert await ensure_schema(engine) is True
        assert await current_revision(engine) == SCHEMA_HEAD
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
            # Read from the catalogue: the inspector skips SQLite's expression indexes.
            listing = (
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'movies'"
                if engine.url.get_backend_name() == "sqlite"
                else "SELECT indexname FROM pg_indexes WHERE tablename = 'movies'"
            )
            indexes = set((await connection.execute(text(listing))).scalars())
        assert {"movies", "api_keys", "catalogue_state", "alembic_version"} <= tables
        assert {"ix_movies_title_order", "ix_movies_match_key"} <= indexes
        assert await ensure_schema(engine) is False  # at head: nothing to do
        assert await migrate(engine) == SCHEMA_HEAD  # an explicit migrate is a no-op too
    finally:
        await engine.dispose()


# What serving SQLite never needs: Alembic (a database at head), SQLAlchemy's asyncio
# extension and the ORM it imports, aiosqlite, PostgreSQL's dialect, the bulk commands'
# services. Each costs a cold start milliseconds to tens of them (issue 14).
NOT_LOADED_WHEN_SERVING_SQLITE = (
    "alembic",
    "sqlalchemy.ext.asyncio",
    "sqlalchemy.orm",
    "aiosqlite",
    "sqlalchemy.dialects.postgresql",
    "movies_api.services.importer",
    "movies_api.services.refresher",
)


def test_serving_sqlite_at_head_loads_no_alembic_orm_asyncio_or_postgres(
    sqlite_url: str, tmp_path: Path
) -> None:
    """Cold starts: ``serve``'s path on a database at head, up to a page answered, loads
    none of ``NOT_LOADED_WHEN_SERVING_SQLITE``; the run that migrates loads Alembic."""
    program = textwrap.dedent(
        f"""
        import asyncio, json, sys
        import httpx
        from movies_api.bootstrap import build_app, build_container
        from movies_api.settings import Settings
        from movies_api.startup import prepare

        async def main():
            settings = Settings(
                database_url={sqlite_url!r}, seed_on_startup=False, redis_url="",
                omdb_base_url="http://127.0.0.1:9/",
            )
            container = build_container(settings)
            await prepare(settings, container)  # what `serve` does before it answers
            app = build_app(container=container)
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                    assert (await http.get("/movies?limit=1")).status_code == 200

        asyncio.run(main())
        watched = {NOT_LOADED_WHEN_SERVING_SQLITE!r}
        print(json.dumps([name for name in watched if name in sys.modules]))
        """
    )
    # First run migrates (and so imports Alembic); the second starts at head.
    runs = [
        subprocess.run(
            [sys.executable, "-c", program],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=120,
        )
        for _ in range(2)
    ]
    for run in runs:
        assert run.returncode == 0, run.stderr
    migrating, at_head = (json.loads(run.stdout) for run in runs)
    assert "alembic" in migrating
    assert at_head == []


async def test_pages_follow_the_title_order_for_every_limit(filled: Database) -> None:
    order = reference_order(TRICKY_MOVIES)
    async with filled.uow() as uow:
        assert await uow.movies.count() == len(TRICKY_MOVIES)
        for limit in (1, 3, 7, 10, 100):
            walked: list[str] = []
            for offset in range(0, len(order), limit):
                found = await uow.movies.listing(Listing(), offset=offset, limit=limit)
                assert (found.total, found.total_exact) == (len(order), True)
                walked.extend(document_ids(item.document for item in found.items))
            assert walked == order, f"limit {limit}"
        past = await uow.movies.listing(Listing(), offset=len(order), limit=10)
        assert (past.items, past.total, past.more) == ((), len(order), False)


async def test_a_movie_comes_back_with_every_detail_and_a_utc_time(filled: Database) -> None:
    async with filled.uow() as uow:
        movie = await uow.movies.get(AMELIE.id)
    assert movie is not None
    assert details_of(movie) == AMELIE
    assert movie.added_at == ADDED_AT
    assert movie.added_at is not None
    assert movie.added_at.tzinfo is not None
    assert movie.added_at.utcoffset() == UTC.utcoffset(None)


async def test_get_of_an_unknown_id_is_none(filled: Database) -> None:
    async with filled.uow() as uow:
        assert await uow.movies.get("tt7654321") is None


async def test_by_match_key_finds_remakes_in_title_order_and_a_year_narrows(
    filled: Database,
) -> None:
    async with filled.uow() as uow:
        dunes = await uow.movies.by_match_key("dune", year=None)
        dunes_1984 = await uow.movies.by_match_key("dune", year=1984)
        things = await uow.movies.by_match_key("the thing", year=None)
        strasse = await uow.movies.by_match_key("die strasse", year=None)
        nothing = await uow.movies.by_match_key("nope", year=None)
    assert [m.id for m in dunes] == ["tt0087182", "tt9000007", "tt1160419", "tt9000006"]
    assert [m.id for m in dunes_1984] == ["tt0087182", "tt9000007"]
    assert [m.title for m in things] == ["The  Thing", "The Thing"]  # stored spacing kept
    assert [m.id for m in strasse] == ["tt9000008", "tt9000009", "tt9000015"]
    assert nothing == []


@pytest.mark.parametrize(
    ("key", "year"),
    [("dune", 2**31), ("dune", -(2**31) - 1), ("dune", 10**20), ("du\x00ne", None)],
)
async def test_by_match_key_finds_nothing_for_values_no_column_can_hold(
    filled: Database, key: str, year: int | None
) -> None:
    """A year past the INTEGER column or a NUL in the title is no match, not a driver error."""
    async with filled.uow() as uow:
        assert await uow.movies.by_match_key(key, year=year) == []


async def test_add_skips_ids_already_stored_and_reports_only_new_ones(filled: Database) -> None:
    changed = replace(AMELIE, title="Changed", plot="overwritten?")
    fresh = MovieDetails(id="tt1234567", title="Fresh", year=2024, type="movie")
    async with filled.uow() as uow:
        assert await uow.movies.add([changed, fresh], added_at=ADDED_AT) == {"tt1234567"}
        await uow.commit()
    async with filled.uow() as uow:
        kept = await uow.movies.get(AMELIE.id)
        assert await uow.movies.count() == len(TRICKY_MOVIES) + 1
    assert kept is not None
    assert kept.title == "Amélie"


async def test_adding_nothing_stores_nothing(database: Database) -> None:
    async with database.uow() as uow:
        assert await uow.movies.add([], added_at=ADDED_AT) == set()


async def test_delete_removes_one_movie_and_reports_whether_it_was_there(filled: Database) -> None:
    async with filled.uow() as uow:
        assert await uow.movies.delete("tt0119094") is True
        assert await uow.movies.delete("tt0119094") is False
        await uow.commit()
    async with filled.uow() as uow:
        assert await uow.movies.get("tt0119094") is None
        assert await uow.movies.count() == len(TRICKY_MOVIES) - 1


async def test_nothing_persists_without_commit(filled: Database) -> None:
    async with filled.uow() as uow:
        before = await uow.state.version()
        await uow.movies.delete("tt0119094")
        await uow.movies.add([MovieDetails("tt1234567", "Fresh", 2024, "movie")], added_at=ADDED_AT)
        await uow.state.mark_seeded(at=ADDED_AT)
    async with filled.uow() as uow:
        assert await uow.movies.get("tt0119094") is not None
        assert await uow.movies.get("tt1234567") is None
        assert await uow.state.version() == before
        assert await uow.state.is_seeded() is False


async def test_the_version_moves_once_per_committed_write_and_names_the_database(
    database: Database, sqlite_url: str
) -> None:
    async with database.uow() as uow:
        first = await uow.state.version()
        await uow.movies.add([MovieDetails("tt1234567", "Fresh", 2024, "movie")], added_at=ADDED_AT)
        await uow.movies.add(
            [MovieDetails("tt1234568", "Fresher", 2024, "movie")], added_at=ADDED_AT
        )
        await uow.movies.delete("tt1234567")
        await uow.commit()
    async with database.uow() as uow:
        second = await uow.state.version()
        await uow.movies.delete("tt7777777")  # nothing to delete: no change, no new version
        await uow.movies.add([MovieDetails("tt1234568", "Again", 2024, "movie")], added_at=ADDED_AT)
        await uow.commit()
    async with database.uow() as uow:
        third = await uow.state.version()
        assert await uow.movies.count() == 1
    epoch, _, number = first.partition(".")
    assert second == f"{epoch}.{int(number) + 1}"
    assert third == second
    other = create_engine(async_url(sqlite_url.replace("movies.db", "other.db")))
    try:
        await ensure_schema(other)
        async with SqlUnitOfWork(session_factory(other)) as uow:
            assert (await uow.state.version()).partition(".")[0] != epoch
    finally:
        await other.dispose()


async def test_the_seed_mark_is_kept_once_committed(database: Database) -> None:
    async with database.uow() as uow:
        assert await uow.state.is_seeded() is False
        await uow.state.mark_seeded(at=ADDED_AT)
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.state.is_seeded() is True


async def test_a_database_nobody_answers_on_is_storage_unavailable() -> None:
    engine = create_engine(async_url(f"postgresql://movies@127.0.0.1:{free_port()}/movies"))
    try:
        with pytest.raises(StorageUnavailable) as raised:
            async with SqlUnitOfWork(session_factory(engine)) as uow:
                await uow.movies.count()
        assert isinstance(raised.value.__cause__, OSError)
    finally:
        await engine.dispose()


async def test_a_database_error_is_storage_unavailable_with_its_cause_chained(
    database: Database,
) -> None:
    async with database.engine.begin() as connection:
        await connection.execute(text("DROP TABLE catalogue_state"))
    with pytest.raises(StorageUnavailable) as raised:
        async with database.uow() as uow:
            await uow.movies.count()
    assert isinstance(raised.value.__cause__, DBAPIError)


async def test_other_errors_pass_through_the_unit_of_work_unchanged(database: Database) -> None:
    with pytest.raises(KeyError):
        async with database.uow():
            raise KeyError("not a storage problem")


async def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_url: str) -> None:
    engine = create_engine(async_url(sqlite_url))
    try:
        async with engine.connect() as connection:
            mode = (await connection.execute(text("PRAGMA journal_mode"))).scalar_one()
            timeout = (await connection.execute(text("PRAGMA busy_timeout"))).scalar_one()
            foreign_keys = (await connection.execute(text("PRAGMA foreign_keys"))).scalar_one()
        assert mode == "wal"
        assert timeout == SQLITE_BUSY_TIMEOUT_MS
        assert foreign_keys == 1
    finally:
        await engine.dispose()


def test_sqlite_engine_never_creates_the_directory_of_its_file(tmp_path: Path) -> None:
    # A typo in the path must not serve from a new, empty database (movies_api.startup).
    create_engine(async_url(f"sqlite:///{tmp_path}/a/b/movies.db"))
    assert not (tmp_path / "a").exists()


async def test_a_lock_held_by_one_holder_is_refused_to_another(database: Database) -> None:
    async with exclusive(database.engine, "seed", wait=False) as first:
        assert first is True
        async with exclusive(database.engine, "seed", wait=False) as second:
            assert second is False
        async with exclusive(database.engine, "other", wait=False) as unrelated:
            assert unrelated is True
    async with exclusive(database.engine, "seed", wait=True) as again:
        assert again is True


async def test_in_memory_sqlite_cannot_be_locked() -> None:
    engine = create_engine(async_url("sqlite://"))
    try:
        with pytest.raises(ValueError, match="in-memory"):
            async with exclusive(engine, "seed", wait=False):
                pass
    finally:
        await engine.dispose()


async def test_sqlite_pages_walk_the_title_index_without_sorting(sqlite_url: str) -> None:
    """Title order must come from ix_movies_title_order, not a sort of the whole table."""
    from sqlalchemy import event

    await populate(sqlite_url, TRICKY_MOVIES)
    engine = create_engine(async_url(sqlite_url))
    sessions = session_factory(engine)
    statements: list[tuple[str, tuple[object, ...]]] = []

    def note(
        _c: object, _cur: object, statement: str, parameters: tuple[object, ...], *_: object
    ) -> None:
        if statement.lstrip().startswith("SELECT movies.document"):
            statements.append((statement, parameters))

    event.listen(sessions._sync_engine, "before_cursor_execute", note)
    try:
        async with SqlUnitOfWork(sessions) as uow:
            await uow.movies.listing(Listing(), limit=10, after=("dune", 1984, "tt0087182"))
        # A numbered page goes to the driver itself (db.plain_pages), past these events.
        statements.append(plain_pages.statement(engine.dialect, limit=11, offset=3))
        plans = []
        async with engine.connect() as connection:
            for statement, parameters in statements:
                plan = await connection.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {statement}", parameters
                )
                plans.append(" | ".join(str(row[-1]) for row in plan.all()))
    finally:
        sessions.close()
        await engine.dispose()
    assert len(plans) == 2
    for details in plans:
        assert "ix_movies_title_order" in details
        assert "TEMP B-TREE" not in details
