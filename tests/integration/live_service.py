"""Helpers for tests against real processes: the ``movies-api keys`` CLI run as a user runs
it, a ``serve`` process wired to the OMDb simulator, and the simulator's knobs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

from tests.processes import Process, start_server, wait_until

_CREATED = re.compile(r"^created key (\d+) ", re.MULTILINE)
SIMULATOR_DEFAULTS: dict[str, object] = {
    "latency_ms": 0,
    "max_concurrency": None,
    "error_rate": 0,
    "hang_rate": 0,
    "quota": None,
    "api_keys": None,
    "down": False,
    "synthesize_ids": False,
}


@dataclass(frozen=True)
class CliRun:
    """One finished ``movies-api`` command."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def run_cli(
    database_url: str, *args: str, cwd: Path, env: Mapping[str, str] | None = None
) -> CliRun:
    """``python -m movies_api ARGS`` with MOVIES_DATABASE_URL (and ``env``) set, as an operator
    would."""
    full_env = {
        **{name: value for name, value in os.environ.items() if not name.startswith("MOVIES_")},
        "MOVIES_DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    done = subprocess.run(
        [sys.executable, "-m", "movies_api", *args],
        env=full_env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return CliRun(tuple(args), done.returncode, done.stdout, done.stderr)


@dataclass(frozen=True)
class IssuedKey:
    id: int
    key: str
    run: CliRun


def create_key(database_url: str, *scopes: str, cwd: Path, name: str = "x") -> IssuedKey:
    """``keys create --name NAME [--scope S]…``; the key is the last line of stdout."""
    options = [arg for scope in scopes for arg in ("--scope", scope)]
    run = run_cli(database_url, "keys", "create", "--name", name, *options, cwd=cwd)
    assert run.returncode == 0, run.stderr
    key = run.stdout.splitlines()[-1]
    said = _CREATED.search(run.stdout)
    if said is not None:
        return IssuedKey(int(said.group(1)), key, run)
    listed = list_keys(database_url, cwd=cwd)  # the id by the key's prefix: one more command
    key_id = next(int(k["id"]) for k in reversed(listed) if key.startswith(str(k["prefix"])))
    return IssuedKey(key_id, key, run)


def list_keys(database_url: str, *, cwd: Path) -> list[dict[str, Any]]:
    run = run_cli(database_url, "keys", "list", "--json", cwd=cwd)
    assert run.returncode == 0, run.stderr
    listed: list[dict[str, Any]] = orjson.loads(run.stdout)
    return listed


def revoke_key(database_url: str, key_id: int, *, cwd: Path) -> CliRun:
    run = run_cli(database_url, "keys", "revoke", str(key_id), cwd=cwd)
    assert run.returncode == 0, run.stderr
    return run


class Simulator:
    """The OMDb simulator's knobs, as a test turns them."""

    def __init__(self, process: Process) -> None:
        self.process = process
        self.base_url = process.url + "/"

    def configure(self, **knobs: object) -> None:
        response = httpx.post(self.process.url + "/__sim/config", json=knobs, timeout=10)
        response.raise_for_status()

    def restore(self) -> None:
        self.configure(**SIMULATOR_DEFAULTS)

    def requests(self) -> int:
        stats = httpx.get(self.process.url + "/__sim/stats", timeout=10).json()
        return int(stats["requests"])


def serve(
    tmp_path: Path,
    database_url: str,
    simulator: Simulator,
    *,
    seed: int = 0,
    omdb_key: str = "test-key",
    env: Mapping[str, str] | None = None,
) -> Process:
    """``movies-api serve`` on ``database_url``, OMDb being ``simulator``; with ``seed`` it
    seeds that many movies and returns once the seed is done."""
    settings = {
        "MOVIES_DATABASE_URL": database_url,
        "MOVIES_OMDB_BASE_URL": simulator.base_url,
        "MOVIES_OMDB_API_KEY": omdb_key,
        "MOVIES_SEED_ON_STARTUP": "true" if seed else "false",
        "MOVIES_SEED_COUNT": str(seed or 1),
        "MOVIES_LOG_FORMAT": "text",
        **(env or {}),
    }
    process = start_server(tmp_path, settings)
    try:
        if seed:
            wait_seeded(process)
    except BaseException:
        process.terminate()
        raise
    return process


def seed_state(process: Process) -> str:
    """The seed's state as ``/readyz`` tells it."""
    return str(httpx.get(process.url + "/readyz", timeout=10).json()["seed"]["state"])


def wait_seeded(process: Process) -> None:
    """Until ``/readyz`` says the seed is done; fails at once if the process exits."""
    wait_until(lambda: seed_state(process) == "done", what="the seed", process=process)
