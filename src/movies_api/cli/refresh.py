"""``movies-api refresh``: fetch again the details of movies refreshed too long ago (§4)."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path

from rich.console import Console

from movies_api.bootstrap import build_container
from movies_api.cli.bulk import (
    INTERRUPTED_STATUS,
    Display,
    database_errors,
    interrupted,
    stop_reason,
    summary,
    write_report,
)
from movies_api.db.schema import ensure_schema
from movies_api.services.bulk import BulkRun, Outcome
from movies_api.services.errors import CatalogueError
from movies_api.settings import Settings

_AGE = re.compile(r"^\s*(\d{1,6})\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_SHOWN = (
    (Outcome.REFRESHED, "refreshed"),
    (Outcome.NOT_FOUND, "not found"),
    (Outcome.FAILED, "failed"),
)


def parse_age(text: str) -> timedelta:
    """``30d``, ``12h``, ``90m``, ``45s``, ``2w``; ValueError otherwise."""
    match = _AGE.match(text)
    if match is None:
        raise ValueError(f"expected a number and a unit (s, m, h, d or w), e.g. 30d; got {text!r}")
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()])


def run_refresh(
    settings: Settings, *, older_than: timedelta, limit: int | None, report: Path | None
) -> int:
    """Refresh; 0 when every movie due was refreshed (or none was due), else 1."""
    # No markup: lines and OMDb's messages are shown as they are, brackets and all.
    stdout = Console(markup=False, highlight=False, soft_wrap=True)
    stderr = Console(stderr=True, markup=False, highlight=False, soft_wrap=True)
    try:
        run = asyncio.run(_run(settings, older_than, limit, stderr))
    except CatalogueError as error:
        stderr.print(f"movies-api refresh: {error}; nothing more was done")
        return 1
    except KeyboardInterrupt:
        stderr.print(interrupted("movies-api refresh"))
        return INTERRUPTED_STATUS
    if report is not None:
        write_report(report, run)
    if not run.results:
        stdout.print("no movie was last refreshed that long ago: nothing to do")
        return 0
    stdout.print(summary(run, _SHOWN))
    if run.stopped is not None:
        not_tried = run.counts()[Outcome.NOT_TRIED]
        stderr.print(stop_reason(run.stopped, not_tried, command="movies-api refresh"))
    return 0 if run.succeeded else 1


async def _run(
    settings: Settings, older_than: timedelta, limit: int | None, stderr: Console
) -> BulkRun:
    container = build_container(settings)
    try:
        with database_errors():
            await ensure_schema(container.engine, migrate_if_behind=settings.migrate_on_start)
            refresher = container.refresher
            before = refresher.cutoff(older_than)
            total = await refresher.count(before=before, limit=limit)
            with Display(stderr, total=total, doing="refreshing") as display:
                return await refresher.run(before=before, limit=limit, listener=display)
    finally:
        await container.aclose()
