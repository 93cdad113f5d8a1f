"""normalise(): OMDb's spellings to typed fields, junk to None, and never a surprise exception."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from movies_api.domain.movie import MovieDetails, Rating
from movies_api.omdb.errors import InvalidRecord
from movies_api.omdb.normalise import imdb_id, normalise

MATRIX: dict[str, object] = {
    "Title": "The Matrix",
    "Year": "1999",
    "Rated": "R",
    "Released": "31 Mar 1999",
    "Runtime": "136 min",
    "Genre": "Action, Sci-Fi",
    "Director": "Lana Wachowski, Lilly Wachowski",
    "Writer": "Lilly Wachowski, Lana Wachowski",
    "Actors": "Keanu Reeves, Laurence Fishburne, Carrie-Anne Moss",
    "Plot": "When a beautiful stranger leads computer hacker Neo to a forbidding underworld, "
    "he discovers the shocking truth--the life he knows is the elaborate deception of an "
    "evil cyber-intelligence.",
    "Language": "English",
    "Country": "United States, Australia",
    "Awards": "Won 4 Oscars. 42 wins & 52 nominations total",
    "Poster": "https://m.media-amazon.com/images/M/MV5BNzQzOTk3OTAtNDQ0Zi00ZTVkLWI0MTEtMDllZjNkYzNjNTc4L2ltYWdlXkEyXkFqcGdeQXVyNjU0OTQ0OTY@._V1_SX300.jpg",
    "Ratings": [
        {"Source": "Internet Movie Database", "Value": "8.7/10"},
        {"Source": "Rotten Tomatoes", "Value": "83%"},
        {"Source": "Metacritic", "Value": "73/100"},
    ],
    "Metascore": "73",
    "imdbRating": "8.7",
    "imdbVotes": "2,012,345",
    "imdbID": "tt0133093",
    "Type": "movie",
    "DVD": "15 May 2007",
    "BoxOffice": "$172,076,928",
    "Production": "N/A",
    "Website": "N/A",
    "Response": "True",
}

FIELDS = (*MATRIX, "totalSeasons", "Season", "Episode", "seriesID", "Error")


def with_(**changes: object) -> dict[str, object]:
    return {**MATRIX, **changes}


def test_the_matrix_full_record() -> None:
    assert normalise(MATRIX) == MovieDetails(
        id="tt0133093",
        title="The Matrix",
        year=1999,
        type="movie",
        rated="R",
        released=date(1999, 3, 31),
        runtime_minutes=136,
        genres=("Action", "Sci-Fi"),
        directors=("Lana Wachowski", "Lilly Wachowski"),
        writers=("Lilly Wachowski", "Lana Wachowski"),
        actors=("Keanu Reeves", "Laurence Fishburne", "Carrie-Anne Moss"),
        plot=str(MATRIX["Plot"]),
        languages=("English",),
        countries=("United States", "Australia"),
        awards="Won 4 Oscars. 42 wins & 52 nominations total",
        poster_url=str(MATRIX["Poster"]),
        ratings=(
            Rating("Internet Movie Database", "8.7/10"),
            Rating("Rotten Tomatoes", "83%"),
            Rating("Metacritic", "73/100"),
        ),
        metascore=73,
        imdb_rating=8.7,
        imdb_votes=2012345,
        dvd=date(2007, 5, 15),
        box_office_usd=172076928,
        production=None,
        website=None,
    )


def test_a_series_keeps_its_first_year_and_type() -> None:
    series = {
        "Title": "Game of Thrones",
        "Year": "2011\u20132019",
        "Rated": "TV-MA",
        "Released": "17 Apr 2011",
        "Runtime": "57 min",
        "Genre": "Action, Adventure, Drama",
        "Director": "N/A",
        "imdbID": "tt0944947",
        "Type": "series",
        "totalSeasons": "8",
        "Response": "True",
    }
    movie = normalise(series)
    assert (movie.year, movie.type, movie.directors) == (2011, "series", ())
    assert movie.released == date(2011, 4, 17)


def test_na_everywhere_gives_nulls_and_empty_lists() -> None:
    record = dict.fromkeys(MATRIX, "N/A") | {"imdbID": "tt0000001", "Title": "Lost Reel"}
    assert normalise(record) == MovieDetails(
        id="tt0000001", title="Lost Reel", year=None, type="movie"
    )


def test_only_id_and_title_are_needed() -> None:
    assert normalise({"imdbID": "tt1234567890", "Title": "T"}) == MovieDetails(
        id="tt1234567890", title="T", year=None, type="movie"
    )


@pytest.mark.parametrize(
    ("raw", "year"),
    [
        ("1999", 1999),
        ("2011\u20132019", 2011),
        ("2011\u2013", 2011),
        ("2011-", 2011),
        ("2011 - 2019", 2011),
        (" 1999 ", 1999),
        ("199", None),
        ("19999", None),
        ("0999", None),
        ("1999s", None),
        ("\u0661\u0669\u0669\u0669", None),  # Arabic-Indic digits
        (1999, None),
        (None, None),
    ],
)
def test_year(raw: object, year: int | None) -> None:
    assert normalise(with_(Year=raw)).year == year


@pytest.mark.parametrize(
    ("raw", "day"),
    [
        ("16 Jul 2010", date(2010, 7, 16)),
        ("1 jan 2000", date(2000, 1, 1)),
        ("16 July 2010", date(2010, 7, 16)),
        ("16 Sep. 2010", date(2010, 9, 16)),
        ("2010-07-16", date(2010, 7, 16)),
        ("2010", None),
        ("31 Feb 2010", None),
        ("16 Jly 2010", None),
        ("07/16/2010", None),
        ("2010-13-01", None),
        ("Summer 2011", None),
        ("00 Jan 2010", None),
        ("N/A", None),
        (20100716, None),
    ],
)
def test_released_and_dvd_dates(raw: object, day: date | None) -> None:
    movie = normalise(with_(Released=raw, DVD=raw))
    assert movie.released == day
    assert movie.dvd == day


@pytest.mark.parametrize(
    ("raw", "minutes"),
    [
        ("148 min", 148),
        ("148min", 148),
        ("90 mins", 90),
        ("1 h 30 min", 90),
        ("1h 30min", 90),
        ("2 h", 120),
        ("1 hour 5 minutes", 65),
        ("0 min", None),
        ("about 90 min", None),
        ("90", None),
        ("N/A", None),
        ("", None),
        (148, None),
    ],
)
def test_runtime(raw: object, minutes: int | None) -> None:
    assert normalise(with_(Runtime=raw)).runtime_minutes == minutes


@pytest.mark.parametrize(
    ("raw", "votes"),
    [
        ("2,345,678", 2345678),
        ("2345678", 2345678),
        ("0", 0),
        ("2,34,5678", None),
        ("-5", None),
        ("1.5", None),
        ("3,000,000,000", None),  # past a 32-bit INTEGER
        ("9" * 30, None),
        ("9" * 5000, None),  # int() would raise past 4300 digits
        (12, None),
    ],
)
def test_imdb_votes(raw: object, votes: int | None) -> None:
    assert normalise(with_(imdbVotes=raw)).imdb_votes == votes


@pytest.mark.parametrize(
    ("raw", "usd"),
    [
        ("$292,587,330", 292587330),
        ("$1,000", 1000),
        ("292,587,330", 292587330),
        ("€5", None),
        ("$ 5", None),
        ("$1.2M", None),
        ("$", None),
    ],
)
def test_box_office(raw: object, usd: int | None) -> None:
    assert normalise(with_(BoxOffice=raw)).box_office_usd == usd


@pytest.mark.parametrize(
    ("raw", "score"), [("73", 73), ("100", 100), ("0", 0), ("101", None), ("7x", None)]
)
def test_metascore(raw: str, score: int | None) -> None:
    assert normalise(with_(Metascore=raw)).metascore == score


@pytest.mark.parametrize(
    ("raw", "rating"),
    [
        ("8.7", 8.7),
        ("10", 10.0),
        ("10.0", 10.0),
        ("0.1", 0.1),
        ("10.5", None),
        ("8,7", None),
        ("-1", None),
        ("NaN", None),
        ("inf", None),
        ("1e1", None),
        (8.7, None),
    ],
)
def test_imdb_rating(raw: object, rating: float | None) -> None:
    assert normalise(with_(imdbRating=raw)).imdb_rating == rating


def test_lists_are_split_trimmed_and_deduplicated_in_order() -> None:
    movie = normalise(with_(Genre=" Drama,Action ,, Drama, N/A ,Sci-Fi,", Actors=["Keanu"]))
    assert movie.genres == ("Drama", "Action", "Sci-Fi")
    assert movie.actors == ()


def test_malformed_ratings_are_skipped() -> None:
    ratings = [
        {"Source": "Internet Movie Database", "Value": "8.7/10"},
        {"Source": "Rotten Tomatoes"},
        {"Source": "", "Value": "83%"},
        {"Source": "Metacritic", "Value": 73},
        "Metacritic 73",
        None,
        {"Source": " Metacritic ", "Value": " 73/100 "},
    ]
    assert normalise(with_(Ratings=ratings)).ratings == (
        Rating("Internet Movie Database", "8.7/10"),
        Rating("Metacritic", "73/100"),
    )
    assert normalise(with_(Ratings={"Source": "x", "Value": "y"})).ratings == ()


@pytest.mark.parametrize(
    ("raw", "kind"),
    [("movie", "movie"), ("Series", "series"), (" EPISODE ", "episode"), ("game", "game")]
    + [(junk, "movie") for junk in (None, "", "N/A", 3, ["series"])],
)
def test_type_is_lower_cased_and_defaults_to_movie(raw: object, kind: str) -> None:
    assert normalise(with_(Type=raw)).type == kind


def test_type_defaults_to_movie_when_missing() -> None:
    assert normalise({"imdbID": "tt0133093", "Title": "The Matrix"}).type == "movie"


@pytest.mark.parametrize(
    ("raw", "url"),
    [
        ("https://example.org/p.jpg", "https://example.org/p.jpg"),
        ("HTTP://EXAMPLE.ORG/P.JPG", "HTTP://EXAMPLE.ORG/P.JPG"),
        ("N/A", None),
        ("javascript:alert(1)", None),
        ("//example.org/p.jpg", None),
        (["https://example.org"], None),
    ],
)
def test_poster_and_website_must_be_http_urls(raw: object, url: str | None) -> None:
    movie = normalise(with_(Poster=raw, Website=raw))
    assert (movie.poster_url, movie.website) == (url, url)


def test_strings_are_stripped_and_made_storable() -> None:
    movie = normalise(
        with_(Title="  The Matrix\n", Plot="Neo\x00 wakes up.\ud800", Rated=" R ", Awards="   ")
    )
    assert movie.title == "The Matrix"
    assert movie.plot == "Neo wakes up.?"
    assert movie.rated == "R"
    assert movie.awards is None
    movie.plot.encode("utf-8")  # a lone surrogate would make this raise


def test_titles_are_kept_as_omdb_gives_them() -> None:
    for title in ("Face/Off", "100% Wolf", '"Crocodile" Dundee', "Amélie", "8½", "東京物語"):
        assert normalise(with_(Title=title)).title == title


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "tt123456",
        "tt12345678901",
        "tt0133093x",
        "TT0133093",
        "0133093",
        "tt\u0660\u0661\u0663\u0663\u0660\u0669\u0663",  # Arabic-Indic digits
        133093,
        ["tt0133093"],
    ],
)
def test_a_record_without_a_valid_id_is_refused(raw: object) -> None:
    record = with_(imdbID=raw)
    with pytest.raises(InvalidRecord, match="no valid imdbID"):
        normalise(record)


def test_a_missing_id_is_refused() -> None:
    with pytest.raises(InvalidRecord, match="got NoneType"):
        normalise({"Title": "The Matrix"})


@pytest.mark.parametrize("raw", [None, "", "   ", "N/A", 42, {"en": "The Matrix"}])
def test_a_record_without_a_title_is_refused(raw: object) -> None:
    with pytest.raises(InvalidRecord, match="tt0133093 has no Title"):
        normalise(with_(Title=raw))


def test_imdb_id_accepts_surrounding_space_only() -> None:
    assert imdb_id(" tt0133093 ") == "tt0133093"
    assert imdb_id("tt 0133093") is None


# --- properties -------------------------------------------------------------------------

JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=6,
)
OMDB_SPELLINGS = st.sampled_from(
    [
        "N/A",
        "",
        " ",
        "148 min",
        "1 h 30 min",
        "16 Jul 2010",
        "2010-07-16",
        "2011\u20132019",
        "$292,587,330",
        "2,345,678",
        "8.7",
        "73",
        "tt0133093",
        "https://example.org/p.jpg",
        "Action, Drama, Action",
    ]
)
RATINGS = st.lists(
    st.fixed_dictionaries({"Source": st.text() | JUNK, "Value": st.text() | JUNK}), max_size=4
)
VALUES = JUNK | OMDB_SPELLINGS | RATINGS
RECORDS = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), VALUES, max_size=20)
IDS = st.from_regex(r"tt[0-9]{7,10}", fullmatch=True)
TITLES = st.text(st.characters(categories=("L", "N", "P", "Zs")), min_size=1).filter(
    lambda title: title.strip().casefold() not in ("", "n/a")
)


# Generous limits: these run under coverage on busy CI machines, where timing is not the point.
PATIENT = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PATIENT
@given(RECORDS)
def test_any_record_gives_a_movie_or_invalid_record(record: dict[str, Any]) -> None:
    try:
        movie = normalise(record)
    except InvalidRecord:
        return
    assert isinstance(movie, MovieDetails)


@PATIENT
@given(RECORDS, IDS, TITLES)
def test_any_record_with_id_and_title_gives_a_well_formed_movie(
    record: dict[str, Any], movie_id: str, title: str
) -> None:
    movie = normalise({**record, "imdbID": movie_id, "Title": title})
    assert movie.id == movie_id
    assert movie.title == title.strip()
    assert movie.type
    assert movie.type == movie.type.lower()
    text_fields = (movie.rated, movie.plot, movie.awards, movie.production)
    for text in (*text_fields, movie.poster_url, movie.website):
        assert text is None or (text == text.strip() and text and text != "N/A")
    for names in (movie.genres, movie.directors, movie.writers, movie.actors):
        assert len(set(names)) == len(names)
        assert all(name and name == name.strip() and "," not in name for name in names)
    for number in (movie.year, movie.runtime_minutes, movie.imdb_votes, movie.box_office_usd):
        assert number is None or 0 <= number < 2**31
    assert movie.metascore is None or 0 <= movie.metascore <= 100
    assert movie.imdb_rating is None or 0 <= movie.imdb_rating <= 10
    assert all(isinstance(rating, Rating) for rating in movie.ratings)
