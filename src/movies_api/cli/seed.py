"""``movies-api seed``: the start-up seed in the foreground, with a Rich progress bar."""

from __future__ import annotations

import asyncio

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from movies_api.bootstrap import build_container
from movies_api.db.schema import ensure_schema
from movies_api.omdb.errors import OmdbError
from movies_api.services.seeding import WAIT_FOR_OTHER_SECONDS, Outcome
from movies_api.services.upstream import translate
from movies_api.settings import Settings
from movies_api.startup import database_shown, using_database

_MESSAGES = {
    Outcome.ALREADY_SEEDED: "the catalogue was seeded before; nothing to do",
    Outcome.NOT_EMPTY: "the catalogue already holds movies; it is never seeded",
}


def run_seed(settings: Settings) -> int:
    """Seed once; the exit status is 0 when the catalogue is (or already was) seeded.

    Raises ``StartupError`` when the database cannot be used at all."""
    console = Console(stderr=True)
    with using_database(settings):
        return asyncio.run(_seed(settings, console))


async def _seed(settings: Settings, console: Console) -> int:
    container = build_container(settings)
    try:
        await ensure_schema(container.engine, migrate_if_behind=settings.migrate_on_start)
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("seeding", total=settings.seed_count)
            try:
                result = await container.seeder.seed_once(
                    lambda done, total: bar.update(task, completed=done, total=total)
                )
                while result.outcome is Outcome.BUSY:  # another process holds the claim
                    bar.update(task, description="waiting for another seeding process")
                    await asyncio.sleep(WAIT_FOR_OTHER_SECONDS)
                    result = await container.seeder.seed_once()
            except Exception as error:
                reason = translate(error) if isinstance(error, OmdbError) else error
                console.print(f"[red]seeding failed:[/] {reason}")
                return 1
        where = database_shown(settings)
        if result.outcome is Outcome.SEEDED:
            said = f"seeded {result.stored} movies into {where}"
        else:
            said = f"{where}: {_MESSAGES[result.outcome]}"
        console.print(said, highlight=False, soft_wrap=True)
        return 0
    finally:
        await container.aclose()
