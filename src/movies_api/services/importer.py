"""``movies-api import`` (contract §4): add every movie of a list, asking OMDb only about
what the catalogue does not hold yet.

Lines are checked against the catalogue a chunk at a time, two queries per chunk (ids
in one, titles in the other); a title line counts as stored when a stored title matches
it (contract §1) and, when the line gives them, its year and type too (a CSV asking for
the series "Dune" is not held by the film). Only the rest cost an OMDb
request, so a run after a quota stop, a failure or an interrupted run asks only about
what is still missing. A line repeating an earlier one (the same id, or the same title,
year and type) is never asked twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from datetime import datetime
from itertools import islice

from movies_api.domain.movie import MovieDetails, MovieSummary
from movies_api.domain.titles import match_key
from movies_api.services import upstream
from movies_api.services.bulk import (
    BATCH_SIZE,
    SUCCESSES,
    BulkRun,
    BulkRunner,
    Chunk,
    Fetched,
    Job,
    LineResult,
    Listener,
    Outcome,
)
from movies_api.services.catalogue import utc_now
from movies_api.services.import_list import Entry, Unreadable, Wanted
from movies_api.services.ports import OmdbLookup, UnitOfWorkFactory

_Key = tuple[str, ...]


class Importer:
    """Adds the movies of an import list; see ``services.bulk`` for how a run proceeds."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        omdb: OmdbLookup,
        concurrency: int,
        batch_size: int = BATCH_SIZE,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._uow = uow
        self._omdb = omdb
        self._runner = BulkRunner(concurrency=concurrency, batch_size=batch_size)
        self._batch_size = batch_size
        self._clock = clock

    async def run(self, entries: Sequence[Entry], listener: Listener | None = None) -> BulkRun:
        """Add what is missing; one result per entry, in input order."""
        firsts, repeats = _split_repeats(entries)
        run = await self._runner.run(self._chunks(firsts), self._commit, listener)
        return _with_repeats(run, repeats, listener)

    async def dry_run(
        self,
        entries: Sequence[Entry],
        listener: Listener | None = None,
        *,
        catalogue_exists: bool = True,
    ) -> BulkRun:
        """What ``run`` would do, asking OMDb nothing and writing nothing: each line is
        already stored, unreadable, or ``would-ask``. Without a catalogue (a database never
        migrated) nothing counts as stored and the database is not read."""
        firsts, repeats = _split_repeats(entries)
        run = BulkRun()
        async for chunk in self._chunks(firsts, read=catalogue_exists):
            would_ask = [LineResult(j.line, j.input, Outcome.WOULD_ASK, j.id) for j in chunk.jobs]
            for result in (*chunk.decided, *would_ask):
                run.results.append(result)
                if listener is not None:
                    listener(result)
        run.results.sort(key=lambda result: result.line)
        return _with_repeats(run, repeats, listener)

    async def _chunks(self, entries: Sequence[Entry], *, read: bool = True) -> AsyncIterator[Chunk]:
        """Chunks of lines: unreadable and stored ones decided, a job (not yet asked) for
        each of the others."""
        for chunk in _chunked(entries, self._batch_size):
            wanted = [entry for entry in chunk if isinstance(entry, Wanted)]
            ids: set[str] = set()
            titles: dict[str, Sequence[MovieSummary]] = {}
            if read and wanted:
                async with self._uow() as uow:
                    ids = await uow.movies.stored_ids(w.id for w in wanted if w.id)
                    titles = dict(
                        await uow.movies.stored_titles(
                            match_key(w.title) for w in wanted if w.title is not None
                        )
                    )
            decided: list[LineResult] = [
                LineResult(entry.line, entry.text, Outcome.FAILED, detail=entry.reason)
                for entry in chunk
                if isinstance(entry, Unreadable)
            ]
            jobs: list[Job] = []
            for entry in wanted:
                stored = _stored_as(entry, ids, titles)
                if stored is not None:
                    decided.append(stored)
                else:
                    jobs.append(self._job(entry))
            yield Chunk(decided, jobs)

    def _job(self, entry: Wanted) -> Job:
        omdb = self._omdb
        if entry.id is not None:
            movie_id = entry.id
            return Job(
                entry.line,
                entry.text,
                lambda: upstream.details(omdb.get_by_id(movie_id)),
                id=movie_id,
            )
        title, year, kind = entry.title or "", entry.year, entry.type
        return Job(
            entry.line,
            entry.text,
            lambda: upstream.details(omdb.get_by_title(title, year=year, type=kind)),
        )

    async def _commit(self, batch: Sequence[Fetched]) -> list[LineResult]:
        """One transaction: store what is new (the catalogue version moves once)."""
        unique: dict[str, MovieDetails] = {}
        for _job, details in batch:
            unique.setdefault(details.id, details)
        added_at = self._clock()
        async with self._uow() as uow:
            stored = await uow.movies.add(unique.values(), added_at=added_at)
            await uow.commit()
        results = []
        first_line: dict[str, int] = {}
        for job, details in batch:
            named = f"{details.title} ({details.year or 'no year'})"
            if details.id in stored and details.id not in first_line:
                first_line[details.id] = job.line
                results.append(LineResult(job.line, job.input, Outcome.ADDED, details.id, named))
            else:
                earlier = first_line.get(details.id)
                detail = f"{named}, added by line {earlier}" if earlier else named
                results.append(
                    LineResult(job.line, job.input, Outcome.ALREADY_STORED, details.id, detail)
                )
        return results


def _chunked(entries: Sequence[Entry], size: int) -> Iterable[list[Entry]]:
    items = iter(entries)
    while chunk := list(islice(items, size)):
        yield chunk


def _stored_as(
    entry: Wanted, ids: set[str], titles: dict[str, Sequence[MovieSummary]]
) -> LineResult | None:
    """The line's result when the catalogue holds what it names, else None.

    A title line is held when a stored title matches it (contract §1) and the line's year
    and type, where it gives them, match too.
    """
    if entry.id is not None:
        held = entry.id in ids
        return (
            LineResult(entry.line, entry.text, Outcome.ALREADY_STORED, entry.id) if held else None
        )
    matches = [
        movie
        for movie in titles.get(match_key(entry.title or ""), ())
        if (entry.year is None or movie.year == entry.year)
        and (entry.type is None or movie.type == entry.type)
    ]
    if not matches:
        return None
    if len(matches) > 1:
        detail = f"{len(matches)} stored movies match: {', '.join(m.id for m in matches)}"
        return LineResult(entry.line, entry.text, Outcome.ALREADY_STORED, detail=detail)
    (movie,) = matches
    named = f"{movie.title} ({movie.year or 'no year'})"
    return LineResult(entry.line, entry.text, Outcome.ALREADY_STORED, movie.id, named)


def _key(entry: Wanted) -> _Key:
    if entry.id is not None:
        return ("id", entry.id)
    return ("title", match_key(entry.title or ""), str(entry.year), str(entry.type))


def _split_repeats(entries: Iterable[Entry]) -> tuple[list[Entry], list[tuple[Entry, int]]]:
    """Entries to work on, and the repeats of earlier lines with the line they repeat."""
    seen: dict[_Key, int] = {}
    firsts: list[Entry] = []
    repeats: list[tuple[Entry, int]] = []
    for entry in entries:
        if isinstance(entry, Wanted):
            key = _key(entry)
            if key in seen:
                repeats.append((entry, seen[key]))
                continue
            seen[key] = entry.line
        firsts.append(entry)
    return firsts, repeats


def _with_repeats(
    run: BulkRun, repeats: Sequence[tuple[Entry, int]], listener: Listener | None
) -> BulkRun:
    """A repeat ends as its first line did: ``duplicate`` when that went well, else the same."""
    if not repeats:
        return run
    by_line = {result.line: result for result in run.results}
    for entry, first in repeats:
        earlier = by_line[first]
        text = entry.text
        if earlier.outcome in SUCCESSES or earlier.outcome is Outcome.WOULD_ASK:
            result = LineResult(entry.line, text, Outcome.DUPLICATE, earlier.id, f"as line {first}")
        else:
            detail = f"as line {first}: {earlier.detail}" if earlier.detail else f"as line {first}"
            result = LineResult(entry.line, text, earlier.outcome, earlier.id, detail)
        run.results.append(result)
        if listener is not None:
            listener(result)
    run.results.sort(key=lambda result: result.line)
    return run
