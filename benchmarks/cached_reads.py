"""Cached reads against two references serving the same bytes from the same server stack.

The service (deployed defaults: response cache on, access log on; and again with
``MOVIES_ACCESS_LOG=false``) answers ``GET /movies?page=3&limit=10`` from a warm cache.
The references, run by uvicorn with uvloop + httptools, one worker, no access log,
return the bytes fetched from the service first:

- ``refs/bare_asgi.py``: a bare ASGI function, the ceiling of this server stack;
- ``refs/fastapi_floor.py``: one FastAPI route returning a ``Response``, the floor of
  any FastAPI service.

``wrk -t1 -c64 -d10s --latency`` on each in turn, round after round (A B C D A B C D
...), medians reported. Targets: service >= 0.7 x floor requests/s, and service p99
<= 2.5 x floor p99.

    .venv/bin/python -m benchmarks.cached_reads [--rounds 3] [--seconds 10] [--write]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks import common

REFS = common.BENCHMARKS / "refs"
TARGET_RPS_RATIO = 0.7
TARGET_P99_RATIO = 2.5


def start_ref(name: str, script: str, body: Path, log_dir: Path) -> common.Server:
    port = common.free_port()
    argv = [sys.executable, str(REFS / script), str(body), str(port)]
    return common.Server(name, argv, port=port, log_dir=log_dir)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--movies", type=int, default=100)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    path = common.PAGE_PATH

    with common.workspace("cached") as directory, common.servers() as running:
        database_url = common.make_database(directory, args.movies)
        service = common.start_service("service", database_url, log_dir=directory)
        quiet = common.start_service(
            "service-no-log", database_url, log_dir=directory, access_log="false"
        )
        running += [service, quiet]
        body = service.wait_ok(path).body
        quiet.wait_ok(path)
        body_file = directory / "body.json"
        body_file.write_bytes(body)
        bare = start_ref("bare", "bare_asgi.py", body_file, directory)
        floor = start_ref("floor", "fastapi_floor.py", body_file, directory)
        running += [bare, floor]
        contenders = {
            "service (access log on, as deployed)": service,
            "bare ASGI (ceiling)": bare,
            "FastAPI floor": floor,
            "service, MOVIES_ACCESS_LOG=false": quiet,
        }
        for name, server in contenders.items():
            if server.wait_ok(path).body != body:
                msg = f"{name} does not serve the same bytes"
                raise RuntimeError(msg)
            server.load(path, connections=args.connections, seconds=2)  # warm up
        results: dict[str, list[common.WrkResult]] = {name: [] for name in contenders}
        for round_ in range(args.rounds):
            for name, server in contenders.items():
                result = server.load(path, connections=args.connections, seconds=args.seconds)
                results[name].append(result)
                print(
                    f"round {round_ + 1} {name}: {result.requests_per_second:,.0f} req/s, "
                    f"p99 {result.p99_ms:.2f} ms, {result.cpu_us_per_request or 0:.0f} us CPU/req",
                    file=sys.stderr,
                )

    medians = {name: common.median_result(runs) for name, runs in results.items()}
    floor_median = medians["FastAPI floor"]
    rows = []
    for name, median in medians.items():
        rows.append(
            [
                name,
                f"{median.requests_per_second:,.0f}",
                ", ".join(f"{r.requests_per_second:,.0f}" for r in results[name]),
                f"{median.p50_ms:.2f}",
                f"{median.p99_ms:.2f}",
                f"{median.cpu_us_per_request or 0:.0f}",
                f"{median.requests_per_second / floor_median.requests_per_second:.2f}",
                f"{median.p99_ms / floor_median.p99_ms:.2f}",
            ]
        )
    figures = common.table(
        [
            "server",
            "req/s (median)",
            "each round",
            "p50 ms",
            "p99 ms",
            "server CPU us/req",
            "req/s / floor",
            "p99 / floor p99",
        ],
        rows,
    )
    verdicts = []
    for name in ("service (access log on, as deployed)", "service, MOVIES_ACCESS_LOG=false"):
        median = medians[name]
        rps_ratio = median.requests_per_second / floor_median.requests_per_second
        p99_ratio = median.p99_ms / floor_median.p99_ms
        verdicts.append(
            f"- {name}: {rps_ratio:.2f} x floor req/s "
            f"({'met' if rps_ratio >= TARGET_RPS_RATIO else 'missed'}, target >= "
            f"{TARGET_RPS_RATIO}), p99 {p99_ratio:.2f} x floor p99 "
            f"({'met' if p99_ratio <= TARGET_P99_RATIO else 'missed'}, target <= "
            f"{TARGET_P99_RATIO})"
        )
    text = (
        f"{figures}\n\n"
        + "\n".join(verdicts)
        + f"\n\n`GET {path}` ({len(body):,} bytes, the same body from all four), "
        f"`wrk -t1 -c{args.connections} -d{args.seconds}s --latency`, {args.rounds} rounds "
        "in the order of the table after a 2 s warm-up of each; medians of each column "
        "taken on their own. Server CPU us/req is the server process's user + system time "
        "(all threads) over a run divided by its requests: steadier than req/s while other "
        "work competes for the two cores.\n"
    )
    print(text)
    if args.write:
        common.write_section("Cached reads vs framework floor", f"{common.provenance()}\n\n{text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
