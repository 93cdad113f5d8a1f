"""Uncached reads against the cached page, on SQLite and on PostgreSQL, in one run.

Per backend, two services on one populated database, both with the access log on (as
deployed): one with the response cache off (``MOVIES_CACHE_ENTRIES=0``: every request
goes to the database) and one with the default cache. ``wrk -t1 -c64 -d10s --latency``
on the uncached page, the cached page and one uncached movie, every run of every
backend alternated round by round, the median of each reported. Targets (issue 14): the
uncached page >= 0.25 x the cached page on each backend, and on PostgreSQL the uncached
page's p99 <= 3 x its p50.

PostgreSQL gets a fresh database (``--postgres-db`` on ``--postgres``), created at the
start and dropped at the end.

    .venv/bin/python -m benchmarks.reads [--rounds 3] [--seconds 10] [--backend both] [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from benchmarks import common

TARGET_RATIO = 0.25
TARGET_P99_OVER_P50 = 3.0
POSTGRES = "postgresql://postgres@127.0.0.1:5432"


@dataclass(frozen=True, slots=True)
class Case:
    backend: str
    request: str
    service: str
    server: common.Server
    path: str

    @property
    def label(self) -> str:
        return f"{self.backend} {self.request} ({self.service})"


async def _postgres_admin(server: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(f"{server}/postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextlib.contextmanager
def postgres_database(server: str, name: str, movies: int) -> Iterator[str]:
    """A fresh database ``name`` holding ``movies`` movies, dropped on the way out."""
    asyncio.run(_postgres_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(_postgres_admin(server, f'CREATE DATABASE "{name}"'))
    try:
        url = f"{server}/{name}"
        asyncio.run(common.populate(url, movies))
        yield url
    finally:
        asyncio.run(_postgres_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def start_services(
    backend: str, database_url: str, directory: Path, against: Path | None
) -> dict[str, common.Server]:
    """The uncached and the cached service of one backend (and of ``against``'s code)."""
    trees = {"": None, " (against)": against} if against else {"": None}
    services = {}
    for suffix, tree in trees.items():
        env = {"PYTHONPATH": str(tree)} if tree else None
        for service, entries in (("uncached", "0"), ("cached", None)):
            settings = {"cache_entries": entries} if entries else {}
            services[service + suffix] = common.start_service(
                f"{backend}-{service}{suffix}",
                database_url,
                log_dir=directory,
                extra_env=env,
                **settings,
            )
    return services


def cases_of(backend: str, services: dict[str, common.Server]) -> list[Case]:
    page = {name: server.wait_ok(common.PAGE_PATH) for name, server in services.items()}
    if len({reply.body for reply in page.values()}) != 1:
        msg = f"{backend}: the services' pages differ"
        raise RuntimeError(msg)
    first = orjson.loads(page["uncached"].body)["items"][0]["id"]
    page_request = f"`GET {common.PAGE_PATH}`"
    cases = [
        Case(backend, page_request, name, server, common.PAGE_PATH)
        for name, server in services.items()
    ]
    movie = f"/movies/{first}"
    return [*cases, Case(backend, f"`GET {movie}`", "uncached", services["uncached"], movie)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--movies", type=int, default=100)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres", default=POSTGRES, help="server URL, no database")
    parser.add_argument("--postgres-db", default="movies_bench_reads")
    parser.add_argument("--against", type=Path, help="another src tree to run alongside")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    against: Path | None = args.against.resolve() if args.against else None
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    load_before = os.getloadavg()[0]

    with contextlib.ExitStack() as stack:
        directory = stack.enter_context(common.workspace("reads"))
        running = stack.enter_context(common.servers())
        cases: list[Case] = []
        for backend in backends:
            if backend == "sqlite":
                url = common.make_database(directory, args.movies)
            else:
                url = stack.enter_context(
                    postgres_database(args.postgres, args.postgres_db, args.movies)
                )
            services = start_services(backend, url, directory, against)
            running.extend(services.values())
            cases += cases_of(backend, services)
        for case in cases:  # warm up: connections, statement caches, the cache entry
            case.server.load(case.path, connections=args.connections, seconds=2)
        results: list[list[common.WrkResult]] = [[] for _ in cases]
        for round_ in range(args.rounds):
            for case, runs in zip(cases, results, strict=True):
                result = case.server.load(
                    case.path, connections=args.connections, seconds=args.seconds, check=False
                )
                runs.append(result)
                print(
                    f"round {round_ + 1} {case.label}: "
                    f"{result.requests_per_second:,.0f} req/s, p50 {result.p50_ms:.2f} ms, "
                    f"p99 {result.p99_ms:.2f} ms, {result.cpu_us_per_request or 0:.0f} us CPU/req",
                    file=sys.stderr,
                )
    load_after = os.getloadavg()[0]

    medians = [common.median_result(runs) for runs in results]
    rows = [
        [
            case.backend,
            case.request,
            case.service,
            f"{median.requests_per_second:,.0f}",
            ", ".join(f"{r.requests_per_second:,.0f}" for r in runs),
            f"{median.p50_ms:.2f}",
            f"{median.p99_ms:.2f}",
            f"{median.cpu_us_per_request or 0:,.0f}",
            f"{median.errors + median.non_2xx}",
        ]
        for case, median, runs in zip(cases, medians, results, strict=True)
    ]
    figures = common.table(
        [
            "backend",
            "request",
            "service",
            "req/s (median)",
            "each round",
            "p50 ms",
            "p99 ms",
            "server CPU us/req",
            "failed (all rounds)",
        ],
        rows,
    )
    verdicts = []
    page_request = f"`GET {common.PAGE_PATH}`"
    at = {(c.backend, c.service, c.request): i for i, c in enumerate(cases)}
    suffixes = ["", " (against)"] if against else [""]
    for backend, suffix in ((b, s) for b in backends for s in suffixes):
        u_at = at[backend, "uncached" + suffix, page_request]
        c_at = at[backend, "cached" + suffix, page_request]
        uncached, cached = medians[u_at], medians[c_at]
        ratio = uncached.requests_per_second / cached.requests_per_second
        each = [
            u.requests_per_second / c.requests_per_second
            for u, c in zip(results[u_at], results[c_at], strict=True)
        ]
        line = (
            f"- {backend}{suffix}: uncached page {ratio:.2f} x the cached page "
            f"({'met' if ratio >= TARGET_RATIO else 'missed'}, target >= {TARGET_RATIO}; "
            f"each round {', '.join(f'{r:.2f}' for r in each)})"
        )
        if backend == "postgresql":
            spread = uncached.p99_ms / uncached.p50_ms
            line += (
                f"; uncached page p99 {uncached.p99_ms:.2f} ms = {spread:.2f} x its p50 "
                f"{uncached.p50_ms:.2f} ms "
                f"({'met' if spread <= TARGET_P99_OVER_P50 else 'missed'}, target <= "
                f"{TARGET_P99_OVER_P50:g})"
            )
        verdicts.append(line)
    text = (
        f"{figures}\n\n"
        + "\n".join(verdicts)
        + f"\n\n`wrk -t1 -c{args.connections} -d{args.seconds}s --latency`, {args.rounds} "
        f"rounds alternating every run of the table, after a 2 s warm-up of each; "
        f"{args.movies} movies; per backend one service with `MOVIES_CACHE_ENTRIES=0` "
        "(uncached) and one with the default cache, both with the access log on, one "
        "uvicorn worker each"
        + (f" (and the same two run from `{against}`: against)" if against else "")
        + "; wrk and the servers share the machine's cores. Server CPU "
        "us/req: the server's user + system time (all threads) over a run, divided by its "
        "requests; failed: requests wrk gave up on (2 s) or that were not 2xx/3xx. "
        f"Load average (1 min): {load_before:.1f} at the start, "
        f"{load_after:.1f} at the end.\n"
    )
    print(text)
    if args.write:
        common.write_section("Uncached reads", f"{common.provenance()}\n\n{text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
