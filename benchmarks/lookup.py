"""Lookup: ``GET /omdb/search`` answered from the lookup cache, its ``stored`` query included.

The service (deployed defaults, access log on) searches the OMDb simulator once for
``q=star`` (10 hits, some of them in the catalogue of 100 movies); every request after
that is served from the lookup cache, with the ``stored`` flags read fresh from SQLite
in one query per answer. The rate limit is raised so that it counts every request (as
deployed) without refusing any. For comparison, the same process serves a cached page
of the catalogue (``GET /movies?page=3&limit=10``, its fastest read). With ``--redis URL``
a second service keeps the lookup cache in Redis (as several instances would).

``wrk -t1 -c1 -d10s --latency`` on each in turn, round after round: one connection, so
p50 is the time of one request from wrk's side (the server's time plus loopback), and
the server's CPU time per request (all threads) is the work it did for one answer.
Target: ≤ 2 ms of server time per cached lookup. The simulator's request count is
checked: no search during the measured runs, so every measured answer came from the cache.

    .venv/bin/python -m benchmarks.lookup [--rounds 3] [--seconds 10] [--redis URL] [--write]
"""

from __future__ import annotations

import argparse
import sys

import httpx
import orjson

from benchmarks import common
from benchmarks.seed import simulator

LOOKUP_PATH = "/omdb/search?q=star"
TARGET_MS = 2.0


def searches(omdb_url: str) -> int:
    """How many searches the simulator has answered."""
    return int(httpx.get(omdb_url + "__sim/stats", timeout=5).json()["by_kind"]["s"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--movies", type=int, default=100)
    parser.add_argument("--redis", help="also measure a service keeping the lookup cache here")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()

    with (
        simulator(()) as omdb_url,
        common.workspace("lookup") as directory,
        common.servers() as running,
    ):
        database_url = common.make_database(directory, args.movies)
        env = {
            "MOVIES_OMDB_API_KEY": "benchmark",
            "MOVIES_OMDB_BASE_URL": omdb_url,
            "MOVIES_LOOKUP_RATE_LIMIT": "1000000/second",
        }
        services = {
            "in-process lookup cache": common.start_service(
                "service", database_url, log_dir=directory, extra_env=env
            )
        }
        if args.redis:
            services["lookup cache in Redis"] = common.start_service(
                "service-redis",
                database_url,
                log_dir=directory,
                extra_env=env,
                redis_url=args.redis,
            )
        running += services.values()
        contenders: dict[str, tuple[common.Server, str]] = {}
        for name, service in services.items():
            answer = orjson.loads(service.wait_ok(LOOKUP_PATH).body)
            stored = sum(item["stored"] for item in answer["items"])
            contenders[f"lookup, {name} ({len(answer['items'])} hits, {stored} stored)"] = (
                service,
                LOOKUP_PATH,
            )
        first = next(iter(services.values()))
        first.wait_ok(common.PAGE_PATH)
        contenders["cached catalogue page (reference)"] = (first, common.PAGE_PATH)
        for server, path in contenders.values():
            server.load(path, connections=1, seconds=2)  # warm up
        searched = searches(omdb_url)
        results: dict[str, list[common.WrkResult]] = {name: [] for name in contenders}
        for round_ in range(args.rounds):
            for name, (server, path) in contenders.items():
                result = server.load(path, connections=1, seconds=args.seconds)
                results[name].append(result)
                print(
                    f"round {round_ + 1} {name}: p50 {result.p50_ms:.3f} ms, "
                    f"{result.cpu_us_per_request or 0:.0f} us CPU/req",
                    file=sys.stderr,
                )
        if searches(omdb_url) != searched or searched > len(services):
            msg = f"the simulator saw {searches(omdb_url)} searches: some lookups were not cached"
            raise RuntimeError(msg)

    rows = []
    verdicts = []
    for name, runs in results.items():
        median = common.median_result(runs)
        cpu_ms = (median.cpu_us_per_request or 0) / 1000
        rows.append(
            [
                name,
                f"{median.p50_ms:.3f}",
                f"{median.p99_ms:.3f}",
                f"{cpu_ms:.3f}",
                ", ".join(f"{(r.cpu_us_per_request or 0) / 1000:.3f}" for r in runs),
                f"{median.requests_per_second:,.0f}",
            ]
        )
        if name.startswith("lookup"):
            met = median.p50_ms <= TARGET_MS and cpu_ms <= TARGET_MS
            verdicts.append(
                f"- {name}: p50 {median.p50_ms:.2f} ms, server CPU {cpu_ms:.2f} ms per answer: "
                f"{'met' if met else 'MISSED'} (target ≤ {TARGET_MS} ms)"
            )
    figures = common.table(
        [
            "request",
            "p50 ms",
            "p99 ms",
            "server CPU ms/req (median)",
            "each round",
            "req/s (one connection)",
        ],
        rows,
    )
    text = (
        f"{figures}\n\n"
        + "\n".join(verdicts)
        + f"\n\n`wrk -t1 -c1 -d{args.seconds}s --latency`, {args.rounds} rounds in the "
        "order of the table after a 2 s warm-up of each; medians of each column taken on "
        f"their own; {args.movies} movies in SQLite; no OMDb search during the measured runs "
        "(checked), so every answer came from the lookup cache.\n"
    )
    print(text)
    if args.write:
        common.write_section("Lookup from the cache", f"{common.provenance()}\n\n{text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
