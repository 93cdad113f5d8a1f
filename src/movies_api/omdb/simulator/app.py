"""A local OMDb: its wire protocol over a bundled catalogue, with knobs for failure.

``GET /`` answers as OMDb does, with OMDb's error texts and status codes. Where
OMDb's behaviour is undocumented the simulator picks, and says so here:

- ``i=`` with a malformed id answers ``"Incorrect IMDb ID."``; a well-formed id
  it does not know answers ``"Error getting data."`` (both HTTP 200, as OMDb).
- ``t=`` matches whole titles case-insensitively; ``y`` and ``type`` narrow; of
  several matches the most recent wins.
- ``s=`` finds titles holding every word of the query, in catalogue order, 10 a page.
- ``plot`` other than ``full`` gives the first sentence (OMDb's default is short).
- A ``y`` or ``page`` that is not a number is ignored; ``r`` is accepted but
  every answer is JSON.

Every bundled ``Poster`` it answers (other than ``"N/A"``) points at ``/__sim/posters/{id}.svg`` on
the simulator itself, which draws one (the title and year on a colour from the id), so an
offline demo shows pictures.

``/__sim/stats``, ``/__sim/reset``, ``/__sim/config`` and ``/__sim/records/{id}`` are
not OMDb's: they let a test count requests (poster requests apart, as ``posters``; when the
first came, as ``first_request_at``, Unix time, for a benchmark's start-to-seed figure), change
the knobs of ``SimulatorConfig`` at run time, and change a record between two fetches
(``POST /__sim/records/tt0133093`` with ``{"imdbRating": "9.9"}`` sets those fields, as a
real record changes when its ratings or box office move). ``/__sim/reset`` zeroes the
counters and quotas and undoes record changes.
With the ``synthesize_ids`` knob on, ``i=`` answers any well-formed id the catalogue lacks
with a copy of a bundled record (its title suffixed with the id), for bulk imports that
need more movies than the catalogue holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import html
import json
import math
import random
import re
import socket
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from importlib import resources
from typing import Any, Final

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive

from movies_api.omdb.normalise import imdb_id

_Record = dict[str, Any]

PAGE_SIZE: Final = 10
# "Never answers": held until the client gives up, or an hour at most.
_HANG_SECONDS: Final = 3600.0
_REJECTED_KEY: Final = "invalid"
_KINDS: Final = ("i", "t", "s")
_WORD = re.compile(r"\w+")
_FIRST_YEAR = re.compile(r"\d{4}", re.ASCII)
_BUNDLED_POSTERS: Final = "https://m.media-amazon.com/"
_POSTER_LINE: Final = 16
_POSTER_LINES: Final = 6
_FIRST_SENTENCE = re.compile(r".+?[.!?](?=\s|$)", re.DOTALL)


@dataclass
class SimulatorConfig:
    """The simulator's knobs; ``/__sim/config`` changes them while it runs."""

    latency_ms: float = 0
    max_concurrency: int | None = None
    error_rate: float = 0
    hang_rate: float = 0
    quota: int | None = None
    api_keys: frozenset[str] | None = None
    down: bool = False
    random_seed: int = 0
    # Answer ``i=`` for any well-formed id the catalogue lacks with a record made from a
    # bundled one: bulk imports and benchmarks need more distinct movies than it holds.
    synthesize_ids: bool = False

    def __post_init__(self) -> None:
        # Checked here because /__sim/config builds configs from untyped JSON.
        _require(_is_number(self.latency_ms) and self.latency_ms >= 0, "latency_ms must be ≥ 0")
        _require(
            self.max_concurrency is None
            or (_is_int(self.max_concurrency) and self.max_concurrency >= 1),
            "max_concurrency must be null or an int ≥ 1",
        )
        for name in ("error_rate", "hang_rate"):
            rate = getattr(self, name)
            _require(_is_number(rate) and 0 <= rate <= 1, f"{name} must be between 0 and 1")
        _require(
            self.quota is None or (_is_int(self.quota) and self.quota >= 0),
            "quota must be null or an int ≥ 0",
        )
        _require(
            self.api_keys is None
            or (
                isinstance(self.api_keys, frozenset)
                and all(isinstance(key, str) and key for key in self.api_keys)
            ),
            "api_keys must be null or a set of non-empty strings",
        )
        _require(isinstance(self.down, bool), "down must be a boolean")
        _require(_is_int(self.random_seed), "random_seed must be an int")
        _require(isinstance(self.synthesize_ids, bool), "synthesize_ids must be a boolean")

    def accepts(self, key: str) -> bool:
        """Whether ``key`` is a valid API key here."""
        return key != _REJECTED_KEY if self.api_keys is None else key in self.api_keys

    def as_json(self) -> dict[str, object]:
        api_keys = None if self.api_keys is None else sorted(self.api_keys)
        return {**asdict(self), "api_keys": api_keys}


def create_app(config: SimulatorConfig) -> Starlette:
    """The simulator as an ASGI app; each app has its own counters, knobs and records."""
    simulator = _Simulator(config, _bundled_records())
    return Starlette(
        routes=[
            Route("/", simulator.omdb, methods=["GET"]),
            Route("/__sim/stats", simulator.stats, methods=["GET"]),
            Route("/__sim/reset", simulator.reset, methods=["POST"]),
            Route("/__sim/config", simulator.configure, methods=["GET", "POST"]),
            Route("/__sim/records/{movie_id}", simulator.change_record, methods=["POST"]),
            Route("/__sim/posters/{movie_id}.svg", simulator.poster, methods=["GET"]),
        ]
    )


def run(config: SimulatorConfig, listener: socket.socket) -> None:
    """Serve the simulator on ``listener`` (bound by the caller) until interrupted.

    No access log: OMDb URLs carry the API key. Shutdown waits at most a second,
    so hung requests never hold the process.
    """
    server_config = uvicorn.Config(
        create_app(config), log_level="warning", access_log=False, timeout_graceful_shutdown=1
    )
    uvicorn.Server(server_config).run(sockets=[listener])


class _Catalogue:
    """The bundled records, indexed for OMDb's three kinds of look-up."""

    def __init__(self, records: list[_Record]) -> None:
        self._records = records
        self._by_id = {record["imdbID"]: record for record in records}
        self._by_title: dict[str, list[_Record]] = {}
        for record in records:
            self._by_title.setdefault(record["Title"].casefold(), []).append(record)
        self._words = [frozenset(_words(record["Title"])) for record in records]

    def by_id(self, movie_id: str) -> _Record | None:
        return self._by_id.get(movie_id)

    def by_title(self, title: str, kind: str | None, year: int | None) -> _Record | None:
        matches = [
            record
            for record in self._by_title.get(title.strip().casefold(), [])
            if _fits(record, kind, year)
        ]
        return max(matches, key=lambda record: _first_year(record) or 0, default=None)

    def search(self, query: str, kind: str | None, year: int | None) -> list[_Record]:
        wanted = frozenset(_words(query))
        if not wanted:
            return []
        return [
            record
            for record, words in zip(self._records, self._words, strict=True)
            if wanted <= words and _fits(record, kind, year)
        ]


class _Gate:
    """Admits requests while fewer than a limit are processed; the limit may change meanwhile."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.peak = 0
        self._changed = asyncio.Condition()

    @contextlib.asynccontextmanager
    async def slot(self, limit: Callable[[], int | None]) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(lambda: self._admits(limit()))
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            yield
        finally:
            async with self._changed:
                self.in_flight -= 1
                self._changed.notify_all()

    async def limit_changed(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def _admits(self, limit: int | None) -> bool:
        return limit is None or self.in_flight < limit


class _Simulator:
    def __init__(self, config: SimulatorConfig, records: list[_Record]) -> None:
        self._config = config
        self._records = records  # as bundled: shared by every app, never changed
        self._changed: dict[str, _Record] = {}
        self._catalogue = _Catalogue(records)
        self._random = random.Random(config.random_seed)  # noqa: S311 - failure injection, not security
        self._gate = _Gate()
        self._requests = 0
        self._first_request_at: float | None = None
        self._by_kind = dict.fromkeys(_KINDS, 0)
        self._used: dict[str, int] = {}
        self._posters = 0

    async def omdb(self, request: Request) -> Response:
        params = request.query_params
        kind = next((name for name in _KINDS if params.get(name, "").strip()), None)
        self._requests += 1
        if self._first_request_at is None:
            self._first_request_at = time.time()
        if kind is not None:
            self._by_kind[kind] += 1
        async with self._gate.slot(lambda: self._config.max_concurrency):
            if self._config.latency_ms:
                await asyncio.sleep(self._config.latency_ms / 1000)
            return await self._answer(request, kind, str(request.base_url))

    async def poster(self, request: Request) -> Response:
        """A drawn poster for a record that has one; 404 for an id without a poster."""
        movie_id = request.path_params["movie_id"]
        self._posters += 1
        record = self._catalogue.by_id(movie_id)
        if record is None and self._config.synthesize_ids and imdb_id(movie_id) == movie_id:
            record = _synthesized(self._records, movie_id)
        if record is None or not str(record.get("Poster", "")).startswith(_BUNDLED_POSTERS):
            return PlainTextResponse("no poster", status_code=404)
        return Response(poster_svg(record), media_type="image/svg+xml")

    async def stats(self, request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "requests": self._requests,
                "first_request_at": self._first_request_at,
                "by_kind": self._by_kind,
                "in_flight": self._gate.in_flight,
                "peak_in_flight": self._gate.peak,
                "posters": self._posters,
            }
        )

    async def reset(self, request: Request) -> JSONResponse:
        """Zero the counters, the peak and every key's quota use; undo record changes."""
        self._requests = 0
        self._first_request_at = None
        self._by_kind = dict.fromkeys(_KINDS, 0)
        self._posters = 0
        self._used.clear()
        self._gate.peak = self._gate.in_flight
        if self._changed:
            self._changed.clear()
            self._catalogue = _Catalogue(self._records)
        return await self.stats(request)

    async def change_record(self, request: Request) -> JSONResponse:
        """Set OMDb fields of one record (the JSON body); later fetches and searches see them.

        404 for an id not in the catalogue; 400 for a body that is not an object of string
        (or, for ``Ratings``, list) values, or that would change the ``imdbID``.
        """
        movie_id = request.path_params["movie_id"]
        current = self._changed.get(movie_id) or self._catalogue.by_id(movie_id)
        if current is None:
            return JSONResponse({"error": f"no record {movie_id}"}, status_code=404)
        try:
            changes = await request.json()
        except ValueError:
            return JSONResponse({"error": "the body must be JSON"}, status_code=400)
        problem = _bad_changes(changes)
        if problem is not None:
            return JSONResponse({"error": problem}, status_code=400)
        self._changed[movie_id] = {**current, **changes}
        self._catalogue = _Catalogue(
            [self._changed.get(record["imdbID"], record) for record in self._records]
        )
        return JSONResponse(self._changed[movie_id])

    async def configure(self, request: Request) -> JSONResponse:
        """Change the knobs named in the JSON body (GET shows them); 400 on anything invalid."""
        if request.method == "POST":
            try:
                changes = await request.json()
                self._config = _changed(self._config, changes)
            except (ValueError, TypeError) as exc:  # bad JSON, bad knob, unhashable api_keys
                return JSONResponse({"error": str(exc)}, status_code=400)
            if "random_seed" in changes:
                self._random.seed(self._config.random_seed)
            await self._gate.limit_changed()
        return JSONResponse(self._config.as_json())

    async def _answer(self, request: Request, kind: str | None, base_url: str) -> Response:
        config = self._config
        if config.down:
            return PlainTextResponse("Service Unavailable", status_code=503)
        roll = self._random.random()
        if roll < config.hang_rate:
            return await _hang(request.receive)
        if roll < config.hang_rate + config.error_rate:
            return self._failure()
        key = request.query_params.get("apikey", "")
        if not key:
            return _refusal("No API key provided.", status_code=401)
        if not config.accepts(key):
            return _refusal("Invalid API key!", status_code=401)
        self._used[key] = self._used.get(key, 0) + 1
        if config.quota is not None and self._used[key] > config.quota:
            return _refusal("Request limit reached!", status_code=401)
        return self._lookup(request.query_params, kind, base_url)

    def _failure(self) -> Response:
        if self._random.random() < 0.5:
            return PlainTextResponse("Internal Server Error", status_code=500)
        return Response('{"Title":"The Ma', media_type="application/json")

    def _lookup(self, params: Mapping[str, str], kind: str | None, base_url: str) -> Response:
        type_ = params.get("type", "").strip().lower() or None
        year = _int_param(params.get("y"))
        if kind == "i":
            movie_id = imdb_id(params["i"])
            if movie_id is None:
                return _refusal("Incorrect IMDb ID.")
            record = self._catalogue.by_id(movie_id)
            if record is None and self._config.synthesize_ids:
                record = _synthesized(self._records, movie_id)
            if record is None:
                return _refusal("Error getting data.")
            return _record(_drawn_poster(record, base_url), params.get("plot"))
        if kind == "t":
            record = self._catalogue.by_title(params["t"], type_, year)
            if record is None:
                return _refusal("Movie not found!")
            return _record(_drawn_poster(record, base_url), params.get("plot"))
        if kind == "s":
            return _search_page(
                [
                    _drawn_poster(hit, base_url)
                    for hit in self._catalogue.search(params["s"], type_, year)
                ],
                max(_int_param(params.get("page")) or 1, 1),
            )
        return _refusal("Incorrect IMDb ID.")


def _search_page(hits: list[_Record], page: int) -> Response:
    shown = hits[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    if not shown:
        return _refusal("Movie not found!")
    summary = ("Title", "Year", "imdbID", "Type", "Poster")
    return JSONResponse(
        {
            "Search": [{name: record[name] for name in summary} for record in shown],
            "totalResults": str(len(hits)),
            "Response": "True",
        }
    )


def _drawn_poster(record: _Record, base_url: str) -> _Record:
    """``record`` with its poster drawn by this simulator at ``base_url``: the bundled
    records name made-up Amazon addresses; a poster a test set (``/__sim/records``) stays."""
    if not str(record.get("Poster", "")).startswith(_BUNDLED_POSTERS):
        return record
    return {**record, "Poster": f"{base_url}__sim/posters/{record['imdbID']}.svg"}


def poster_svg(record: Mapping[str, Any]) -> bytes:
    """A 300 by 445 SVG poster: the title (wrapped) and year on a colour from the id."""
    digest = hashlib.sha256(str(record["imdbID"]).encode()).digest()
    hue = int.from_bytes(digest[:2], "big") % 360
    lines: list[str] = []
    for word in str(record["Title"]).split():
        if lines and len(lines[-1]) + 1 + len(word) <= _POSTER_LINE:
            lines[-1] += " " + word
        else:
            lines.append(word)
    lines = lines[:_POSTER_LINES]
    top = 200 - 17 * len(lines)
    text = "".join(
        f'<text x="150" y="{top + 36 * index}" font-size="28">{html.escape(line)}</text>'
        for index, line in enumerate(lines)
    )
    year = html.escape(str(record.get("Year", "")))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="445" '
        'viewBox="0 0 300 445" font-family="sans-serif" text-anchor="middle" fill="#fff">'
        f'<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">'
        f'<stop offset="0" stop-color="hsl({hue},65%,45%)"/>'
        f'<stop offset="1" stop-color="hsl({(hue + 60) % 360},55%,18%)"/></linearGradient></defs>'
        '<rect width="300" height="445" fill="url(#g)"/>'
        f'<circle cx="240" cy="80" r="120" fill="hsl({(hue + 180) % 360},70%,70%)" opacity=".18"/>'
        f"{text}"
        f'<text x="150" y="400" font-size="22" fill="hsl({hue},70%,88%)">{year}</text>'
        '<text x="150" y="428" font-size="11" opacity=".7">OMDb simulator</text>'
        "</svg>"
    ).encode()


def _synthesized(records: list[_Record], movie_id: str) -> _Record:
    """A record for ``movie_id`` made from a bundled one, the same for the same id."""
    model = records[int(movie_id[2:]) % len(records)]
    return {**model, "imdbID": movie_id, "Title": f"{model['Title']} ({movie_id})"}


def _record(record: _Record, plot: str | None) -> JSONResponse:
    if plot == "full":
        return JSONResponse(record)
    first = _FIRST_SENTENCE.match(record["Plot"])
    return JSONResponse({**record, "Plot": first.group(0) if first else record["Plot"]})


def _refusal(error: str, *, status_code: int = 200) -> JSONResponse:
    return JSONResponse({"Response": "False", "Error": error}, status_code=status_code)


async def _hang(receive: Receive) -> Response:
    """Wait, answering nothing, until the client disconnects (or an hour passes)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(_HANG_SECONDS):
            while (await receive())["type"] != "http.disconnect":
                pass
    return PlainTextResponse("Gateway Timeout", status_code=504)  # to nobody, most likely


def _bad_changes(changes: object) -> str | None:
    """Why a record change is refused, or None."""
    if not isinstance(changes, dict):
        return "the body must be a JSON object of OMDb fields"
    if "imdbID" in changes or "Response" in changes:
        return "imdbID and Response cannot change"
    for name, value in changes.items():
        if not (isinstance(value, str) or (name == "Ratings" and isinstance(value, list))):
            return f"{name} must be a string"
    return None


def _changed(config: SimulatorConfig, changes: object) -> SimulatorConfig:
    if not isinstance(changes, dict):
        raise ValueError("the body must be a JSON object of knobs")
    unknown = set(changes) - {knob.name for knob in fields(SimulatorConfig)}
    if unknown:
        raise ValueError(f"unknown knobs: {', '.join(sorted(unknown))}")
    api_keys = changes.get("api_keys")
    if isinstance(api_keys, list):
        changes = {**changes, "api_keys": frozenset(api_keys)}
    return replace(config, **changes)


@functools.cache
def _bundled_records() -> list[_Record]:
    source = resources.files("movies_api.omdb.simulator").joinpath("catalogue.json")
    text = source.read_text(encoding="utf-8")
    records: list[_Record] = json.loads(text)
    return records


def _fits(record: _Record, kind: str | None, year: int | None) -> bool:
    return (kind is None or record["Type"] == kind) and (
        year is None or _first_year(record) == year
    )


def _first_year(record: _Record) -> int | None:
    match = _FIRST_YEAR.match(record["Year"])
    return int(match.group(0)) if match else None


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _int_param(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isascii() and text.isdecimal() and len(text) < 10 else None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return _is_int(value) or (isinstance(value, float) and math.isfinite(value))


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)
