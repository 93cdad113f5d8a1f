"""Several processes adding and deleting the same movies at once (contract §2: every
instance sees every write) never make the kept total, the title order's stretches or the
search index disagree with the movies themselves."""

from __future__ import annotations

import asyncio
import multiprocessing
import random

from sqlalchemy import text

from movies_api.db.engine import create_engine, session_factory
from movies_api.db.schema import ensure_schema
from movies_api.db.unit_of_work import SqlUnitOfWork
from movies_api.db.urls import async_url
from movies_api.domain.movie import MovieDetails
from tests.reference_catalogue import ADDED_AT

WRITERS = 3
ROUNDS = 60
POOL = [
    MovieDetails(
        id=f"tt{7_000_000 + n:07d}",
        title=f"Race {n % 9} {'Æon' if n % 4 == 0 else 'run'}",
        year=None if n % 5 == 0 else 1990 + n,
        type="movie",
        genres=("Drama",) if n % 2 else ("Comedy", "Drama"),
        directors=(f"Director {n % 3}",),
        plot="Several writers race for the same movies.",
    )
    for n in range(40)
]


def _write(url: str, seed: int) -> None:
    """One writer process: random adds (of one or a few movies) and deletes, each committed."""

    async def run() -> None:
        rng = random.Random(seed)
        engine = create_engine(async_url(url))
        sessions = session_factory(engine)
        try:
            for _ in range(ROUNDS):
                async with SqlUnitOfWork(sessions) as uow:
                    if rng.random() < 0.55:
                        await uow.movies.add(rng.sample(POOL, rng.randint(1, 3)), added_at=ADDED_AT)
                    else:
                        await uow.movies.delete(rng.choice(POOL).id)
                    await uow.commit()
        finally:
            sessions.close()
            await engine.dispose()

    asyncio.run(run())


async def _numbers(url: str) -> dict[str, int]:
    engine = create_engine(async_url(url))
    queries = {
        "kept": "SELECT movie_count FROM catalogue_state",
        "counted": "SELECT count(*) FROM movies",
        "stretches": "SELECT coalesce(sum(size), 0) FROM title_anchors",
        "genre rows": "SELECT count(DISTINCT movie_id) FROM movie_genres",
    }
    if url.startswith("sqlite"):
        queries["search rows"] = "SELECT count(*) FROM movie_search"
    try:
        async with engine.connect() as connection:
            found = {
                name: int((await connection.execute(text(sql))).scalar_one())
                for name, sql in queries.items()
            }
            if url.startswith("sqlite"):  # raises when the FTS index and its content disagree
                await connection.execute(
                    text("INSERT INTO movie_fts (movie_fts) VALUES ('integrity-check')")
                )
            return found
    finally:
        await engine.dispose()


def test_racing_writers_never_make_the_total_drift(database_url: str) -> None:
    async def prepare() -> None:
        engine = create_engine(async_url(database_url))
        try:
            await ensure_schema(engine)
        finally:
            await engine.dispose()

    asyncio.run(prepare())
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write, args=(database_url, seed)) for seed in range(WRITERS)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=240)
        assert writer.exitcode == 0
    numbers = asyncio.run(_numbers(database_url))
    assert len(set(numbers.values())) == 1, numbers
