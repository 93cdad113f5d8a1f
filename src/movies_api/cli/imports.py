"""``movies-api import FILE``: add many movies from a list (contract §4)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from rich.console import Console

from movies_api.bootstrap import Container, build_container
from movies_api.cli.bulk import (
    INTERRUPTED_STATUS,
    Display,
    database_errors,
    interrupted,
    stop_reason,
    summary,
    write_report,
)
from movies_api.db.schema import current_revision, ensure_schema
from movies_api.db.urls import sqlite_file
from movies_api.services.bulk import BulkRun, Outcome
from movies_api.services.errors import CatalogueError
from movies_api.services.import_list import Entry, read_list
from movies_api.settings import Settings

STDIN = "-"
_SHOWN = (
    (Outcome.ADDED, "added"),
    (Outcome.ALREADY_STORED, "already stored"),
    (Outcome.NOT_FOUND, "not found"),
    (Outcome.FAILED, "failed"),
)


class UnreadableFile(Exception):
    """The list could not be read at all (missing, not UTF-8 text)."""


def read_source(source: str) -> str:
    """The text of ``source``, a path or ``-`` for stdin."""
    try:
        raw = sys.stdin.buffer.read() if source == STDIN else Path(source).read_bytes()
    except OSError as error:
        raise UnreadableFile(f"cannot read {source}: {error.strerror or error}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UnreadableFile(f"{source} is not UTF-8 text") from None


def run_import(settings: Settings, source: str, *, report: Path | None, dry_run: bool) -> int:
    """Import (or check) the list; the exit status as contract §4 gives it."""
    # No markup: lines and OMDb's messages are shown as they are, brackets and all.
    stdout = Console(markup=False, highlight=False, soft_wrap=True)
    stderr = Console(stderr=True, markup=False, highlight=False, soft_wrap=True)
    try:
        entries = read_list(read_source(source))
    except UnreadableFile as error:
        stderr.print(f"movies-api import: {error}")
        return 2
    if not entries:
        stdout.print("the list holds no lines: nothing to do")
        return 0
    command = f"movies-api import {source}"
    try:
        run = asyncio.run(_run(settings, entries, stderr=stderr, dry_run=dry_run))
    except CatalogueError as error:  # the database failed before any result was known
        stderr.print(f"movies-api import: {error}; nothing more was done")
        return 1
    except KeyboardInterrupt:
        stderr.print(interrupted(command))
        return INTERRUPTED_STATUS
    if report is not None:
        write_report(report, run)
    if dry_run:
        return _dry_run_summary(run, stdout)
    stdout.print(summary(run, _SHOWN))
    if run.stopped is not None:
        not_tried = run.counts()[Outcome.NOT_TRIED]
        stderr.print(stop_reason(run.stopped, not_tried, command=command))
    return 0 if run.succeeded else 1


async def _run(
    settings: Settings, entries: list[Entry], *, stderr: Console, dry_run: bool
) -> BulkRun:
    container = build_container(settings)
    try:
        with database_errors():
            if dry_run:
                exists = await _catalogue_exists(container)
                return await container.importer.dry_run(entries, catalogue_exists=exists)
            await ensure_schema(container.engine, migrate_if_behind=settings.migrate_on_start)
            with Display(stderr, total=len(entries), doing="importing") as display:
                return await container.importer.run(entries, display)
    finally:
        await container.aclose()


async def _catalogue_exists(container: Container) -> bool:
    """Whether there is a catalogue to read, found without creating or migrating anything."""
    path = sqlite_file(container.engine.url)
    if path is not None and not path.exists():
        return False  # connecting would create the file
    return await current_revision(container.engine) is not None


def _dry_run_summary(run: BulkRun, stdout: Console) -> int:
    """Lists the lines a run would ask OMDb about; 0 when every line could be read."""
    counts = run.counts()
    asked = counts[Outcome.WOULD_ASK]
    for result in run.results:
        if result.outcome is Outcome.WOULD_ASK:
            stdout.print(f"line {result.line}: {result.input.strip()}")
    for result in run.results:
        if result.outcome is Outcome.FAILED:
            stdout.print(f"line {result.line}: unreadable: {result.detail}")
    stdout.print(
        f"dry run: would ask OMDb about {asked} line{'' if asked == 1 else 's'}; "
        f"already stored {counts[Outcome.ALREADY_STORED]}, "
        f"duplicates {counts[Outcome.DUPLICATE]}, unreadable {counts[Outcome.FAILED]}; "
        "nothing was asked or changed"
    )
    return 1 if counts[Outcome.FAILED] else 0
