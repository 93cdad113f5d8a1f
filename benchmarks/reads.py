"""Uncached reads: every request goes to the database (``MOVIES_CACHE_ENTRIES=0``).

Two services on one populated SQLite file, one with the access log on (as deployed)
and one with it off; ``wrk -t1 -c64 -d10s --latency`` on a page and on one movie,
the four runs alternated round by round and the median of each reported.

    .venv/bin/python -m benchmarks.reads [--rounds 3] [--seconds 10] [--write]
"""

from __future__ import annotations

import argparse
import sys

import orjson

from benchmarks import common

TARGET_PAGE_RPS = 1150


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--movies", type=int, default=100)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()

    with common.workspace("reads") as directory, common.servers() as running:
        database_url = common.make_database(directory, args.movies)
        services = {
            "access log on": common.start_service(
                "reads-log-on", database_url, log_dir=directory, cache_entries="0"
            ),
            "access log off": common.start_service(
                "reads-log-off",
                database_url,
                log_dir=directory,
                cache_entries="0",
                access_log="false",
            ),
        }
        running.extend(services.values())
        page = {name: s.wait_ok(common.PAGE_PATH) for name, s in services.items()}
        first = orjson.loads(next(iter(page.values())).body)["items"][0]["id"]
        movie_path = f"/movies/{first}"
        cases = [
            (f"`GET {path}`", name, server, path)
            for path in (common.PAGE_PATH, movie_path)
            for name, server in services.items()
        ]
        for _case, _name, server, path in cases:  # warm up: connections, statement caches
            server.load(path, connections=args.connections, seconds=2)
        results: list[list[common.WrkResult]] = [[] for _ in cases]
        for round_ in range(args.rounds):
            for index, (case, name, server, path) in enumerate(cases):
                result = server.load(path, connections=args.connections, seconds=args.seconds)
                results[index].append(result)
                print(
                    f"round {round_ + 1} {case} ({name}): "
                    f"{result.requests_per_second:,.0f} req/s, p99 {result.p99_ms:.2f} ms, "
                    f"{result.cpu_us_per_request or 0:.0f} us CPU/req",
                    file=sys.stderr,
                )

    rows = []
    for (case, name, _server, _path), runs in zip(cases, results, strict=True):
        median = common.median_result(runs)
        rows.append(
            [
                case,
                name,
                f"{median.requests_per_second:,.0f}",
                ", ".join(f"{r.requests_per_second:,.0f}" for r in runs),
                f"{median.p50_ms:.2f}",
                f"{median.p99_ms:.2f}",
                f"{median.cpu_us_per_request or 0:,.0f}",
            ]
        )
    figures = common.table(
        [
            "request",
            "service",
            "req/s (median)",
            "each round",
            "p50 ms",
            "p99 ms",
            "server CPU us/req",
        ],
        rows,
    )
    page_rps = common.median_result(results[0]).requests_per_second
    verdict = "met" if page_rps >= TARGET_PAGE_RPS else "missed"
    text = (
        f"{figures}\n\n"
        f"Target >= {TARGET_PAGE_RPS:,} req/s for the page with the access log on: **{verdict}** "
        f"({page_rps / TARGET_PAGE_RPS:.2f}x the target; the replaced implementation did ~115). "
        f"`wrk -t1 -c{args.connections} -d{args.seconds}s --latency`, {args.rounds} rounds "
        f"alternating the four runs, after a 2 s warm-up of each; `MOVIES_CACHE_ENTRIES=0`, "
        f"{args.movies} movies in SQLite (WAL), one uvicorn worker; wrk and the server share "
        "the machine's cores. Server CPU us/req: the server's user + system time (all "
        "threads, the SQLite driver's included) over a run, divided by its requests.\n"
    )
    print(text)
    if args.write:
        common.write_section("Uncached reads", f"{common.provenance()}\n\n{text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
