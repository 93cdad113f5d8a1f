"""``movies-api import`` and ``movies-api refresh`` run as an operator runs them, against the
OMDb simulator, on SQLite and PostgreSQL: summaries, reports, exit statuses, the stop on
OMDb's quota and the rerun that completes the work, CSV from stdin, dry runs."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest

from movies_api.db.engine import create_engine, session_factory
from movies_api.db.unit_of_work import SqlUnitOfWork
from movies_api.db.urls import async_url
from movies_api.domain.listing import Listing
from movies_api.domain.movie import Movie
from tests.conftest import free_port
from tests.integration.live_service import CliRun, Simulator
from tests.processes import start_simulator


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    process = start_simulator(tmp_path_factory.mktemp("omdb-sim"))
    yield Simulator(process)
    process.terminate()


@pytest.fixture
def omdb(simulator: Simulator) -> Iterator[Simulator]:
    """The simulator with its counters, quotas and records as they started."""
    reset(simulator)
    yield simulator
    simulator.restore()
    reset(simulator)


def reset(simulator: Simulator) -> None:
    httpx.post(simulator.process.url + "/__sim/reset", timeout=10).raise_for_status()


def movie_ids(count: int) -> list[str]:
    """Ids of movies the simulator knows."""
    text = resources.files("movies_api.omdb.simulator").joinpath("catalogue.json").read_text()
    return [record["imdbID"] for record in json.loads(text)[:count]]


def movies_cli(
    database_url: str, omdb: Simulator, *args: str, cwd: Path, stdin: str | None = None
) -> CliRun:
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith("MOVIES_")},
        "MOVIES_DATABASE_URL": database_url,
        "MOVIES_OMDB_BASE_URL": omdb.base_url,
        "MOVIES_OMDB_API_KEY": "test-key",
        "PYTHONUNBUFFERED": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "movies_api", *args],
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    return CliRun(tuple(args), done.returncode, done.stdout, done.stderr)


def report(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def stored(database_url: str) -> dict[str, Movie]:
    async def read() -> dict[str, Movie]:
        engine = create_engine(async_url(database_url))
        sessions = session_factory(engine)
        try:
            async with SqlUnitOfWork(sessions) as uow:
                page = await uow.movies.listing(Listing(), limit=10_000)
                movies = [await uow.movies.get(str(item.position[-1])) for item in page.items]
            return {movie.id: movie for movie in movies if movie is not None}
        finally:
            sessions.close()
            await engine.dispose()

    return asyncio.run(read())


def test_import_reports_every_line_and_exits_1_unless_each_was_added_or_stored(
    database_url: str, omdb: Simulator, tmp_path: Path
) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text(
        "tt0133093\n\nThe Godfather\nNo Such Film Anywhere\ntt0133093\n" + "x" * 301 + "\n"
    )
    kept = tmp_path / "report.jsonl"

    first = movies_cli(
        database_url, omdb, "import", str(listing), "--report", str(kept), cwd=tmp_path
    )

    assert first.returncode == 1, first.stderr
    assert "added 2, already stored 0, not found 1, failed 1, duplicates 1" in first.stdout
    lines = report(kept)
    assert [(r["line"], r["outcome"], r["id"]) for r in lines] == [
        (1, "added", "tt0133093"),
        (3, "added", "tt0068646"),
        (4, "not-found", None),
        (5, "duplicate", "tt0133093"),
        (6, "failed", None),
    ]
    assert lines[2]["input"] == "No Such Film Anywhere"
    assert "Movie not found" in lines[2]["detail"]
    assert "300" in lines[4]["detail"]
    assert set(stored(database_url)) == {"tt0133093", "tt0068646"}
    # Not a terminal: one plain line per input line on stderr.
    assert "line 3: added tt0068646 'The Godfather': The Godfather (1972)" in first.stderr
    assert "Traceback" not in first.stderr

    listing.write_text("tt0133093\nthe  godfather\n")
    asked = omdb.requests()
    second = movies_cli(database_url, omdb, "import", str(listing), cwd=tmp_path)

    assert second.returncode == 0, second.stderr
    assert "added 0, already stored 2, not found 0, failed 0" in second.stdout
    assert omdb.requests() == asked  # stored lines never reach OMDb


def test_a_quota_stop_tells_to_run_again_and_the_rerun_completes_the_list(
    sqlite_url: str, omdb: Simulator, tmp_path: Path
) -> None:
    wanted = movie_ids(25)
    listing = tmp_path / "ids.txt"
    listing.write_text("\n".join(wanted) + "\n")
    omdb.configure(quota=10)

    stopped = movies_cli(sqlite_url, omdb, "import", str(listing), cwd=tmp_path)

    assert stopped.returncode == 1
    assert "added 10, already stored 0, not found 0, failed 0, not tried 15" in stopped.stdout
    assert "daily request limit" in stopped.stderr
    assert f"Run `movies-api import {listing}` again" in stopped.stderr
    assert len(stored(sqlite_url)) == 10

    omdb.configure(quota=None)
    reset(omdb)
    rerun = movies_cli(sqlite_url, omdb, "import", str(listing), cwd=tmp_path)

    assert rerun.returncode == 0, rerun.stderr
    assert "added 15, already stored 10" in rerun.stdout
    assert omdb.requests() == 15
    assert set(stored(sqlite_url)) == set(wanted)


def test_a_csv_from_stdin_uses_its_title_year_and_type_columns(
    sqlite_url: str, omdb: Simulator, tmp_path: Path
) -> None:
    csv = 'Year,Title,Type\n1984,Dune,movie\n2021,"Dune",\n,Dune,series\n'
    kept = tmp_path / "report.jsonl"

    run = movies_cli(
        sqlite_url, omdb, "import", "-", "--report", str(kept), cwd=tmp_path, stdin=csv
    )

    assert run.returncode == 0, run.stderr
    assert "added 3, already stored 0" in run.stdout
    assert [r["id"] for r in report(kept)] == ["tt0087182", "tt1160419", "tt9100011"]
    assert [r["input"] for r in report(kept)] == ["1984,Dune,movie", '2021,"Dune",', ",Dune,series"]


def test_a_dry_run_asks_omdb_nothing_changes_nothing_and_lists_what_it_would_ask(
    sqlite_url: str, omdb: Simulator, tmp_path: Path
) -> None:
    database = Path(sqlite_url.removeprefix("sqlite:///"))
    listing = tmp_path / "list.txt"
    listing.write_text("tt0133093\nThe Godfather\ntt0133093\n")

    fresh = movies_cli(sqlite_url, omdb, "import", str(listing), "--dry-run", cwd=tmp_path)

    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stdout.splitlines()[:2] == ["line 1: tt0133093", "line 2: The Godfather"]
    assert "would ask OMDb about 2 lines" in fresh.stdout
    assert not database.exists()  # not even an empty database file was made
    assert omdb.requests() == 0

    assert (
        movies_cli(sqlite_url, omdb, "import", "-", cwd=tmp_path, stdin="tt0133093\n").returncode
        == 0
    )
    asked = omdb.requests()
    kept = tmp_path / "dry.jsonl"
    listing.write_text("tt0133093\nThe Godfather\n" + "x" * 400 + "\n")
    unreadable = movies_cli(
        sqlite_url, omdb, "import", str(listing), "--dry-run", "--report", str(kept), cwd=tmp_path
    )
    assert unreadable.returncode == 1
    assert [r["outcome"] for r in report(kept)] == ["already-stored", "would-ask", "failed"]
    assert "line 2: The Godfather" in unreadable.stdout
    assert "line 3: unreadable" in unreadable.stdout
    assert omdb.requests() == asked


def test_an_unreadable_file_is_exit_2_with_a_message(
    sqlite_url: str, omdb: Simulator, tmp_path: Path
) -> None:
    missing = movies_cli(sqlite_url, omdb, "import", str(tmp_path / "nope.txt"), cwd=tmp_path)
    binary = tmp_path / "list.bin"
    binary.write_bytes(b"\xff\xfe\x00t\x00t")
    garbled = movies_cli(sqlite_url, omdb, "import", str(binary), cwd=tmp_path)

    assert (missing.returncode, garbled.returncode) == (2, 2)
    assert "cannot read" in missing.stderr
    assert "not UTF-8" in garbled.stderr
    assert "Traceback" not in missing.stderr + garbled.stderr


def test_refresh_fetches_the_stalest_again_up_to_the_limit(
    database_url: str, omdb: Simulator, tmp_path: Path
) -> None:
    three = movie_ids(3)
    added = movies_cli(database_url, omdb, "import", "-", cwd=tmp_path, stdin="\n".join(three))
    assert added.returncode == 0, added.stderr
    before = stored(database_url)
    for movie_id in three:
        httpx.post(
            omdb.process.url + f"/__sim/records/{movie_id}", json={"imdbRating": "1.5"}, timeout=10
        ).raise_for_status()

    nothing_due = movies_cli(database_url, omdb, "refresh", cwd=tmp_path)  # default: 30 days
    kept = tmp_path / "refreshed.jsonl"
    limited = movies_cli(
        database_url,
        omdb,
        "refresh",
        "--older-than",
        "0s",
        "--limit",
        "2",
        "--report",
        str(kept),
        cwd=tmp_path,
    )

    assert nothing_due.returncode == 0
    assert "nothing to do" in nothing_due.stdout
    assert limited.returncode == 0, limited.stderr
    assert "refreshed 2, not found 0, failed 0" in limited.stdout
    after = stored(database_url)
    refreshed = sorted(three)[:2]  # all added together: ties go by id
    assert [(r["line"], r["input"], r["outcome"]) for r in report(kept)] == [
        (1, refreshed[0], "refreshed"),
        (2, refreshed[1], "refreshed"),
    ]
    for movie_id in three:
        old, new = before[movie_id], after[movie_id]
        assert new.added_at == old.added_at
        if movie_id in refreshed:
            assert new.imdb_rating == 1.5
            assert new.refreshed_at is not None
            assert old.refreshed_at is not None
            assert new.refreshed_at > old.refreshed_at
        else:
            assert new == old

    omdb.configure(quota=0)
    stopped = movies_cli(database_url, omdb, "refresh", "--older-than", "0s", cwd=tmp_path)
    assert stopped.returncode == 1
    assert "not tried 3" in stopped.stdout
    assert "Run `movies-api refresh` again" in stopped.stderr
    assert stored(database_url) == after


def _sigint_as_in_a_shell() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_an_interrupted_import_says_so_and_a_rerun_finishes_it(
    sqlite_url: str, omdb: Simulator, tmp_path: Path
) -> None:
    wanted = movie_ids(40)
    listing = tmp_path / "ids.txt"
    listing.write_text("\n".join(wanted) + "\n")
    omdb.configure(latency_ms=1000)  # 5 rounds of 8: seconds to interrupt it in
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith("MOVIES_")},
        "MOVIES_DATABASE_URL": sqlite_url,
        "MOVIES_OMDB_BASE_URL": omdb.base_url,
        "MOVIES_OMDB_API_KEY": "test-key",
    }
    running = subprocess.Popen(
        [sys.executable, "-m", "movies_api", "import", str(listing)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl+C as a terminal delivers it: a test run started in the background by a shell
        # without job control ignores SIGINT (SIG_IGN), and every child it starts inherits that.
        preexec_fn=_sigint_as_in_a_shell,
    )
    try:
        while omdb.requests() == 0 and running.poll() is None:
            time.sleep(0.05)
        running.send_signal(signal.SIGINT)
        _out, err = running.communicate(timeout=60)
    finally:
        if running.poll() is None:
            running.kill()

    assert running.returncode == 130
    assert f"run `movies-api import {listing}` again" in err
    assert "Traceback" not in err

    omdb.configure(latency_ms=0)
    rerun = movies_cli(sqlite_url, omdb, "import", str(listing), cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert set(stored(sqlite_url)) == set(wanted)


@pytest.mark.parametrize("args", [("import", "-"), ("import", "--dry-run", "-"), ("refresh",)])
def test_a_database_that_does_not_answer_is_one_line_and_exit_1(
    omdb: Simulator, tmp_path: Path, args: tuple[str, ...]
) -> None:
    nobody = f"postgresql://postgres@127.0.0.1:{free_port()}/movies"

    run = movies_cli(nobody, omdb, *args, cwd=tmp_path, stdin="tt0133093\n")

    assert run.returncode == 1
    assert "the database is unavailable" in run.stderr
    assert "Traceback" not in run.stderr
    assert omdb.requests() == 0


def test_an_empty_list_is_nothing_to_do(sqlite_url: str, omdb: Simulator, tmp_path: Path) -> None:
    run = movies_cli(sqlite_url, omdb, "import", "-", cwd=tmp_path, stdin="\n  \n")

    assert run.returncode == 0
    assert "nothing to do" in run.stdout
