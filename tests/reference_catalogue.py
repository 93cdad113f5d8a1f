"""A catalogue built to break title order, a reference order written apart from the
service's, and helpers that put movies (and API keys) into a real database."""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from movies_api.db.engine import create_engine, session_factory
from movies_api.db.schema import ensure_schema
from movies_api.db.unit_of_work import SqlUnitOfWork
from movies_api.db.urls import async_url
from movies_api.domain.movie import Movie, MovieDetails, Rating
from movies_api.services.keys import KeyService

ADDED_AT = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)

AMELIE = MovieDetails(
    id="tt0211915",
    title="Amélie",
    year=2001,
    type="movie",
    rated="R",
    released=date(2001, 4, 25),
    runtime_minutes=122,
    genres=("Comedy", "Romance"),
    directors=("Jean-Pierre Jeunet",),
    writers=("Guillaume Laurant", "Jean-Pierre Jeunet"),
    actors=("Audrey Tautou", "Mathieu Kassovitz", "Rufus"),
    plot="Amélie is an innocent and naive girl in Paris with her own sense of justice.",
    languages=("French", "Russian"),
    countries=("France", "Germany"),
    awards="Nominated for 5 Oscars. 59 wins & 74 nominations total",
    poster_url="https://m.media-amazon.com/images/M/amelie.jpg",
    ratings=(
        Rating("Internet Movie Database", "8.3/10"),
        Rating("Rotten Tomatoes", "89%"),
        Rating("Metacritic", "69/100"),
    ),
    metascore=69,
    imdb_rating=8.3,
    imdb_votes=786_000,
    dvd=date(2002, 7, 16),
    box_office_usd=33_225_499,
    production="Miramax",
    website="https://www.miramax.com/",
)


def _m(movie_id: str, title: str, year: int | None, type: str = "movie") -> MovieDetails:
    return MovieDetails(id=movie_id, title=title, year=year, type=type)


# Accents and case variants that must sort together, remakes with and without a year,
# titles opening with digits and punctuation, non-Latin scripts, ß against ss,
# compatibility forms (full width, mathematical letters, superscripts), a double space,
# and ids of different lengths.
TRICKY_MOVIES: tuple[MovieDetails, ...] = (
    AMELIE,
    _m("tt9000001", "Amelie", 1999),
    _m("tt9000002", "AMELIE", None),
    _m("tt9000003", "amelie", 2001),
    _m("tt0133093", "The Matrix", 1999),
    _m("tt9000004", "THE MATRIX", 2003),
    _m("tt9000005", "the matrix", None),
    _m("tt0087182", "Dune", 1984),
    _m("tt1160419", "Dune", 2021),
    _m("tt9000006", "Dune", None),
    _m("tt9000007", "Dune", 1984),
    _m("tt0054135", "Ocean's Eleven", 1960),
    _m("tt0240772", "Ocean's Eleven", 2001),
    _m("tt0056801", "8½", 1963),
    _m("tt2614684", "'71", 2014),
    _m("tt1022603", "(500) Days of Summer", 2009),
    _m("tt0078718", "...And Justice for All", 1979),
    _m("tt10620868", "#Alive", 2020),
    _m("tt7638348", "100% Wolf", 2020),
    _m("tt0119094", "Face/Off", 1997),
    _m("tt0062622", "2001: A Space Odyssey", 1968),
    _m("tt0050083", "12 Angry Men", 1957),
    _m("tt1038988", "[REC]", 2007),
    _m("tt0092086", "¡Three Amigos!", 1986),
    _m("tt0402022", "Æon Flux", 2005),
    _m("tt0110413", "Léon: The Professional", 1994),
    _m("tt9000014", "Leon", 1994),
    _m("tt0245429", "千と千尋の神隠し", 2001),
    _m("tt0047034", "ゴジラ", 1954),
    _m("tt0079944", "Сталкер", 1979),
    _m("tt0118767", "Брат", 1997),
    _m("tt0057831", "Αλέξης Ζορμπάς", 1964),
    _m("tt2258858", "وجدة", 2012),
    _m("tt6751668", "기생충", 2019),
    _m("tt9000008", "Die Straße", 1958),
    _m("tt9000009", "Die Strasse", 1958),
    _m("tt9000015", "Die STRASSE", None),
    _m("tt9000010", "Ｆｕｌｌｗｉｄｔｈ", 2000),  # noqa: RUF001 - deliberately confusable
    _m("tt9000011", "İstanbul Hatırası", 2010),  # noqa: RUF001 - deliberately confusable
    _m("tt0078748", "Alien", 1979),
    _m("tt9000012", "𝐀𝐥𝐢𝐞𝐧", None),  # noqa: RUF001 - deliberately confusable
    _m("tt0090605", "Aliens", 1986),
    _m("tt0103644", "Alien³", 1992),
    _m("tt0084787", "The  Thing", 1982),
    _m("tt0905372", "The Thing", 2011),
    _m("tt9000013", "🎬 Cinema", 2022),
    _m("tt0903747", "Breaking Bad", 2008, "series"),
    _m("tt0000012", "zzz", None),
)


def reference_key(title: str) -> str:
    """Contract §1's sort key, spelled out again: NFKD, no combining marks, casefolded."""
    decomposed = unicodedata.normalize("NFKD", title)
    kept = [ch for ch in decomposed if unicodedata.combining(ch) == 0]
    return "".join(kept).casefold()


def reference_order(movies: Iterable[MovieDetails]) -> list[str]:
    """Ids in title order: key by code point, then year with nulls last, then id."""

    def position(movie: MovieDetails) -> tuple[str, int, int, str]:
        missing_year = 1 if movie.year is None else 0
        return (reference_key(movie.title), missing_year, movie.year or 0, movie.id)

    return [movie.id for movie in sorted(movies, key=position)]


def stored(movies: Iterable[MovieDetails], added_at: datetime = ADDED_AT) -> list[Movie]:
    """The movies as the catalogue would hold them."""
    return [Movie.stored(movie, added_at=added_at) for movie in movies]


async def populate(
    url: str, movies: Sequence[MovieDetails], *, key_scopes: Sequence[str] = ()
) -> str | None:
    """Migrate the database at ``url`` and store ``movies``; with ``key_scopes`` also
    create an API key with those scopes and return it."""
    engine = create_engine(async_url(url))
    try:
        await ensure_schema(engine)
        sessions = session_factory(engine)
        async with SqlUnitOfWork(sessions) as uow:
            await uow.movies.add(movies, added_at=ADDED_AT)
            await uow.commit()
        if not key_scopes:
            return None
        _stored, key = await KeyService(uow=lambda: SqlUnitOfWork(sessions)).create(
            name="tests", scopes=key_scopes
        )
        return key
    finally:
        await engine.dispose()


def populate_sync(
    url: str, movies: Sequence[MovieDetails], *, key_scopes: Sequence[str] = ()
) -> str | None:
    """``populate`` for synchronous fixtures (no event loop running)."""
    return asyncio.run(populate(url, movies, key_scopes=key_scopes))
