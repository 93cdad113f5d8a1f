"""A realistic generated catalogue of any size, and a fast loader for it.

Titles come in case and accent variants, remakes share titles across years, some years
and ratings are missing, a few titles are in other scripts; words, genres and people
follow skewed (Zipf-like) frequencies, so a common word matches tens of thousands of
movies and a rare pair a handful — the spread a real catalogue has. Everything derived
(keys, documents, search words, stretches) comes from the project's own functions.

The loader writes straight through the data layer's tables, in one transaction per table
with the secondary indexes dropped and built after, which is minutes for a million
movies where adding them one by one would be hours.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import random
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any, Final

import orjson
from sqlalchemy import Index, insert, select, text, update
from sqlalchemy.engine import Connection

from benchmarks import common
from movies_api.db import search_index, title_anchors
from movies_api.db.engine import Limits, create_engine, session_factory
from movies_api.db.models import CATALOGUE_STATE, MOVIE_GENRES, MOVIE_PEOPLE, MOVIES
from movies_api.db.movie_rows import (
    YEAR_MISSING,
    SearchWords,
    genre_rows,
    people_rows,
    stored_values,
)
from movies_api.db.schema import ensure_schema
from movies_api.db.unit_of_work import SqlUnitOfWork
from movies_api.db.urls import async_url
from movies_api.domain.movie import Movie, MovieDetails, Rating
from movies_api.domain.titles import sort_key

SEED: Final = 20261202
GENERATION: Final = 2  # bumped whenever ``generate`` changes what it makes
COMMON_WORDS: Final = (
    "love night dark man city last girl day life world time house king dead black death "
    "blood war lost home star story little red secret big woman blue heart king road long "
    "dream fire sun shadow moon summer winter river island party game house killer light "
    "wild return hunt rising broken golden silent ghost american new old great young "
    "first final perfect strange mad lady boy family brother sister father mother son "
    "daughter friend angel devil hell heaven school street town country mountain sea "
    "ocean space earth time zero one two"
).split()
SYLLABLES: Final = (
    "ka lo mi ra ten vor sel an du bri ko ste mar lin gal fe ro thu wen ish ol par zed "
    "qui nor bel ac ty um sha dre fo ver cal mon ti gra pe ul"
).split()
FIRST_NAMES: Final = (
    "James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David "
    "Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Nancy "
    "Daniel Lisa Matthew Betty Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly "
    "Paul Emily Andrew Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Dorothy "
    "George Melissa Timothy Deborah Amélie François Zoë Jürgen Søren José Chloé Björn "
    "Renée Åsa Hélène Ines Takeshi Akira Hiroshi Yuki Wei Min Olga Ivan Dmitri Natalia"
).split()
LAST_NAMES: Final = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
    "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright "
    "Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell "
    "Mitchell Carter Roberts Nolan Kubrick Scorsese Villeneuve Müller Dubois Lefèvre "
    "Kurosawa Miyazaki Tarkovsky Almodóvar Bergman Fellini Ozu Wong Bong Park Kim Ivanov "
    "Novák"
).split()
GENRES: Final = (
    ("Drama", 45), ("Comedy", 28), ("Thriller", 14), ("Action", 13), ("Romance", 12),
    ("Crime", 11), ("Horror", 9), ("Adventure", 8), ("Documentary", 7), ("Mystery", 6),
    ("Family", 5), ("Fantasy", 5), ("Sci-Fi", 5), ("Biography", 4), ("History", 3),
    ("Animation", 3), ("Music", 3), ("War", 2), ("Western", 1), ("Sport", 2),
    ("Musical", 1), ("Film-Noir", 1), ("Short", 2),
)  # fmt: skip
FOREIGN_TITLES: Final = (
    "Сталкер", "Брат", "Αλέξης Ζορμπάς", "千と千尋の神隠し", "ゴジラ", "기생충", "وجدة",
    "Le Fabuleux Destin d'Amélie Poulain", "Der Himmel über Berlin", "¡Three Amigos!",
    "8½", "Ça", "Æon Flux", "Crème brûlée", "Smörgåsbord", "Niño",
)  # fmt: skip
TYPES: Final = (("movie", 90), ("series", 7), ("episode", 3))
START: Final = datetime(2021, 1, 1, tzinfo=UTC)


class _Zipf:
    """Draws from ``items`` with weight 1/rank (the first the most often)."""

    def __init__(self, items: Sequence[str], rng: random.Random, exponent: float = 1.0) -> None:
        self.items = list(items)
        self._cumulative = list(
            accumulate(1 / (rank + 1) ** exponent for rank in range(len(items)))
        )
        self._rng = rng

    def draw(self, k: int = 1) -> list[str]:
        return self._rng.choices(self.items, cum_weights=self._cumulative, k=k)


@dataclass
class Vocabulary:
    """The words, names and genres a catalogue is drawn from, and what it draws with.

    The most common word is in about 4 % of titles and the most prolific director has a
    couple of thousand films in a million: the skew of a real catalogue, not a uniform one.
    """

    rng: random.Random
    words: _Zipf
    directors: _Zipf
    people: _Zipf
    genres: list[str]
    genre_weights: list[int]

    @classmethod
    def make(cls, rng: random.Random) -> Vocabulary:
        invented = sorted(
            {
                "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
                for _ in range(30_000)
            }
        )
        rng.shuffle(invented)
        words = list(dict.fromkeys([*COMMON_WORDS, *invented]))
        names = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]
        rng.shuffle(names)
        extra = [f"{rng.choice(FIRST_NAMES)} {word.capitalize()}" for word in invented[:150_000]]
        people = [*names, *extra]
        return cls(
            rng=rng,
            words=_Zipf(words, rng, exponent=0.8),
            directors=_Zipf(people[:50_000], rng, exponent=0.5),
            people=_Zipf(people, rng, exponent=0.8),
            genres=[name for name, _ in GENRES],
            genre_weights=[weight for _, weight in GENRES],
        )


def _title(vocabulary: Vocabulary, rng: random.Random) -> str:
    w = vocabulary.words.draw
    shape = rng.random()
    if shape < 0.2:
        words = w(1)
    elif shape < 0.45:
        words = ["The", *w(1)]
    elif shape < 0.65:
        words = w(2)
    elif shape < 0.8:
        a, b = w(2)
        words = ["The", a, "of", b]
    elif shape < 0.9:
        a, b = w(2)
        words = [a, "and", b]
    else:
        words = [*w(1), "in", "the", *w(1)]
    title = " ".join(
        word if word in ("of", "and", "in", "the", "The") else word.capitalize() for word in words
    )
    if rng.random() < 0.05:
        title += rng.choice((" 2", " II", " 3", ": Part Two", " Returns"))
    if rng.random() < 0.02:
        title = title.upper()
    elif rng.random() < 0.02:
        title = title.lower()
    return title


def generate(count: int, *, seed: int = SEED) -> Iterator[Movie]:
    """``count`` movies, the same ones for the same ``count`` and ``seed``."""
    rng = random.Random(seed)
    vocabulary = Vocabulary.make(rng)
    titles: list[str] = []
    types = [name for name, _ in TYPES]
    type_weights = [weight for _, weight in TYPES]
    ids = rng.sample(range(1_000_000, 99_999_999), count)
    for index in range(count):
        roll = rng.random()
        if titles and roll < 0.05:
            title = rng.choice(titles)  # a remake: the same title, another year
        elif roll < 0.06:
            title = rng.choice(FOREIGN_TITLES)
        else:
            title = _title(vocabulary, rng)
        if len(titles) < 50_000:
            titles.append(title)
        year = None if rng.random() < 0.03 else min(2025, int(2026 - rng.expovariate(1 / 25)))
        year = max(1890, year) if year is not None else None
        rating = None if rng.random() < 0.1 else round(min(10.0, max(1.0, rng.gauss(6.4, 1.2))), 1)
        genres = tuple(
            dict.fromkeys(
                rng.choices(vocabulary.genres, vocabulary.genre_weights, k=rng.randint(1, 3))
            )
        )
        people = vocabulary.people.draw(rng.randint(4, 7))
        directors = tuple(vocabulary.directors.draw(1))
        writers, actors = tuple(people[:2]), tuple(people[2:])
        plot = " ".join(vocabulary.words.draw(rng.randint(15, 35))).capitalize() + "."
        added_at = START + timedelta(seconds=index * 97 + rng.randint(0, 96))
        details = MovieDetails(
            id=f"tt{ids[index]:08d}",
            title=title,
            year=year,
            type=rng.choices(types, type_weights)[0],
            rated=rng.choice(("G", "PG", "PG-13", "R", None)),
            released=date(year, rng.randint(1, 12), rng.randint(1, 28)) if year else None,
            runtime_minutes=rng.randint(70, 190),
            genres=genres,
            directors=directors,
            writers=writers,
            actors=actors,
            plot=plot,
            languages=("English",) if rng.random() < 0.7 else ("French", "English"),
            countries=("United States",) if rng.random() < 0.6 else ("France",),
            awards=None
            if rng.random() < 0.7
            else f"{rng.randint(1, 20)} wins & {rng.randint(1, 40)} nominations",
            poster_url=f"https://m.media-amazon.com/images/M/{ids[index]}.jpg",
            ratings=(Rating("Internet Movie Database", f"{rating}/10"),) if rating else (),
            metascore=rng.randint(20, 99) if rating else None,
            imdb_rating=rating,
            imdb_votes=int(rng.paretovariate(1.2) * 100) if rating else None,
            dvd=None,
            box_office_usd=rng.randint(10_000, 900_000_000) if rng.random() < 0.4 else None,
            production=None,
            website=None,
        )
        yield Movie.stored(details, added_at=added_at)


def most_common(values: Sequence[str], n: int = 1) -> list[str]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return sorted(counts, key=counts.__getitem__, reverse=True)[:n]


# --- loading ---------------------------------------------------------------------------

_STATE = CATALOGUE_STATE


def _secondary_indexes() -> list[Index]:
    return sorted(MOVIES.indexes, key=lambda index: str(index.name))


async def load(url: str, count: int, *, seed: int = SEED, batch: int = 20_000) -> None:
    """Fill the database at ``url`` (migrated to head, empty) with ``count`` movies."""
    unlimited = Limits(statement_seconds=86_400)  # index builds take what they take
    engine = create_engine(async_url(url), limits=unlimited)
    try:
        await ensure_schema(engine)
        sessions = session_factory(engine, unlimited)
        postgres = engine.url.get_backend_name() != "sqlite"
        words: Counter[str] = Counter()
        movies = _prepared(generate(count, seed=seed), postgres=postgres, words=words)
        if not postgres:
            await asyncio.to_thread(_load_sqlite, sessions, movies, batch, words)
        else:
            async with engine.connect() as connection:
                raw = await connection.get_raw_connection()
                loaded = await _load_postgres(raw.driver_connection, movies, batch)
                await connection.commit()
            async with engine.begin() as connection:
                await connection.run_sync(_finish, loaded, words)
            async with engine.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(text("VACUUM ANALYZE"))
        sessions.close()
    finally:
        await engine.dispose()


Prepared = tuple[dict[str, Any], list[dict[str, str]], list[dict[str, Any]], dict[str, Any]]


def _prepared(
    movies: Iterator[Movie], *, postgres: bool, words: Counter[str]
) -> Iterator[Prepared]:
    """Every row of every movie, in title order (SQLite's search rows numbered in it).

    Sorted first by the same key the rows will hold, then derived one movie at a time,
    so a million movies never sit in memory as rows (tens of gigabytes) all at once.
    """
    ordered = sorted(movies, key=lambda m: (sort_key(m.title), m.year or YEAR_MISSING, m.id))
    for rank, movie in enumerate(ordered, 1):
        values = stored_values(movie)
        found = SearchWords.of(movie)
        words.update(found.every)
        if postgres:
            values["search_vector"] = search_index.vector_literal(found)
        search = search_index.search_row(movie.id, found, rank * search_index.SEQ_SPACING)
        yield values, list(genre_rows(movie)), list(people_rows(movie)), search


def _batches(rows: Iterator[Prepared], size: int) -> Iterator[list[Prepared]]:
    batch: list[Prepared] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _load_sqlite(sessions: Any, movies: Iterator[Prepared], batch: int, words: Counter[str]) -> int:
    engine = sessions._sync_engine  # the thread-side engine: this runs in a worker thread
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA synchronous=OFF")
        for index in _secondary_indexes():
            connection.execute(text(f"DROP INDEX IF EXISTS {index.name}"))
        for trigger in ("movie_search_ai", "movie_search_ad"):
            connection.execute(text(f"DROP TRIGGER {trigger}"))
        count = 0
        for chunk in _batches(movies, batch):
            _insert(connection, chunk)
            count += len(chunk)
        for index in _secondary_indexes():
            index.create(connection)
        for statement in search_index.SQLITE_SCHEMA[2:]:
            connection.execute(text(statement))
        connection.execute(text("INSERT INTO movie_fts (movie_fts) VALUES ('rebuild')"))
        _finish(connection, count, words)
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
    return count


def _insert(connection: Connection, chunk: Sequence[Any]) -> None:
    connection.execute(insert(MOVIES), [values for values, _, _, _ in chunk])
    connection.execute(insert(MOVIE_GENRES), [g for _, genres, _, _ in chunk for g in genres])
    connection.execute(insert(MOVIE_PEOPLE), [p for _, _, people, _ in chunk for p in people])
    connection.execute(insert(search_index.MOVIE_SEARCH), [s for _, _, _, s in chunk])


def _finish(connection: Connection, count: int, words: Counter[str]) -> None:
    title_anchors.rebuild(connection)
    search_index.count_words(connection, words, Counter())
    connection.execute(
        update(_STATE).values(
            movie_count=count, seeded=True, seeded_at=START, version=_STATE.c.version + 1
        )
    )


_COPY_COLUMNS: Final = [column.name for column in MOVIES.columns]


async def _load_postgres(connection: Any, movies: Iterator[Prepared], batch: int) -> int:
    """COPY in CSV (text) form: asyncpg has no binary codec for ``tsvector``."""
    await connection.execute("SET maintenance_work_mem = '512MB'")
    for index in _secondary_indexes():
        await connection.execute(f"DROP INDEX IF EXISTS {index.name}")
    await connection.execute("DROP INDEX IF EXISTS ix_movies_search_vector")
    genres: list[tuple[str, str]] = []
    people: list[tuple[str, str, str, int, str]] = []
    count = 0

    async def movie_csv() -> AsyncIterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        nonlocal count
        for n, (values, movie_genres, movie_people, _search) in enumerate(movies, 1):
            count = n
            writer.writerow([_csv(values[name]) for name in _COPY_COLUMNS])
            genres.extend((g["genre_key"], g["movie_id"]) for g in movie_genres)
            people.extend(
                (p["role"], p["name_key"], p["title_key"], p["year_key"], p["movie_id"])
                for p in movie_people
            )
            if n % batch == 0:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode()

    await connection.copy_to_table(
        "movies", source=movie_csv(), columns=_COPY_COLUMNS, format="csv"
    )
    await connection.copy_records_to_table(
        "movie_genres", records=genres, columns=["genre_key", "movie_id"]
    )
    await connection.copy_records_to_table(
        "movie_people",
        records=people,
        columns=["role", "name_key", "title_key", "year_key", "movie_id"],
    )
    for index in _secondary_indexes():
        columns = ", ".join(_index_column(expression) for expression in index.expressions)
        await connection.execute(f"CREATE INDEX {index.name} ON movies ({columns})")
    await connection.execute(
        "CREATE INDEX ix_movies_search_vector ON movies USING gin (search_vector)"
    )
    return count


def _index_column(expression: Any) -> str:
    compiled = str(expression.compile(compile_kwargs={"literal_binds": True}))
    return compiled.removeprefix("movies.")


def _csv(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, bytes):
        return "\\x" + value.hex()
    if isinstance(value, list):
        return orjson.dumps(value).decode()
    if isinstance(value, datetime):
        return value.isoformat()
    return value


async def stored_count(url: str) -> int | None:
    """How many movies a loaded database holds, or None if it is not at head or not loaded."""
    engine = create_engine(async_url(url))
    try:
        async with engine.connect() as connection:
            return (await connection.execute(select(_STATE.c.movie_count))).scalar_one_or_none()
    except Exception:
        return None
    finally:
        await engine.dispose()


# --- measuring (python -m benchmarks.scale) ------------------------------------------

DATA: Final = Path(__file__).resolve().parent / ".data"


def database_url(backend: str, count: int) -> str:
    """Where the loaded catalogue of ``count`` movies lives, reused between runs."""
    if backend == "sqlite":
        DATA.mkdir(exist_ok=True)
        return f"sqlite:///{DATA / f'scale-{count}-g{GENERATION}.db'}"
    return f"postgresql://postgres@127.0.0.1:5432/movies_scale_{count}_g{GENERATION}"


async def _postgres_admin(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def loaded(backend: str, count: int) -> str:
    """The URL of a database holding the ``count``-movie catalogue, loading it if needed."""
    url = database_url(backend, count)
    if asyncio.run(stored_count(url)) == count:
        return url
    print(f"loading {count:,} movies into {backend} ...", file=sys.stderr)
    if backend == "sqlite":
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    else:
        name = url.rsplit("/", 1)[1]
        asyncio.run(_postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        asyncio.run(_postgres_admin(f'CREATE DATABASE "{name}"'))
    started = time.perf_counter()
    asyncio.run(load(url, count))
    print(f"loaded in {time.perf_counter() - started:,.0f} s", file=sys.stderr)
    return url


def _milliseconds(port: int, *paths: str, rounds: int = 7, warm: int = 2) -> list[float]:
    """Median time of a GET of each of ``paths`` (200 expected), after ``warm`` unmeasured
    rounds; the paths take turns in every round, so they share the machine's load."""
    samples: list[list[float]] = [[] for _ in paths]
    for attempt in range(warm + rounds):
        for path, taken in zip(paths, samples, strict=True):
            started = time.perf_counter()
            reply = common.http_get(port, path, timeout=60)
            elapsed = time.perf_counter() - started
            if reply.status != 200:
                msg = f"{path}: HTTP {reply.status} {reply.body[:200]!r}"
                raise RuntimeError(msg)
            if attempt >= warm:
                taken.append(elapsed * 1000)
    return [statistics.median(taken) for taken in samples]


def _json(port: int, path: str) -> dict[str, Any]:
    reply = common.http_get(port, path, timeout=120)
    if reply.status != 200:
        msg = f"{path}: HTTP {reply.status} {reply.body[:200]!r}"
        raise RuntimeError(msg)
    document: dict[str, Any] = orjson.loads(reply.body)
    return document


def _deep_cursor(port: int, path: str, *, depth: int) -> str | None:
    """The cursor ``depth`` movies into the listing at ``path`` (``limit=100`` steps)."""
    page = _json(port, f"{path}&limit=100")
    walked = len(page["items"])
    while page["next_cursor"] and walked < depth:
        page = _json(port, f"{path}&limit=100&cursor={page['next_cursor']}")
        walked += len(page["items"])
    cursor: str | None = page["next_cursor"]
    return cursor


@dataclass(frozen=True)
class Walk:
    """A walk of every cursor, with reference steps timed alongside it."""

    seconds: float  # the walk's own requests, reference samples left out
    steps: int
    reference_ms: float  # mean cursor step from a random depth, sampled along the walk

    @property
    def ratio(self) -> float:
        return self.seconds / (self.steps * self.reference_ms / 1000)


def _walk(port: int, path: str, limit: int, *, pages: int, every: int = 50) -> Walk:
    """Walk every cursor of a listing; every ``every`` steps, time one cursor step of the
    same size from a random depth (its cursor fetched untimed with ``limit=1``).

    The reference reads rows the walk has not warmed either, and shares the machine's load
    of the moment: walk / (steps x reference) says whether a step costs the same at every
    depth, i.e. whether the walk is O(n)."""
    rng = random.Random(SEED)
    walked = 0.0
    samples: list[float] = []
    page: dict[str, Any] = {"next_cursor": None}
    steps = 0
    while steps == 0 or page["next_cursor"]:
        if steps % every == 0:
            depth = rng.randint(1, pages * limit)
            cursor = _json(port, f"{path}&limit=1&page={depth}")["next_cursor"]
            started = time.perf_counter()
            _json(port, f"{path}&limit={limit}&cursor={cursor}")
            samples.append((time.perf_counter() - started) * 1000)
        after = f"&cursor={page['next_cursor']}" if steps else ""
        started = time.perf_counter()
        page = _json(port, f"{path}&limit={limit}{after}")
        walked += time.perf_counter() - started
        steps += 1
    # The mean, not the median: the walk's total holds its slow steps too, so the one
    # step it is compared with must count them the same way.
    return Walk(walked, steps, statistics.fmean(samples))


class Writer(threading.Thread):
    """Changes the catalogue every ``interval`` seconds, as another instance would: deletes
    one of ``ids`` and, at the next tick, stores it again (the database ends as it began)."""

    def __init__(self, url: str, ids: Sequence[str], interval: float) -> None:
        super().__init__(daemon=True)
        self._url, self._ids, self._interval = url, list(ids), interval
        self._halt = threading.Event()
        self.writes = 0

    def run(self) -> None:
        asyncio.run(self._loop())

    def stop(self) -> None:
        self._halt.set()
        self.join()

    async def _loop(self) -> None:
        engine = create_engine(async_url(self._url))
        sessions = session_factory(engine)
        try:
            kept: list[Movie] = []
            async with SqlUnitOfWork(sessions) as uow:
                for movie_id in self._ids:
                    movie = await uow.movies.get(movie_id)
                    assert movie is not None
                    kept.append(movie)
            tick = 0
            while not self._halt.is_set() or tick % 2:
                movie = kept[(tick // 2) % len(kept)]
                async with SqlUnitOfWork(sessions) as uow:
                    if tick % 2 == 0:
                        await uow.movies.delete(movie.id)
                    else:
                        assert movie.added_at is not None
                        details = MovieDetails(
                            **{f.name: getattr(movie, f.name) for f in fields(MovieDetails)}
                        )
                        await uow.movies.add([details], added_at=movie.added_at)
                    await uow.commit()
                self.writes += 1
                tick += 1
                await asyncio.sleep(self._interval)
        finally:
            sessions.close()
            await engine.dispose()


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass(frozen=True)
class Searches:
    """The listings the search targets name, picked from the generator's own vocabulary."""

    common: str
    selective: str
    director: str

    @classmethod
    def of_generator(cls) -> Searches:
        vocabulary = Vocabulary.make(random.Random(SEED))
        words = vocabulary.words.items
        return cls(
            common="love",
            selective=f"{words[300]} {words[1200]}",
            director=vocabulary.directors.items[0],
        )

    def paths(self) -> list[tuple[str, str]]:
        director = self.director.replace(" ", "+")
        return [
            ("`q=` one common word", f"/movies?q={self.common}"),
            ("`q=` two words, selective", f"/movies?q={self.selective.replace(' ', '+')}"),
            ("`genre=Drama&sort=-rating`", "/movies?genre=Drama&sort=-rating"),
            ("`director=…&year_min=2000`", f"/movies?director={director}&year_min=2000"),
        ]


def measure(
    backend: str, count: int, *, walk_limit: int
) -> tuple[list[list[str]], list[list[str]]]:
    """The issue's scale and search rows for one backend, all measured in this one run."""
    url = loaded(backend, count)
    scale_rows: list[list[str]] = []
    search_rows: list[list[str]] = []
    with common.workspace("scale") as directory, common.servers() as running:
        uncached = common.start_service("scale-uncached", url, log_dir=directory, cache_entries="0")
        cached = common.start_service("scale-cached", url, log_dir=directory)
        running.extend([uncached, cached])
        for server in running:
            server.wait_ok("/healthz", timeout=120)
        port = uncached.port
        last = -(-count // 10)
        middle = _json(port, f"/movies?page={last // 2}&limit=10")["next_cursor"]
        first_ms, last_ms, step_ms = _milliseconds(
            port,
            "/movies?page=1&limit=10",
            f"/movies?page={last}&limit=10",
            f"/movies?limit=10&cursor={middle}",
        )
        walk = _walk(port, "/movies?", walk_limit, pages=-(-count // walk_limit))
        scale_rows += [
            [backend, "uncached page 1, `limit=10`", f"{first_ms:.2f} ms", ""],
            [
                backend,
                f"uncached last page (`page={last}`)",
                f"{last_ms:.2f} ms",
                f"{last_ms / first_ms:.2f}x page 1",
            ],
            [
                backend,
                "uncached cursor step halfway through",
                f"{step_ms:.2f} ms",
                f"{step_ms / first_ms:.2f}x page 1",
            ],
            [
                backend,
                f"walking every cursor, `limit={walk_limit}` ({walk.steps:,} steps)",
                f"{walk.seconds:.1f} s",
                f"{walk.ratio:.2f}x steps x one step "
                f"({walk.reference_ms:.2f} ms: a step from a random depth, timed along the walk)",
            ],
        ]
        for name, path in Searches.of_generator().paths():
            total = _json(port, f"{path}&limit=10")
            deep = _deep_cursor(port, path, depth=5_000)
            if deep:
                first, deep_ms = _milliseconds(
                    port, f"{path}&limit=10", f"{path}&limit=10&cursor={deep}"
                )
            else:
                (first,), deep_ms = _milliseconds(port, f"{path}&limit=10"), float("nan")
            search_rows.append(
                [
                    backend,
                    name,
                    f"{total['total']:,}{'' if total['total_exact'] else '+'}",
                    f"{first:.2f} ms",
                    f"{deep_ms:.2f} ms" if deep else "(fewer than 5,000)",
                    f"{deep_ms / first:.2f}x" if deep else "",
                ]
            )
        page = "/movies?page=1&limit=10"
        cached.load(page, seconds=3)
        ids = [item["id"] for item in _json(port, "/movies?page=2&limit=10")["items"]]
        quiet_runs, busy_runs, writes = [], [], 0
        for _ in range(3):  # alternated, so both see the machine's load of the moment
            quiet_runs.append(cached.load(page, seconds=10))
            writer = Writer(url, ids, interval=0.1)
            writer.start()
            try:
                busy_runs.append(cached.load(page, seconds=10))
            finally:
                writer.stop()
            writes += writer.writes
        quiet = common.median_result(quiet_runs)
        busy = common.median_result(busy_runs)
        scale_rows += [
            [
                backend,
                "cached page 1, quiet",
                f"{quiet.requests_per_second:,.0f} req/s, p99 {quiet.p99_ms:.1f} ms",
                "",
            ],
            [
                backend,
                f"cached page 1, one write every 100 ms ({writes} writes)",
                f"{busy.requests_per_second:,.0f} req/s, p99 {busy.p99_ms:.1f} ms",
                f"{busy.requests_per_second / quiet.requests_per_second:.2f}x req/s, "
                f"p99 {busy.p99_ms / quiet.p99_ms:.1f}x quiet's",
            ],
            [
                backend,
                "server RSS after the whole benchmark",
                f"uncached {_rss_mb(uncached.process.pid):.0f} MB, "
                f"cached {_rss_mb(cached.process.pid):.0f} MB",
                "",
            ],
        ]
    return scale_rows, search_rows


def redis_memory(backend: str, count: int, *, minutes: float, redis_url: str) -> list[list[str]]:
    """Redis memory while one instance serves pages and the catalogue changes once a second."""
    import redis

    url = loaded(backend, count)
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    samples: list[tuple[float, int]] = []
    with common.workspace("scale-redis") as directory, common.servers() as running:
        server = common.start_service(
            "scale-redis", url, log_dir=directory, extra_env={"MOVIES_REDIS_URL": redis_url}
        )
        running.append(server)
        server.wait_ok("/healthz", timeout=120)
        ids = [item["id"] for item in _json(server.port, "/movies?page=3&limit=10")["items"]]
        writer = Writer(url, ids, interval=1.0)
        writer.start()
        started = time.monotonic()
        try:
            while (elapsed := time.monotonic() - started) < minutes * 60:
                for number in range(1, 21):  # twenty pages in play, as a browsing crowd would
                    common.http_get(server.port, f"/movies?page={number}&limit=20")
                if not samples or elapsed - samples[-1][0] >= 10:
                    samples.append((elapsed, int(client.info("memory")["used_memory"])))
                time.sleep(0.2)
        finally:
            writer.stop()
    client.close()
    after_first = [used for at, used in samples if at >= 60]
    low, high = min(after_first), max(after_first)
    growth = (high - after_first[0]) / after_first[0] * 100
    return [
        [
            backend,
            f"Redis used_memory, {minutes:g} min at one write a second ({writer.writes} writes)",
            f"after 1 min: {after_first[0] / 2**20:.2f} MB; "
            f"then {low / 2**20:.2f}-{high / 2**20:.2f} MB",
            f"highest {growth:+.1f} % over the first-minute value "
            f"(spread {(high - low) / after_first[0] * 100:.1f} %)",
        ]
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description="A catalogue of a million movies, measured.")
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--walk-limit", type=int, default=100)
    parser.add_argument("--redis-minutes", type=float, default=5.0, help="0 skips the Redis run")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/10")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    backends = ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]
    scale_rows: list[list[str]] = []
    search_rows: list[list[str]] = []
    load = os.getloadavg()[0]
    for backend in backends:
        found = measure(backend, args.count, walk_limit=args.walk_limit)
        scale_rows += found[0]
        search_rows += found[1]
    if args.redis_minutes and "postgresql" in backends:
        scale_rows += redis_memory(
            "postgresql", args.count, minutes=args.redis_minutes, redis_url=args.redis_url
        )
    scale_table = common.table(["backend", "measure", "result", "ratio"], scale_rows)
    search_table = common.table(
        [
            "backend",
            "request (uncached, median of 7)",
            "matches",
            "first page",
            "cursor step 5,000 deep",
            "deep ÷ first",
        ],
        search_rows,
    )
    print(scale_table)
    print(search_table)
    if args.write:
        note = f"{common.provenance()}  \nLoad average when it started: {load:.1f}."
        common.write_section(f"A catalogue of {args.count:,} movies", f"{scale_table}\n\n{note}")
        common.write_section(
            f"Search, filters and sort at {args.count:,} movies", f"{search_table}\n\n{note}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
