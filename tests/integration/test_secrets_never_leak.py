"""Secrets stay secret: API keys made by the CLI and used over HTTP (successfully and not)
never appear in the server log, in CLI output other than the one line that hands them
out, or in the database files; the OMDb key never appears in the log, even when OMDb fails."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.live_service import (
    CliRun,
    IssuedKey,
    Simulator,
    create_key,
    run_cli,
    serve,
)
from tests.processes import start_simulator

MISSING_ID = "tt9999999"


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[Simulator]:
    process = start_simulator(tmp_path)
    yield Simulator(process)
    process.terminate()


def every_way_of_presenting(key: str) -> list[dict[str, str]]:
    """Header sets carrying ``key``: accepted shapes and malformed ones."""
    return [
        {"Authorization": f"Bearer {key}"},
        {"X-API-Key": key},
        {"Authorization": f"Basic {key}"},
        {"Authorization": f"Bearer {key} {key}"},
        {"Authorization": f"Bearer {key}", "X-API-Key": key + "x"},
        {"Authorization": f"Bearer {key}x"},
        {"Authorization": key},
    ]


def cli_output_without_the_key_line(run: CliRun, issued: IssuedKey | None = None) -> str:
    """Everything a command printed, less the one line ``keys create`` hands the key out on."""
    lines = run.stdout.splitlines()
    if issued is not None:
        assert lines[-1] == issued.key
        lines = lines[:-1]
    return "\n".join(lines) + "\n" + run.stderr


def test_keys_and_omdb_key_never_leak_into_logs_output_or_database(
    tmp_path: Path, sqlite_url: str, simulator: Simulator
) -> None:
    omdb_key = "omdb-" + secrets.token_hex(12)  # distinctive: found only if it really leaked
    database = Path(sqlite_url.removeprefix("sqlite:///"))
    deleter = create_key(sqlite_url, cwd=tmp_path, name="deleter")
    adder = create_key(sqlite_url, "movies:add", cwd=tmp_path, name="adder")
    revoked = create_key(sqlite_url, cwd=tmp_path, name="revoked")
    issued = (deleter, adder, revoked)
    other_runs = [
        run_cli(sqlite_url, "keys", "revoke", str(revoked.id), cwd=tmp_path),
        run_cli(sqlite_url, "keys", "list", cwd=tmp_path),
        run_cli(sqlite_url, "keys", "list", "--json", cwd=tmp_path),
        run_cli(sqlite_url, "keys", "revoke", "999", cwd=tmp_path),
    ]

    server = serve(
        tmp_path,
        sqlite_url,
        simulator,
        seed=2,
        omdb_key=omdb_key,
        env={
            # Room for an erroring OMDb's retries on a busy machine, so its answer is the
            # 502 of a failure, not the 504 of a spent budget; a hang still ends in 504.
            "MOVIES_OMDB_TIMEOUT": "3",
            "MOVIES_LOG_FORMAT": "json",
            "MOVIES_ADD_RATE_LIMIT": "1000/minute",
        },
    )
    answers: list[httpx.Response] = []
    try:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            seeded = http.get("/movies").json()["items"]
            answers.append(
                http.delete(f"/movies/{seeded[0]['id']}", headers={"X-API-Key": deleter.key})
            )
            for key in (deleter.key, adder.key, revoked.key):
                for headers in every_way_of_presenting(key):
                    answers.append(http.delete(f"/movies/{MISSING_ID}", headers=headers))
                    answers.append(http.delete("/movies/not-an-id", headers=headers))
                    answers.append(
                        http.post("/movies", json={"title": "No Such Film"}, headers=headers)
                    )
            adding = {"Authorization": f"Bearer {adder.key}"}
            never_seeded = {"title": "Mr. & Mrs. Smith"}
            answers.append(http.post("/movies", json=never_seeded, headers=adding))
            for knobs in ({"error_rate": 1.0}, {"api_keys": ["someone-else"]}, {"hang_rate": 1.0}):
                simulator.restore()
                simulator.configure(**knobs)
                answers.append(http.post("/movies", json={"title": "Heat"}, headers=adding))
            simulator.restore()
    finally:
        server.terminate()

    assert {r.status_code for r in answers} == {201, 204, 401, 403, 404, 422, 502, 503, 504}
    log = server.log.read_text(errors="replace")  # output() needs the file open
    assert "DELETE /movies/" in log  # the access log was captured
    assert "OMDb" in log  # so were the OMDb failures
    printed = [cli_output_without_the_key_line(k.run, k) for k in issued] + [
        cli_output_without_the_key_line(run) for run in other_runs
    ]
    stored = b"".join(
        path.read_bytes()
        for path in (database, database.with_name(database.name + "-wal"))
        if path.exists()
    )

    for clear in (k.key for k in issued):
        assert clear not in log
        assert all(clear not in text for text in printed)
        assert all(clear.encode() not in response.content for response in answers)
        assert hashlib.sha256(clear.encode()).hexdigest().encode() in stored  # rows are here
        assert clear.encode() not in stored
        assert clear[12:].encode() not in stored  # not even the part after the prefix
    assert omdb_key not in log
    assert all(omdb_key.encode() not in response.content for response in answers)
    assert omdb_key.encode() not in stored
