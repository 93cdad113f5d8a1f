"""Many OMDb fetches in one run (``movies-api import``, ``movies-api refresh``): bounded
concurrency, writes in batches, one result per input line, a clean stop on OMDb's refusal.

The shape of a run: a producer walks the input in chunks (deciding what it can from the
database alone, e.g. "already stored"), workers fetch the rest from OMDb, and a committer
writes what they fetched in batches of ``batch_size``, one transaction each. The three run
at once, so OMDb is never kept waiting on the database: with ``concurrency`` equal to the
OMDb client's own limit, every slot of the client stays busy until the input runs out.

When OMDb refuses us (its daily quota is spent, the key is invalid or missing) no later
request can succeed: the run stops asking, finishes what is on the wire, commits what it
has, and reports the rest as not tried, so running it again later completes the work.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterable, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from movies_api.domain.movie import MovieDetails
from movies_api.services.errors import (
    CatalogueError,
    UpstreamError,
    UpstreamLost,
    UpstreamNotFound,
    UpstreamRefused,
)

BATCH_SIZE: Final = 100


class Outcome(StrEnum):
    """How one input line ended."""

    ADDED = "added"
    ALREADY_STORED = "already-stored"
    REFRESHED = "refreshed"
    NOT_FOUND = "not-found"
    FAILED = "failed"
    NOT_TRIED = "not-tried"  # the run stopped (OMDb's quota) before asking about it
    DUPLICATE = "duplicate"  # the same as an earlier line, which ended well
    WOULD_ASK = "would-ask"  # a dry run would ask OMDb about it


# Lines that ended where the user wanted them: the run's exit status is 0 when all did.
SUCCESSES: Final = frozenset(
    {Outcome.ADDED, Outcome.ALREADY_STORED, Outcome.REFRESHED, Outcome.DUPLICATE}
)


@dataclass(frozen=True, slots=True)
class LineResult:
    """The end of one input line: its number (1-based), its text, the outcome, the movie's
    id when known, and a word on why (or what was stored)."""

    line: int
    input: str
    outcome: Outcome
    id: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Job:
    """One OMDb request to make for one input line."""

    line: int
    input: str
    fetch: Callable[[], Awaitable[MovieDetails]]
    id: str | None = None  # the id asked for, when the line names one


@dataclass(frozen=True, slots=True)
class Chunk:
    """A stretch of the input: lines already decided, and the requests the rest need."""

    decided: Sequence[LineResult] = ()
    jobs: Sequence[Job] = ()


Fetched = tuple[Job, MovieDetails]
Commit = Callable[[Sequence[Fetched]], Awaitable[Sequence[LineResult]]]
Listener = Callable[[LineResult], None]


@dataclass
class BulkRun:
    """What a run did: a result per input line (in input order) and, when it stopped early,
    why (an ``UpstreamRefused``, or ``StorageUnavailable`` when the database went away)."""

    results: list[LineResult] = field(default_factory=list)
    stopped: CatalogueError | None = None

    def counts(self) -> Counter[Outcome]:
        return Counter(result.outcome for result in self.results)

    @property
    def succeeded(self) -> bool:
        """Whether every line ended added, stored, refreshed (or as a good line's duplicate)."""
        return all(result.outcome in SUCCESSES for result in self.results)


def not_tried(job: Job, reason: CatalogueError) -> LineResult:
    """The result of a line the run stopped before asking OMDb about (``reason``: why)."""
    return LineResult(job.line, job.input, Outcome.NOT_TRIED, job.id, str(reason))


class BulkRunner:
    """Runs chunks of jobs: ``concurrency`` requests at once, commits of ``batch_size``."""

    def __init__(self, *, concurrency: int, batch_size: int = BATCH_SIZE) -> None:
        if concurrency < 1 or batch_size < 1:
            raise ValueError("concurrency and batch_size must be at least 1")
        self._concurrency = concurrency
        self._batch_size = batch_size

    async def run(
        self, chunks: AsyncIterable[Chunk], commit: Commit, listener: Listener | None = None
    ) -> BulkRun:
        """Every line of ``chunks`` ends in exactly one result; ``listener`` hears each as it
        is known. Errors other than OMDb's and the database's propagate."""
        run = BulkRun()
        jobs: asyncio.Queue[Job | None] = asyncio.Queue(maxsize=self._batch_size)
        fetched: asyncio.Queue[Fetched | None] = asyncio.Queue()

        def record(result: LineResult) -> None:
            run.results.append(result)
            if listener is not None:
                listener(result)

        def stop(reason: CatalogueError) -> None:
            if run.stopped is None:
                run.stopped = reason

        async def produce() -> None:
            async for chunk in chunks:
                for result in chunk.decided:
                    record(result)
                for job in chunk.jobs:
                    if run.stopped is not None:
                        record(not_tried(job, run.stopped))
                    else:
                        await jobs.put(job)
            for _ in range(self._concurrency):
                await jobs.put(None)

        async def work() -> None:
            while (job := await jobs.get()) is not None:
                if run.stopped is not None:
                    record(not_tried(job, run.stopped))
                    continue
                try:
                    details = await job.fetch()
                except UpstreamRefused as refused:
                    stop(refused)
                    record(not_tried(job, refused))
                except (UpstreamNotFound, UpstreamLost) as missing:
                    record(LineResult(job.line, job.input, Outcome.NOT_FOUND, job.id, str(missing)))
                except UpstreamError as failed:
                    record(LineResult(job.line, job.input, Outcome.FAILED, job.id, str(failed)))
                else:
                    await fetched.put((job, details))

        async def write(batch: list[Fetched]) -> None:
            try:
                written = await commit(batch)
            except CatalogueError as error:  # the database is unavailable: nothing was written
                stop(error)
                written = [
                    LineResult(job.line, job.input, Outcome.FAILED, details.id, str(error))
                    for job, details in batch
                ]
            for result in written:
                record(result)

        async def commit_batches() -> None:
            batch: list[Fetched] = []
            while (item := await fetched.get()) is not None:
                batch.append(item)
                if len(batch) >= self._batch_size:
                    await write(batch)
                    batch = []
            if batch:
                await write(batch)

        try:
            async with asyncio.TaskGroup() as group:
                committer = group.create_task(commit_batches())
                async with asyncio.TaskGroup() as fetchers:
                    fetchers.create_task(produce())
                    for _ in range(self._concurrency):
                        fetchers.create_task(work())
                await fetched.put(None)
                await committer
        except* CatalogueError as failed:  # the database failed the producer: say so, plainly
            raise _innermost(failed) from None
        run.results.sort(key=lambda result: result.line)
        return run


def _innermost(group: BaseExceptionGroup[CatalogueError]) -> CatalogueError:
    """The first error of a (possibly nested) group, as the task groups above wrap it."""
    error: BaseException = group
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    assert isinstance(error, CatalogueError)
    return error
