"""Import: 1,000 ids through the real Importer and OmdbClient, timed against the floor.

The simulator answers each request after ``--latency-ms 100`` and processes at most 8
at once (``--max-concurrency 8``); the client sends at most 8 at once (the default
``MOVIES_OMDB_MAX_IN_FLIGHT``). An import of ``N`` requests therefore cannot take less
than ``ceil(N / 8) x 100 ms``, the *floor*; target ≤ 1.1 x floor with ≤ 10 requests in
flight. The simulator's ``synthesize_ids`` knob gives each of the 1,000 ids a record
(its catalogue holds 368), so every line ends *added* and every batch is written.

What is timed (*import*): from the first OMDb request on the wire (a transport under the
client records it, and counts the requests in flight at its level) to the return of
``Importer.run``, i.e. after the last batch committed to a fresh SQLite file. Each round
also times the bare client fetching the same ids (no Importer, no database: what this
machine and client can do) and, for the record, the whole ``movies-api import FILE``
command (process start, schema migration, progress lines and all).

    .venv/bin/python -m benchmarks.import_ids [--runs 3] [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks import common
from benchmarks.seed import IN_FLIGHT, LATENCY_MS, TimingTransport, simulator
from movies_api.db.engine import create_engine, session_factory
from movies_api.db.schema import ensure_schema
from movies_api.db.unit_of_work import SqlUnitOfWork
from movies_api.db.urls import async_url
from movies_api.omdb.client import OmdbClient
from movies_api.services.bulk import Outcome
from movies_api.services.import_list import read_list
from movies_api.services.importer import Importer

COUNT = 1000
TARGET = 1.1
MAX_IN_FLIGHT = 10
IDS = [f"tt{5_000_000 + n:07d}" for n in range(COUNT)]


class CountingTransport(TimingTransport):
    """Also counts the requests on the wire at once, and the most there ever were."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        super().__init__(inner)
        self.in_flight = 0
        self.peak = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            return await super().handle_async_request(request)
        finally:
            self.in_flight -= 1


@dataclass(frozen=True, slots=True)
class Run:
    requests: int
    seconds: float
    peak_in_flight: int

    @property
    def floor(self) -> float:
        return math.ceil(self.requests / IN_FLIGHT) * LATENCY_MS / 1000

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor


def new_client(omdb_url: str) -> tuple[OmdbClient, CountingTransport]:
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    transport = CountingTransport(httpx.AsyncHTTPTransport(limits=limits))
    client = OmdbClient(
        api_key="benchmark", base_url=omdb_url, max_in_flight=IN_FLIGHT, transport=transport
    )
    return client, transport


async def import_ids(omdb_url: str, directory: Path) -> Run:
    engine = create_engine(async_url(f"sqlite:///{directory / 'movies.db'}"))
    client, transport = new_client(omdb_url)
    entries = read_list("\n".join(IDS))
    try:
        await ensure_schema(engine)
        sessions = session_factory(engine)
        importer = Importer(uow=lambda: SqlUnitOfWork(sessions), omdb=client, concurrency=IN_FLIGHT)
        run = await importer.run(entries)
        finished = time.perf_counter()
        sessions.close()
    finally:
        await client.aclose()
        await engine.dispose()
    if run.counts()[Outcome.ADDED] != COUNT or transport.first is None:
        raise RuntimeError(f"the import did not add {COUNT} movies: {run.counts()}")
    return Run(transport.requests, finished - transport.first, transport.peak)


async def client_only(omdb_url: str) -> Run:
    client, transport = new_client(omdb_url)
    # As many callers as the client has slots, like the Importer's workers: the client's
    # timeout covers a whole call, its wait for a slot included, so 1,000 calls queued on
    # it at once would time out by design.
    callers = asyncio.Semaphore(IN_FLIGHT)

    async def fetch(movie_id: str) -> None:
        async with callers:
            await client.get_by_id(movie_id)

    try:
        await asyncio.gather(*(fetch(movie_id) for movie_id in IDS))
        finished = time.perf_counter()
    finally:
        await client.aclose()
    if transport.first is None:
        raise RuntimeError("no OMDb request was made")
    return Run(transport.requests, finished - transport.first, transport.peak)


def whole_command(omdb_url: str, directory: Path) -> float:
    """Wall seconds of ``movies-api import FILE`` on a fresh SQLite file, stdout to a pipe."""
    listing = directory / "ids.txt"
    listing.write_text("\n".join(IDS) + "\n")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MOVIES_")},
        "MOVIES_DATABASE_URL": f"sqlite:///{directory / 'cli.db'}",
        "MOVIES_OMDB_BASE_URL": omdb_url,
        "MOVIES_OMDB_API_KEY": "benchmark",
    }
    started = time.perf_counter()
    done = subprocess.run(
        [str(common.VENV_BIN / "movies-api"), "import", str(listing)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0 or f"added {COUNT}," not in done.stdout:
        raise RuntimeError(f"movies-api import failed: {done.stdout}\n{done.stderr[-2000:]}")
    return seconds


def measure(url: str, what: str) -> Run | float:
    httpx.post(url + "__sim/reset", timeout=5).raise_for_status()
    with tempfile.TemporaryDirectory(prefix="movies-bench-import-") as directory:
        if what == "import":
            result: Run | float = asyncio.run(import_ids(url, Path(directory)))
        elif what == "client only":
            result = asyncio.run(client_only(url))
        else:
            result = whole_command(url, Path(directory))
    seen = httpx.get(url + "__sim/stats", timeout=5).json()["requests"]
    expected = result.requests if isinstance(result, Run) else COUNT
    if seen != expected:
        raise RuntimeError(f"simulator saw {seen} requests, expected {expected}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="write the Import section")
    args = parser.parse_args()
    runs: dict[str, list[Run]] = {"import": [], "client only": []}
    commands: list[float] = []
    with simulator(()) as url:
        httpx.post(
            url + "__sim/config", json={"synthesize_ids": True}, timeout=5
        ).raise_for_status()
        for index in range(args.runs):
            for what in ("import", "client only", "command"):
                result = measure(url, what)
                if isinstance(result, Run):
                    runs[what].append(result)
                    shown = (
                        f"{result.requests} requests, floor {result.floor:.2f} s, "
                        f"time {result.seconds:.3f} s, ratio {result.ratio:.3f}, "
                        f"peak in flight {result.peak_in_flight}"
                    )
                else:
                    commands.append(result)
                    shown = f"{result:.2f} s wall"
                print(f"run {index + 1}, {what}: {shown}", flush=True)

    rows = []
    for what, measured in runs.items():
        median = sorted(measured, key=lambda run: run.ratio)[len(measured) // 2]
        peak = max(run.peak_in_flight for run in measured)
        met = median.ratio <= TARGET and peak <= MAX_IN_FLIGHT
        rows.append(
            (
                what,
                median.requests,
                f"{median.floor:.2f} s",
                f"{median.seconds:.3f} s",
                f"{median.ratio:.3f}x",
                ", ".join(f"{run.ratio:.3f}" for run in measured),
                peak,
                f"≤ {TARGET}x, ≤ {MAX_IN_FLIGHT} in flight" if what == "import" else "",
                ("met" if met else "MISSED") if what == "import" else "",
            )
        )
    header = (
        "what",
        "requests",
        "floor",
        "time",
        "ratio",
        "ratios (all runs)",
        "peak in flight",
        "target",
        "",
    )
    figures = common.table(header, rows)
    command = (
        f"Whole command, `movies-api import FILE` of the same ids (process start, migration, "
        f"plain progress lines; not a target): median {statistics.median(commands):.2f} s "
        f"wall ({', '.join(f'{s:.2f}' for s in commands)})."
    )
    print()
    print(figures)
    print(command)
    if args.write:
        body = (
            f"Importing {COUNT} ids through the real `Importer` (batches of 100) and "
            f"`OmdbClient` (max_in_flight {IN_FLIGHT}) into a fresh SQLite file, against "
            f"`movies-api omdb-sim --latency-ms {LATENCY_MS} --max-concurrency {IN_FLIGHT}` "
            "with its `synthesize_ids` knob on (every id gets a record). Time runs from the "
            "first OMDb request on the wire to the last batch's commit; *peak in flight* is "
            "counted at the transport, under the client; requests are the simulator's count; "
            f"floor = ceil(requests / {IN_FLIGHT}) x {LATENCY_MS} ms. Median of {args.runs} "
            "runs (the run with the median ratio); every round also times the bare client "
            "fetching the same ids (no Importer, no database), alternating.\n\n"
            f"{figures}\n\n{command}\n\n{common.provenance()}\n"
        )
        common.write_section("Import", body)
        print(f"\nwrote the Import section of {common.RESULTS}")


if __name__ == "__main__":
    main()
