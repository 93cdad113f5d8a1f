"""Shared benchmark helpers: a populated database, servers on loopback, wrk, RESULTS.md.

Every server binds 127.0.0.1 and every load run is bounded by ``wrk -d``. The machine
is shared and noisy, so scripts alternate the things they compare within one run and
report medians and ratios rather than absolute figures from separate runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import os
import platform
import re
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import IO

import orjson

from movies_api.db.engine import create_engine, session_factory
from movies_api.db.schema import ensure_schema
from movies_api.db.unit_of_work import SqlUnitOfWork
from movies_api.db.urls import async_url
from movies_api.domain.movie import MovieDetails, Rating
from movies_api.omdb.normalise import normalise

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = Path(__file__).resolve().parent
RESULTS = BENCHMARKS / "RESULTS.md"
VENV_BIN = Path(sys.executable).parent
SERVICE_COMMAND = (str(VENV_BIN / "movies-api"), "serve")
HOST = "127.0.0.1"
PAGE_PATH = "/movies?page=3&limit=10"
ADDED_AT = dt.datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=dt.UTC)


# --- the machine ---------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> str:
    """One line naming the machine, as RESULTS.md records it."""
    return (
        f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu_model()}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def command_line() -> str:
    """How this script was run, relative to the repository root."""
    argv = [Path(sys.executable).relative_to(ROOT).as_posix() if _in_root() else sys.executable]
    module = sys.modules["__main__"].__spec__
    if module is not None:
        argv += ["-m", module.name]
    else:
        argv.append(sys.argv[0])
    return shlex.join([*argv, *sys.argv[1:]])


def _in_root() -> bool:
    return Path(sys.executable).is_relative_to(ROOT)


def today() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


# --- a realistic catalogue -------------------------------------------------------------


def realistic_movies(count: int) -> list[MovieDetails]:
    """``count`` ``MovieDetails`` with every field filled, from the simulator's catalogue.

    The records are OMDb-shaped (long plots, several ratings, cast lists); fields the
    record lacks are filled so each movie serialises to the full contract shape. Past
    the bundled records, copies get fresh ids and a numbered title.
    """
    text = resources.files("movies_api.omdb.simulator").joinpath("catalogue.json").read_text()
    records = [r for r in orjson.loads(text) if r.get("Type") == "movie"]
    base = [normalise(record) for record in records]
    movies: list[MovieDetails] = []
    for index in range(count):
        movie = base[index % len(base)]
        round_ = index // len(base)
        if round_:
            movie = dataclasses.replace(
                movie, id=f"tt{9_000_000 + index:07d}", title=f"{movie.title} {round_ + 1}"
            )
        filled = dataclasses.replace(
            movie,
            rated=movie.rated or "PG-13",
            released=movie.released or dt.date(movie.year or 2000, 6, 15),
            runtime_minutes=movie.runtime_minutes or 112,
            plot=movie.plot or "A long-lost letter sends two strangers across a continent.",
            awards=movie.awards or "3 wins & 7 nominations",
            poster_url=movie.poster_url or f"https://m.media-amazon.com/images/M/{movie.id}.jpg",
            ratings=movie.ratings or (Rating("Internet Movie Database", "7.1/10"),),
            metascore=movie.metascore or 64,
            imdb_rating=movie.imdb_rating or 7.1,
            imdb_votes=movie.imdb_votes or 123_456,
            dvd=movie.dvd or dt.date(movie.year or 2000, 11, 20),
            box_office_usd=movie.box_office_usd or 48_000_000,
            production=movie.production or "Northlight Pictures",
            website=movie.website or f"https://www.example.com/films/{movie.id}",
        )
        movies.append(filled)
    return movies


def make_database(directory: Path, count: int) -> str:
    """An SQLite database at head holding ``count`` movies, marked seeded; returns its URL."""
    url = f"sqlite:///{directory / 'movies.db'}"
    asyncio.run(populate(url, count))
    return url


async def populate(url: str, count: int) -> None:
    """Migrate the database at ``url`` to head and store ``count`` movies, marked seeded."""
    movies = realistic_movies(count)
    engine = create_engine(async_url(url))
    try:
        await ensure_schema(engine)
        async with SqlUnitOfWork(session_factory(engine)) as uow:
            stored = await uow.movies.add(movies, added_at=ADDED_AT)
            await uow.state.mark_seeded(at=ADDED_AT)
            await uow.commit()
        if len(stored) != count:
            msg = f"stored {len(stored)} of {count} movies"
            raise RuntimeError(msg)
    finally:
        await engine.dispose()


# --- servers ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclasses.dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes


def http_get(port: int, path: str, *, timeout: float = 5.0) -> Reply:
    """One HTTP/1.1 GET over a raw socket (Connection: close), no client library."""
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        return _exchange(sock, path)


def _exchange(sock: socket.socket, path: str) -> Reply:
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        body = _unchunk(body)
    return Reply(status, headers, body)


def _unchunk(data: bytes) -> bytes:
    out = bytearray()
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += data[:size]
        data = data[size + 2 :]
    return bytes(out)


def first_ok(port: int, path: str, *, deadline: float, pause: float = 0.0005) -> Reply:
    """Poll until ``path`` answers 200: connect, and on refusal try again at once."""
    while True:
        try:
            with socket.create_connection((HOST, port), timeout=5.0) as sock:
                reply = _exchange(sock, path)
            if reply.status == 200:
                return reply
        except (ConnectionRefusedError, ConnectionResetError):
            pass
        if time.monotonic() > deadline:
            msg = f"no 200 from {path} on port {port} in time"
            raise TimeoutError(msg)
        time.sleep(pause)


class Server:
    """A server process on 127.0.0.1, its output kept in a log file for post-mortems."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        port: int,
        env: Mapping[str, str] | None = None,
        log_dir: Path,
        cwd: Path = ROOT,
    ) -> None:
        self.name = name
        self.port = port
        self.log_path = log_dir / f"{re.sub(r'[^a-z0-9]+', '-', name.lower())}.log"
        self._log: IO[bytes] = self.log_path.open("wb")
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            list(argv),
            env={**os.environ, **(env or {})},
            cwd=cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def load(
        self, path: str, *, connections: int = 64, seconds: int = 10, check: bool = True
    ) -> WrkResult:
        """``wrk -t1`` on ``path`` of this server, with its CPU time per request."""
        return run_wrk(
            self.url(path),
            connections=connections,
            seconds=seconds,
            server_pid=self.process.pid,
            check=check,
        )

    def wait_ok(self, path: str, *, timeout: float = 30.0) -> Reply:
        """The first 200 of ``path``; fails early if the process dies."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                msg = f"{self.name} exited with {self.process.returncode}: {self.tail()}"
                raise RuntimeError(msg)
            try:
                return first_ok(port=self.port, path=path, deadline=time.monotonic() + 0.2)
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise

    def tail(self, lines: int = 20) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 15.0) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode


def service_env(database_url: str, port: int, **settings: str) -> dict[str, str]:
    """Environment for ``movies-api serve``: no OMDb or Redis, nothing but loopback."""
    env = {
        "MOVIES_DATABASE_URL": database_url,
        "PORT": str(port),
        "MOVIES_OMDB_API_KEY": "",
        "MOVIES_REDIS_URL": "",
        "MOVIES_OMDB_BASE_URL": "http://127.0.0.1:9/",
    }
    env.update({f"MOVIES_{name.upper()}": value for name, value in settings.items()})
    for name in ("K_SERVICE", "GOOGLE_CLOUD_PROJECT"):
        env[name] = ""
    return env


def start_service(
    name: str,
    database_url: str,
    *,
    log_dir: Path,
    extra_env: Mapping[str, str] | None = None,
    **settings: str,
) -> Server:
    """``movies-api serve`` on a free port; ``settings`` are MOVIES_* variables (lower case)."""
    port = free_port()
    env = {**service_env(database_url, port, **settings), **(extra_env or {})}
    return Server(name, SERVICE_COMMAND, port=port, env=env, log_dir=log_dir)


@contextlib.contextmanager
def servers() -> Iterator[list[Server]]:
    """A list to put servers in; every one is stopped on the way out."""
    running: list[Server] = []
    try:
        yield running
    finally:
        for server in running:
            server.stop()


@contextlib.contextmanager
def workspace(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=f"movies-bench-{prefix}-") as directory:
        yield Path(directory)


# --- wrk -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    non_2xx: int
    # The server's CPU time (all threads) per request: far steadier than requests/s when
    # other work competes for the cores, since it counts only what the server itself ran.
    cpu_us_per_request: float | None = None


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if match is None:
        msg = f"not a wrk duration: {value!r}"
        raise ValueError(msg)
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """Requests/s, p50 and p99 (ms), and error counts from ``wrk --latency`` output."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s*50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s*99%\s+(\S+)", output, re.MULTILINE)
    total = re.search(r"(\d+) requests in", output)
    if rps is None or p50 is None or p99 is None or total is None:
        msg = f"unexpected wrk output:\n{output}"
        raise ValueError(msg)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return WrkResult(
        requests_per_second=float(rps.group(1)),
        p50_ms=_ms(p50.group(1)),
        p99_ms=_ms(p99.group(1)),
        requests=int(total.group(1)),
        errors=errors,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
    )


def wrk_command(url: str, *, threads: int, connections: int, seconds: int) -> list[str]:
    if not url.startswith(f"http://{HOST}:"):
        msg = f"load goes to loopback only, not {url}"
        raise ValueError(msg)
    return ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url]


def run_wrk(
    url: str,
    *,
    threads: int = 1,
    connections: int = 64,
    seconds: int = 10,
    server_pid: int | None = None,
    check: bool = True,
) -> WrkResult:
    """One bounded wrk run; with ``check``, raises if any request failed or was not a 2xx/3xx
    (without, the result counts them: wrk gives up on a request after 2 s).

    With ``server_pid``, the server's CPU time over the run is divided by the requests.
    """
    argv = wrk_command(url, threads=threads, connections=connections, seconds=seconds)
    cpu_before = cpu_seconds(server_pid) if server_pid else 0.0
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30, check=True)
    result = parse_wrk(done.stdout)
    if check and (result.errors or result.non_2xx):
        msg = f"{result.errors} socket errors, {result.non_2xx} non-2xx from {url}"
        raise RuntimeError(msg)
    if server_pid and result.requests:
        cpu = cpu_seconds(server_pid) - cpu_before
        result = dataclasses.replace(result, cpu_us_per_request=cpu * 1e6 / result.requests)
    return result


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (all threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def median_result(results: Sequence[WrkResult]) -> WrkResult:
    """Median of each figure over rounds (each taken on its own)."""
    return WrkResult(
        requests_per_second=statistics.median(r.requests_per_second for r in results),
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=statistics.median(r.p99_ms for r in results),
        requests=sum(r.requests for r in results),
        errors=sum(r.errors for r in results),
        non_2xx=sum(r.non_2xx for r in results),
        cpu_us_per_request=_median_or_none([r.cpu_us_per_request for r in results]),
    )


def _median_or_none(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


# --- reporting -------------------------------------------------------------------------


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table (also readable on a terminal)."""
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


RESULTS_HEADER = """# Benchmark results

Figures from the scripts in this folder (see README.md). The machine is shared with
other work, so each script alternates what it compares within one run; read ratios
first, absolute figures second.
"""


NOTES = "<!-- notes: kept when a script rewrites the figures above -->"


def write_section(title: str, body: str) -> None:
    """Replace (or append) the ``## title`` section of RESULTS.md, leaving others intact.

    Text from the ``NOTES`` marker to the section's end is kept: figures are the
    script's, the analysis under them is a person's.
    """
    text = RESULTS.read_text() if RESULTS.exists() else RESULTS_HEADER
    section = f"## {title}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    found = pattern.search(text)
    if found:
        old = found.group(0)
        if NOTES in old:  # hand-written analysis below the marker survives a re-run
            section += "\n" + old[old.index(NOTES) :].rstrip() + "\n"
        text = pattern.sub(lambda _m: section + "\n", text, count=1).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    temporary = RESULTS.with_suffix(".md.tmp")
    temporary.write_text(text)
    temporary.replace(RESULTS)


def provenance() -> str:
    return f"Machine: {machine()}.  \nCommand: `{command_line()}`  \nDate: {today()}."
