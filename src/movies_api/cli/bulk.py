"""What ``import`` and ``refresh`` show while they run and when they end: a Rich progress
bar on a terminal (plain lines otherwise, one per input line, for logs and pipes), a
summary, why a run stopped early, and the ``--report`` file."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

import orjson
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from movies_api.services.bulk import SUCCESSES, BulkRun, LineResult, Outcome
from movies_api.services.errors import (
    CatalogueError,
    StorageUnavailable,
    UpstreamQuotaReached,
    UpstreamRefused,
)

FREE_DAILY_REQUESTS = "1,000"  # OMDb's free tier


@contextlib.contextmanager
def database_errors() -> Iterator[None]:
    """A database that does not answer (while migrating, say, before any unit of work maps
    it), or one whose schema this process may not migrate, is ``StorageUnavailable``: the
    command then says so in a line, not a traceback."""
    from sqlalchemy.exc import DBAPIError

    from movies_api.db.schema import SchemaBehind

    try:
        yield
    except (DBAPIError, OSError) as error:
        raise StorageUnavailable(f"the database is unavailable ({type(error).__name__})") from None
    except SchemaBehind as behind:
        raise StorageUnavailable(str(behind)) from None


class Display:
    """Listens to a run (``services.bulk.Listener``): advances the bar, or prints each line.

    On a terminal only the lines that did not end well are printed (above the bar); in
    plain mode every line is, so a log holds the whole story.
    """

    def __init__(self, console: Console, *, total: int, doing: str) -> None:
        self._console = console
        self._bar: Progress | None = None
        self._task = TaskID(0)
        if console.is_terminal:
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )
            self._task = self._bar.add_task(doing, total=total)

    def __enter__(self) -> Self:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def __call__(self, result: LineResult) -> None:
        if self._bar is None:
            # Written as is: rendering through Rich cost ~0.2 ms a line on the event loop,
            # so a thousand lines held up two rounds of OMDb requests.
            self._console.file.write(describe(result) + "\n")
            return
        self._bar.advance(self._task)
        if result.outcome not in SUCCESSES:
            self._console.print(describe(result), markup=False, highlight=False, soft_wrap=True)


def describe(result: LineResult) -> str:
    """``line 3: added tt1160419 'Dune': Dune (2021)``: the outcome, the id, the line as
    given when it is not just the id, and the detail."""
    text = " ".join(result.input.split())
    parts = [f"line {result.line}: {result.outcome}"]
    if result.id:
        parts.append(result.id)
    if text != result.id:
        parts.append(repr(text))
    described = " ".join(parts)
    return f"{described}: {result.detail}" if result.detail else described


def summary(run: BulkRun, shown: Sequence[tuple[Outcome, str]]) -> str:
    """``added 3, already stored 2, not found 0, failed 1``: the counts in ``shown`` always,
    other outcomes only when some line had them."""
    counts = run.counts()
    listed = {outcome for outcome, _ in shown}
    extra = [
        (outcome, label) for outcome, label in _EXTRA if outcome not in listed and counts[outcome]
    ]
    return ", ".join(f"{label} {counts[outcome]}" for outcome, label in (*shown, *extra))


_EXTRA = (
    (Outcome.DUPLICATE, "duplicates"),
    (Outcome.NOT_TRIED, "not tried"),
    (Outcome.ALREADY_STORED, "already stored"),
    (Outcome.FAILED, "failed"),
)


def stop_reason(stopped: CatalogueError, not_tried: int, *, command: str) -> str:
    """Why the run stopped, and what the user should do about it."""
    left = f"{not_tried} line{'s' if not_tried != 1 else ''} not tried"
    if isinstance(stopped, UpstreamQuotaReached):
        return (
            f"stopped: OMDb's daily request limit for the API key is reached ({left}). "
            f"Run `{command}` again after the limit resets (the free tier allows "
            f"{FREE_DAILY_REQUESTS} requests a day): it asks OMDb only about what is missing."
        )
    if isinstance(stopped, UpstreamRefused):
        return (
            f"stopped: {stopped} ({left}). Set a valid key in MOVIES_OMDB_API_KEY, then run "
            f"`{command}` again: it asks OMDb only about what is missing."
        )
    return f"stopped: {stopped} ({left}). Run `{command}` again once it is back."


INTERRUPTED_STATUS = 130  # as a shell reports a command ended by Ctrl+C


def interrupted(command: str) -> str:
    """What to say when the user stops a run: what it wrote stays, a rerun finishes it."""
    return (
        f"interrupted: the batches written so far are kept; run `{command}` again to do the rest."
    )


def write_report(path: Path, run: BulkRun) -> None:
    """One JSON object a line, in input order: ``line``, ``input``, ``outcome``, ``id``,
    ``detail``."""
    with path.open("wb") as out:
        for result in run.results:
            out.write(orjson.dumps(result) + b"\n")
