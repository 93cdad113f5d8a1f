"""What ``import`` and ``refresh`` print: plain lines off a terminal, failures only above the
bar on one, summaries, stop messages, reports, and the ``--older-than`` durations."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from rich.console import Console

from movies_api.cli.bulk import Display, describe, stop_reason, summary, write_report
from movies_api.cli.refresh import parse_age
from movies_api.services.bulk import BulkRun, LineResult, Outcome
from movies_api.services.errors import StorageUnavailable, UpstreamQuotaReached, UpstreamRefused

ADDED = LineResult(1, "Dune", Outcome.ADDED, "tt0087182", "Dune (1984)")
MISSING = LineResult(2, "No [b]Such[/b] Film", Outcome.NOT_FOUND, None, "OMDb has nothing")
STORED = LineResult(3, "tt0133093", Outcome.ALREADY_STORED, "tt0133093")


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("30d", timedelta(days=30)),
        ("12h", timedelta(hours=12)),
        ("90m", timedelta(minutes=90)),
        ("45s", timedelta(seconds=45)),
        ("2w", timedelta(weeks=2)),
        (" 7 D ", timedelta(days=7)),
        ("0s", timedelta(0)),
    ],
)
def test_ages_read_a_number_and_a_unit(text: str, age: timedelta) -> None:
    assert parse_age(text) == age


@pytest.mark.parametrize("text", ["30", "d", "1.5d", "-1d", "30 days", "1y", "9999999d"])
def test_other_ages_are_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match="30d"):
        parse_age(text)


def test_a_line_is_described_by_outcome_id_input_and_detail() -> None:
    assert describe(ADDED) == "line 1: added tt0087182 'Dune': Dune (1984)"
    assert describe(STORED) == "line 3: already-stored tt0133093"
    assert describe(MISSING) == "line 2: not-found 'No [b]Such[/b] Film': OMDb has nothing"


def console(*, terminal: bool) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=terminal, width=200, soft_wrap=True), out


def test_off_a_terminal_every_line_is_printed_as_it_ends() -> None:
    plain, out = console(terminal=False)

    with Display(plain, total=3, doing="importing") as display:
        for result in (ADDED, MISSING, STORED):
            display(result)

    assert out.getvalue().splitlines() == [describe(ADDED), describe(MISSING), describe(STORED)]


def test_on_a_terminal_only_what_went_wrong_is_printed_above_the_bar() -> None:
    terminal, out = console(terminal=True)

    with Display(terminal, total=3, doing="importing") as display:
        for result in (ADDED, MISSING, STORED):
            display(result)

    printed = out.getvalue()
    assert "No [b]Such[/b] Film" in printed  # markup-looking input is shown as given
    assert "Dune (1984)" not in printed
    assert "already-stored" not in printed


def test_the_summary_shows_the_four_counts_and_others_only_when_they_happened() -> None:
    shown = (
        (Outcome.ADDED, "added"),
        (Outcome.ALREADY_STORED, "already stored"),
        (Outcome.NOT_FOUND, "not found"),
        (Outcome.FAILED, "failed"),
    )
    plain = BulkRun([ADDED, MISSING, STORED])
    stopped = BulkRun([ADDED, LineResult(4, "x", Outcome.NOT_TRIED)])

    assert summary(plain, shown) == "added 1, already stored 1, not found 1, failed 0"
    assert (
        summary(stopped, shown) == "added 1, already stored 0, not found 0, failed 0, not tried 1"
    )


def test_a_stop_says_why_and_what_to_do() -> None:
    quota = stop_reason(UpstreamQuotaReached("limit"), 15, command="movies-api import l.txt")
    key = stop_reason(UpstreamRefused("OMDb refused the key"), 1, command="movies-api refresh")
    database = stop_reason(StorageUnavailable("the database is down"), 2, command="x")

    assert "15 lines not tried" in quota
    assert "Run `movies-api import l.txt` again after the limit resets" in quota
    assert "1 line not tried" in key
    assert "MOVIES_OMDB_API_KEY" in key
    assert "the database is down" in database


def test_the_report_is_one_json_object_a_line_in_input_order(tmp_path: Path) -> None:
    path = tmp_path / "report.jsonl"

    write_report(path, BulkRun([ADDED, MISSING, STORED]))

    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0] == {
        "line": 1,
        "input": "Dune",
        "outcome": "added",
        "id": "tt0087182",
        "detail": "Dune (1984)",
    }
    assert [line["outcome"] for line in lines] == ["added", "not-found", "already-stored"]
