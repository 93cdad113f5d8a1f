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

import asyncio
import csv
import io
import random
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import Any, Final

from sqlalchemy import Index, insert, select, text, update
from sqlalchemy.engine import Connection

from movies_api.db import search_index, title_anchors
from movies_api.db.engine import create_engine, session_factory
from movies_api.db.models import MOVIE_GENRES, MOVIE_PEOPLE, MOVIES, CatalogueStateRow
from movies_api.db.movie_rows import SearchWords, genre_rows, people_rows, stored_values
from movies_api.db.schema import ensure_schema
from movies_api.db.urls import async_url
from movies_api.domain.movie import Movie, MovieDetails, Rating

SEED: Final = 20261202
COMMON_WORDS: Final = (
    "love night dark man city last girl day life world time house king dead black "
    "death blood war lost home star story little red secret big woman blue heart "
    "king road long dream fire sun shadow moon summer winter river island party "
    "game house killer light wild return hunt rising broken golden silent ghost "
    "american new old great young first final perfect strange mad lady boy family "
    "brother sister father mother son daughter friend angel devil hell heaven "
    "school street town country mountain sea ocean space earth time zero one two"
).split()
SYLLABLES: Final = (
    "ka lo mi ra ten vor sel an du bri ko ste mar lin gal fe ro thu wen ish "
    "ol par zed qui nor bel ac ty um sha dre fo ver cal mon ti gra pe ul"
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
    "Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell "
    "Carter Roberts Nolan Kubrick Scorsese Villeneuve Müller Dubois Lefèvre Kurosawa "
    "Miyazaki Tarkovsky Almodóvar Bergman Fellini Ozu Wong Bong Park Kim Ivanov Novák"
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
        self._cumulative = list(accumulate(1 / (rank + 1) ** exponent for rank in range(len(items))))
        self._rng = rng

    def draw(self, k: int = 1) -> list[str]:
        return self._rng.choices(self.items, cum_weights=self._cumulative, k=k)


@dataclass
class Vocabulary:
    """The words, names and genres a catalogue is drawn from, and what it draws with."""

    rng: random.Random
    words: _Zipf
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
        extra = [
            f"{rng.choice(FIRST_NAMES)} {word.capitalize()}" for word in invented[:150_000]
        ]
        return cls(
            rng=rng,
            words=_Zipf(words, rng, exponent=1.05),
            people=_Zipf([*names, *extra], rng, exponent=0.9),
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
    title = " ".join(word if word in ("of", "and", "in", "the", "The") else word.capitalize() for word in words)
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
        genres = tuple(dict.fromkeys(rng.choices(vocabulary.genres, vocabulary.genre_weights, k=rng.randint(1, 3))))
        people = vocabulary.people.draw(rng.randint(5, 8))
        directors, writers, actors = tuple(people[:1]), tuple(people[1:3]), tuple(people[3:])
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
            awards=None if rng.random() < 0.7 else f"{rng.randint(1, 20)} wins & {rng.randint(1, 40)} nominations",
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

_STATE = CatalogueStateRow.__table__


def _secondary_indexes() -> list[Index]:
    return sorted(MOVIES.indexes, key=lambda index: str(index.name))


async def load(url: str, count: int, *, seed: int = SEED, batch: int = 20_000) -> None:
    """Fill the database at ``url`` (migrated to head, empty) with ``count`` movies."""
    engine = create_engine(async_url(url))
    try:
        await ensure_schema(engine)
        sessions = session_factory(engine)
        movies = sorted(generate(count, seed=seed), key=_title_order)
        if engine.url.get_backend_name() == "sqlite":
            await asyncio.to_thread(_load_sqlite, sessions, movies, batch)
        else:
            async with engine.connect() as connection:
                raw = await connection.get_raw_connection()
                await _load_postgres(raw.driver_connection, movies, batch)  # type: ignore[arg-type]
                await connection.commit()
            async with engine.begin() as connection:
                await connection.run_sync(_finish, len(movies))
            async with engine.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(text("VACUUM ANALYZE"))
        sessions.close()
    finally:
        await engine.dispose()


def _title_order(movie: Movie) -> tuple[str, int, str]:
    values = stored_values(movie)
    return (values["title_key"], values["year_key"], movie.id)


def _rows(movies: Sequence[Movie], postgres: bool) -> Iterator[tuple[dict[str, Any], list[dict[str, str]], list[dict[str, str]], dict[str, Any]]]:
    for rank, movie in enumerate(movies, 1):
        values = stored_values(movie)
        found = SearchWords.of(movie)
        if postgres:
            values["search_vector"] = search_index.vector_literal(found)
        search = search_index.search_row(movie.id, found, rank * search_index.SEQ_SPACING)
        yield values, list(genre_rows(movie)), list(people_rows(movie)), search


def _load_sqlite(sessions: Any, movies: Sequence[Movie], batch: int) -> None:
    engine = sessions._sync_engine  # the thread-side engine: this runs in a worker thread
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA synchronous=OFF")
        for index in _secondary_indexes():
            connection.execute(text(f"DROP INDEX IF EXISTS {index.name}"))
        for trigger in ("movie_search_ai", "movie_search_ad"):
            connection.execute(text(f"DROP TRIGGER {trigger}"))
        chunk: list[Any] = []
        for row in _rows(movies, postgres=False):
            chunk.append(row)
            if len(chunk) == batch:
                _insert(connection, chunk)
                chunk = []
        if chunk:
            _insert(connection, chunk)
        for index in _secondary_indexes():
            index.create(connection)
        for statement in search_index.SQLITE_SCHEMA[2:]:
            connection.execute(text(statement))
        connection.execute(text("INSERT INTO movie_fts (movie_fts) VALUES ('rebuild')"))
        _finish(connection, len(movies))
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()


def _insert(connection: Connection, chunk: Sequence[Any]) -> None:
    connection.execute(insert(MOVIES), [values for values, _, _, _ in chunk])
    connection.execute(insert(MOVIE_GENRES), [g for _, genres, _, _ in chunk for g in genres])
    connection.execute(insert(MOVIE_PEOPLE), [p for _, _, people, _ in chunk for p in people])
    connection.execute(insert(search_index.MOVIE_SEARCH), [s for _, _, _, s in chunk])


def _finish(connection: Connection, count: int) -> None:
    title_anchors.rebuild(connection)
    connection.execute(
        update(_STATE).values(movie_count=count, seeded=True, seeded_at=START, version=_STATE.c.version + 1)
    )


_COPY_COLUMNS: Final = [column.name for column in MOVIES.columns]


async def _load_postgres(connection: Any, movies: Sequence[Movie], batch: int) -> None:
    """COPY in CSV (text) form: asyncpg has no binary codec for ``tsvector``."""
    await connection.execute("SET maintenance_work_mem = '512MB'")
    for index in _secondary_indexes():
        await connection.execute(f"DROP INDEX IF EXISTS {index.name}")
    await connection.execute("DROP INDEX IF EXISTS ix_movies_search_vector")
    genres: list[tuple[str, str]] = []
    people: list[tuple[str, str, str]] = []

    async def movie_csv() -> AsyncIterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for n, (values, movie_genres, movie_people, _search) in enumerate(_rows(movies, postgres=True), 1):
            writer.writerow([_csv(values[name]) for name in _COPY_COLUMNS])
            genres.extend((g["genre_key"], g["movie_id"]) for g in movie_genres)
            people.extend((p["role"], p["name_key"], p["movie_id"]) for p in movie_people)
            if n % batch == 0:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode()

    await connection.copy_to_table("movies", source=movie_csv(), columns=_COPY_COLUMNS, format="csv")
    await connection.copy_records_to_table("movie_genres", records=genres, columns=["genre_key", "movie_id"])
    await connection.copy_records_to_table("movie_people", records=people, columns=["role", "name_key", "movie_id"])
    for index in _secondary_indexes():
        columns = ", ".join(_index_column(expression) for expression in index.expressions)
        await connection.execute(f"CREATE INDEX {index.name} ON movies ({columns})")
    await connection.execute("CREATE INDEX ix_movies_search_vector ON movies USING gin (search_vector)")


def _index_column(expression: Any) -> str:
    compiled = str(expression.compile(compile_kwargs={"literal_binds": True}))
    return compiled.removeprefix("movies.")


def _csv(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, bytes):
        return "\\x" + value.hex()
    if isinstance(value, list):
        import orjson

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
