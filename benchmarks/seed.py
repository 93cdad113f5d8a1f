"""Seed: the real Seeder and OmdbClient against the OMDb simulator, timed against the floor.

The simulator answers each request after ``--latency-ms 100`` and processes at most
8 at once (``--max-concurrency 8``); the client sends at most 8 at once
(``max_in_flight=8``). A seed of ``N`` requests therefore cannot take less than
``ceil(N / 8) x 100 ms``, the *floor*, and the figure of merit is ``time / floor``.

What is timed: from the moment the first OMDb request goes on the wire (a transport
wrapped around the client's own records it, below the client's semaphore and retries)
to the moment ``Seeder.seed_once`` returns, i.e. after the transaction that stores the
seed has committed. Imports, the schema migration and the simulator's start are outside.
The request count is the simulator's own (``/__sim/stats``, reset before each run), so it
includes every retry; the transport's count is checked against it.

Scenarios (each on a fresh SQLite file per run, the median of ``--runs`` reported):
- clean: ``--latency-ms 100 --max-concurrency 8``; target ≤ 1.05 x floor, ≤ 104 requests,
  ≤ 8 in flight (issue 14);
- 5 % errors: the same plus ``--error-rate 0.05``; target ≤ 1.3 x floor.

With ``--against OTHER/src`` each round also seeds with the ``movies_api`` of that tree
(a copy of ``src`` before a change), in a subprocess, and spawns it (below).
With ``--compare`` each round also measures the seed without tail spares
(``tail_spares=0``) and the bare client fetching 100 ids (no Seeder, no database), so
the share of the ratio that the Seeder adds can be told from the machine's own.

Spawn → seed committed (the second table): ``movies-api serve`` spawned on a migrated,
empty SQLite file with the clean simulator as its OMDb, timed to the log line the seed
writes after its commit (ms resolution), against the floor *floor start + seed floor*:
the one-route FastAPI app's spawn → first 200 (``benchmarks.cold_start``'s floor,
measured in the same round) plus ``ceil(requests / 8) x 100 ms``; target ≤ 1.15x.
The simulator's ``first_request_at`` gives spawn → first OMDb request.

    .venv/bin/python -m benchmarks.seed [--runs 3] [--compare] [--against OTHER/src] [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from benchmarks import common
from benchmarks.cold_start import floor_cold_start
from movies_api.db.engine import create_engine, session_factory
from movies_api.db.locks import exclusive
from movies_api.db.schema import ensure_schema
from movies_api.db.unit_of_work import SqlUnitOfWork
from movies_api.db.urls import async_url
from movies_api.omdb.client import OmdbClient
from movies_api.services.seeding import TAIL_SPARES, Outcome, Seeder, bundled_ids

LATENCY_MS = 100
IN_FLIGHT = 8
COUNT = 100


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    simulator_options: tuple[str, ...]
    target_ratio: float
    max_requests: int | None


SPAWN_TARGET_RATIO = 1.15
SEEDED_LINE = "movies_api.seeding: seeded "
SCENARIOS = (
    Scenario("clean", (), 1.05, 104),
    Scenario("5 % errors", ("--error-rate", "0.05", "--seed", "5"), 1.3, None),
)


@dataclass(frozen=True, slots=True)
class Run:
    requests: int
    seconds: float
    store_seconds: float = 0.0  # from the last detail in hand to the commit
    peak_in_flight: int = 0  # the simulator's most requests processed at once

    @property
    def floor(self) -> float:
        return math.ceil(self.requests / IN_FLIGHT) * LATENCY_MS / 1000

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor


class TimingTransport(httpx.AsyncBaseTransport):
    """Records when the first request goes on the wire, and how many went."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.first: float | None = None
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.first is None:
            self.first = time.perf_counter()
        self.requests += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@contextmanager
def simulator(options: Sequence[str]) -> Iterator[str]:
    """``movies-api omdb-sim`` on a free loopback port; yields its base URL."""
    port = common.free_port()
    argv = [
        sys.executable,
        "-m",
        "movies_api",
        "omdb-sim",
        "--port",
        str(port),
        "--latency-ms",
        str(LATENCY_MS),
        "--max-concurrency",
        str(IN_FLIGHT),
        *options,
    ]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url + "__sim/stats", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the OMDb simulator did not start") from None
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def new_client(omdb_url: str) -> tuple[OmdbClient, TimingTransport]:
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    transport = TimingTransport(httpx.AsyncHTTPTransport(limits=limits))
    client = OmdbClient(
        api_key="benchmark", base_url=omdb_url, max_in_flight=IN_FLIGHT, transport=transport
    )
    return client, transport


async def seed(omdb_url: str, directory: Path, tail_spares: int | None) -> Run:
    """Seed a fresh SQLite database: requests sent, seconds from the first to the commit."""
    engine = create_engine(async_url(f"sqlite:///{directory / 'movies.db'}"))
    client, transport = new_client(omdb_url)
    try:
        await ensure_schema(engine)
        sessions = session_factory(engine)
        seeder = Seeder(
            uow=lambda: SqlUnitOfWork(sessions),
            omdb=client,
            lock=lambda: exclusive(engine, "seed", wait=False),
            count=COUNT,
            tail_spares=TAIL_SPARES if tail_spares is None else tail_spares,
        )
        fetched = 0.0

        def progress(done: int, total: int) -> None:
            nonlocal fetched
            if done == total:
                fetched = time.perf_counter()

        result = await seeder.seed_once(progress)
        finished = time.perf_counter()
        if result.outcome is not Outcome.SEEDED or result.stored != COUNT:
            raise RuntimeError(f"the seed did not store {COUNT} movies: {result}")
    finally:
        await client.aclose()
        await engine.dispose()
    if transport.first is None:
        raise RuntimeError("no OMDb request was made")
    return Run(transport.requests, finished - transport.first, store_seconds=finished - fetched)


async def client_only(omdb_url: str) -> Run:
    """The bare client fetching the first ``COUNT`` bundled ids: no Seeder, no database.

    The best this client and machine can do; the seed's ratio minus this one is what the
    Seeder and the store add. A request that fails after its retries is not replaced.
    """
    client, transport = new_client(omdb_url)
    try:
        results = await asyncio.gather(
            *(client.get_by_id(movie_id) for movie_id in bundled_ids()[:COUNT]),
            return_exceptions=True,
        )
        finished = time.perf_counter()
    finally:
        await client.aclose()
    if transport.first is None or not results:
        raise RuntimeError("no OMDb request was made")
    return Run(requests=transport.requests, seconds=finished - transport.first)


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    tail_spares: int | None = None  # None: the Seeder's default
    bare_client: bool = False
    src: Path | None = None  # seed with the movies_api of this source tree, in a subprocess


SEED = Variant("seed")
COMPARED = (
    Variant(f"seed, tail_spares=0 (default {TAIL_SPARES})", tail_spares=0),
    Variant("client only", bare_client=True),
)


def seed_elsewhere(url: str, src: Path) -> Run:
    """``seed`` run by a process importing ``movies_api`` from ``src`` (the timed part is
    the same code as ours, from the first request to the commit)."""
    argv = [sys.executable, "-m", "benchmarks.seed", "--one-seed", url]
    env = {**os.environ, "PYTHONPATH": str(src)}
    answer = subprocess.run(
        argv, env=env, cwd=common.ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    requests, seconds, store_seconds = json.loads(answer.stdout.strip().splitlines()[-1])
    return Run(int(requests), float(seconds), float(store_seconds))


def measure(url: str, variant: Variant) -> Run:
    httpx.post(url + "__sim/reset", timeout=5).raise_for_status()
    if variant.bare_client:
        run = asyncio.run(client_only(url))
    elif variant.src is not None:
        run = seed_elsewhere(url, variant.src)
    else:
        with tempfile.TemporaryDirectory(prefix="movies-bench-seed-") as directory:
            run = asyncio.run(seed(url, Path(directory), variant.tail_spares))
    stats = httpx.get(url + "__sim/stats", timeout=5).json()
    seen = stats["requests"]
    if seen > run.requests:
        raise RuntimeError(f"simulator saw {seen} requests, the client sent {run.requests}")
    # The simulator's count is the one that matters: a spare the seed cancelled once it had
    # enough can leave the client without ever reaching the simulator.
    return replace(run, requests=seen, peak_in_flight=stats["peak_in_flight"])


def run_scenario(
    scenario: Scenario, variants: Sequence[Variant], runs: int
) -> dict[Variant, list[Run]]:
    """``runs`` rounds on one simulator, each round measuring every variant in turn."""
    results: dict[Variant, list[Run]] = {variant: [] for variant in variants}
    with simulator(scenario.simulator_options) as url:
        for index in range(runs):
            for variant in variants:
                run = measure(url, variant)
                results[variant].append(run)
                print(
                    f"{scenario.name}, {variant.name}, run {index + 1}: {run.requests} requests, "
                    f"floor {run.floor:.2f} s, time {run.seconds:.3f} s, ratio {run.ratio:.3f}",
                    flush=True,
                )
    return results


@dataclass(frozen=True, slots=True)
class SpawnRun:
    """``movies-api serve`` spawned on an empty database → its seed committed."""

    requests: int
    seconds: float  # spawn → the seed's "seeded" log line, written after its commit
    first_request: float  # spawn → the simulator's first OMDb request
    peak_in_flight: int
    floor_start: float  # the floor app's spawn → first 200, in the same round

    @property
    def floor(self) -> float:
        return self.floor_start + math.ceil(self.requests / IN_FLIGHT) * LATENCY_MS / 1000

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor


def empty_database(directory: Path) -> Path:
    """A migrated, empty SQLite file, copied for every spawn (the migration is not timed)."""
    path = directory / "template.db"

    async def migrate() -> None:
        engine = create_engine(async_url(f"sqlite:///{path}"))
        try:
            await ensure_schema(engine)
        finally:
            await engine.dispose()

    asyncio.run(migrate())
    return path


def spawn_seed(
    url: str, template: Path, directory: Path, src: Path | None = None
) -> tuple[float, float, int, int]:
    """Seconds from spawn to the seed's commit and to the first OMDb request; requests, peak.

    With ``src``, the service is imported from that source tree (as cold_start's ``--against``).
    """
    httpx.post(url + "__sim/reset", timeout=5).raise_for_status()
    database = directory / "movies.db"
    for leftover in directory.glob("movies.db*"):
        leftover.unlink()
    shutil.copyfile(template, database)
    port = common.free_port()
    env = common.service_env(
        f"sqlite:///{database}", port, omdb_api_key="benchmark", omdb_base_url=url
    )
    if src is not None:
        env["PYTHONPATH"] = str(src)
    spawned = time.time()
    server = common.Server(
        "spawn-seed", common.SERVICE_COMMAND, port=port, env=env, log_dir=directory
    )
    try:
        deadline = time.monotonic() + 60
        while SEEDED_LINE not in (log := server.log_path.read_text(errors="replace")):
            if server.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"no seed within 60 s: {server.tail()}")
            time.sleep(0.02)
    finally:
        server.stop()
    line = next(line for line in log.splitlines() if SEEDED_LINE in line)
    committed = dt.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp() - spawned
    stats = httpx.get(url + "__sim/stats", timeout=5).json()
    first = float(stats["first_request_at"]) - spawned
    return committed, first, int(stats["requests"]), int(stats["peak_in_flight"])


def run_spawn(runs: int, against: Path | None) -> dict[str, list[SpawnRun]]:
    """``runs`` rounds, each the floor app's start then a spawn that seeds (and, with
    ``against``, one more from that source tree)."""
    trees = {"service": None, **({f"--against {against}": against} if against else {})}
    results: dict[str, list[SpawnRun]] = {name: [] for name in trees}
    with common.workspace("spawn-seed") as directory, simulator(()) as url:
        template = empty_database(directory)
        floor_cold_start(directory)  # warm the page cache for all
        for src in trees.values():
            spawn_seed(url, template, directory, src)
        for index in range(runs):
            floor_start = floor_cold_start(directory).seconds
            for name, src in trees.items():
                committed, first, requests, peak = spawn_seed(url, template, directory, src)
                run = SpawnRun(requests, committed, first, peak, floor_start)
                results[name].append(run)
                print(
                    f"spawn -> seed committed, {name}, run {index + 1}: {requests} requests "
                    f"(peak {peak} in flight), first request at {first:.3f} s, committed at "
                    f"{committed:.3f} s, floor {run.floor:.3f} s (start {floor_start:.3f} s), "
                    f"ratio {run.ratio:.3f}",
                    flush=True,
                )
    return results


def spawn_report(results: dict[str, list[SpawnRun]]) -> str:
    rows = []
    for name, runs in results.items():
        median = sorted(runs, key=lambda run: run.ratio)[len(runs) // 2]
        met = median.ratio <= SPAWN_TARGET_RATIO and all(
            run.peak_in_flight <= IN_FLIGHT for run in runs
        )
        rows.append(
            (
                name,
                median.requests,
                max(run.peak_in_flight for run in runs),
                f"{median.first_request:.3f} s",
                f"{median.seconds:.3f} s",
                f"{median.floor_start:.3f} s",
                f"{median.floor:.3f} s",
                f"{median.ratio:.3f}x",
                ", ".join(f"{run.ratio:.3f}" for run in runs),
                f"≤ {SPAWN_TARGET_RATIO}x" if name == "service" else "",
                ("met" if met else "MISSED") if name == "service" else "",
            )
        )
    header = (
        "",
        "requests",
        "peak in flight",
        "spawn → first OMDb request",
        "spawn → seed committed",
        "floor start",
        "floor (start + seed floor)",
        "ratio",
        "ratios (all runs)",
        "target",
        "",
    )
    table = common.table(header, rows)
    if len(results) == 2:  # with --against: the same rounds, paired
        service, other = results.values()
        paired = [a.seconds / b.seconds for a, b in zip(service, other, strict=True)]
        table += (
            "\n\nSpawn → seed committed, service / `--against`, round by round: "
            f"{', '.join(f'{ratio:.3f}' for ratio in paired)} "
            f"(median {statistics.median(paired):.3f})."
        )
    return table


def median_run(runs: Sequence[Run]) -> Run:
    """The run with the median ratio (so its figures belong together)."""
    ordered = sorted(runs, key=lambda run: run.ratio)
    return ordered[len(ordered) // 2]


def report(outcomes: Sequence[tuple[Scenario, dict[Variant, list[Run]]]]) -> str:
    rows = []
    for scenario, by_variant in outcomes:
        for variant, runs in by_variant.items():
            median = median_run(runs)
            store_ms = statistics.median(run.store_seconds for run in runs) * 1000
            target = verdict = ""
            if variant == SEED:
                target = (
                    f"≤ {scenario.target_ratio}x"
                    + (f", ≤ {scenario.max_requests} requests" if scenario.max_requests else "")
                    + f", ≤ {IN_FLIGHT} in flight"
                )
                met = (
                    median.ratio <= scenario.target_ratio
                    and (scenario.max_requests is None or median.requests <= scenario.max_requests)
                    and all(run.peak_in_flight <= IN_FLIGHT for run in runs)
                )
                verdict = "met" if met else "MISSED"
            rows.append(
                (
                    scenario.name,
                    variant.name,
                    median.requests,
                    max(run.peak_in_flight for run in runs),
                    f"{median.floor:.2f} s",
                    f"{median.seconds:.3f} s",
                    f"{median.ratio:.3f}x",
                    "" if variant.bare_client else f"{store_ms:.0f} ms",
                    ", ".join(f"{run.ratio:.3f}" for run in runs),
                    target,
                    verdict,
                )
            )
    header = (
        "scenario",
        "what",
        "requests",
        "peak in flight",
        "floor",
        "time",
        "ratio",
        "of which store",
        "ratios (all runs)",
        "target",
        "",
    )
    return common.table(header, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also measure the seed without tail spares, and the bare client, in every round",
    )
    parser.add_argument(
        "--against", type=Path, help="another src tree whose seeds are timed alongside"
    )
    parser.add_argument("--write", action="store_true", help="write the Seed section of RESULTS.md")
    parser.add_argument("--one-seed", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_seed:  # one seed for ``seed_elsewhere``: its figures as a JSON line
        with tempfile.TemporaryDirectory(prefix="movies-bench-seed-") as directory:
            run = asyncio.run(seed(args.one_seed, Path(directory), None))
        print(json.dumps([run.requests, run.seconds, run.store_seconds]))
        return
    against = args.against.resolve() if args.against else None
    variants = (SEED, *COMPARED) if args.compare else (SEED,)
    if against:
        variants = (*variants, Variant(f"seed, --against {against}", src=against))
    outcomes = [(scenario, run_scenario(scenario, variants, args.runs)) for scenario in SCENARIOS]
    spawned = spawn_report(run_spawn(args.runs, args.against.resolve() if args.against else None))
    figures = report(outcomes)
    print()
    print(figures)
    print()
    print(spawned)
    if args.write:
        body = (
            f"Seeding {COUNT} movies through the real `Seeder` and `OmdbClient` "
            f"(max_in_flight {IN_FLIGHT}) into a fresh SQLite file, against "
            f"`movies-api omdb-sim --latency-ms {LATENCY_MS} --max-concurrency {IN_FLIGHT}` "
            "(plus `--error-rate 0.05 --seed 5` for the second scenario). Time runs from the "
            "first OMDb request on the wire (a timing transport under the client) to the "
            "seed's commit (*of which store*: median time from the last detail in hand to the "
            "commit); "
            "requests are the simulator's count, retries and spares included; "
            f"floor = ceil(requests / {IN_FLIGHT}) x {LATENCY_MS} ms. "
            f"Median of {args.runs} runs (the run with the median ratio); with `--compare` "
            "every round also measures the seed without tail spares and the bare client "
            "(no Seeder, no database), alternating, so they share the machine's noise.\n\n"
            f"{figures}\n\n"
            "Spawn → seed committed: `movies-api serve` spawned on a migrated, empty SQLite "
            "file with the clean simulator as its OMDb, to the log line its seed writes after "
            "the commit; floor = the one-route FastAPI app's spawn → first 200 (measured in "
            f"the same round) + ceil(requests / {IN_FLIGHT}) x {LATENCY_MS} ms. Median of "
            f"{args.runs} runs.\n\n{spawned}\n\n{common.provenance()}\n"
        )
        common.write_section("Seed", body)
        print(f"\nwrote the Seed section of {common.RESULTS}")


if __name__ == "__main__":
    main()
