"""Reading import lists: plain ids and titles, CSV by its header, and lines that cannot be
read reported with why."""

from __future__ import annotations

import pytest

from movies_api.services.import_list import Unreadable, Wanted, read_list


def test_a_plain_list_mixes_ids_and_titles_and_skips_blank_lines() -> None:
    text = "tt0133093\n\n  The Matrix Reloaded  \nTT0234215\n   \nAmélie\n"

    assert read_list(text) == [
        Wanted(1, "tt0133093", id="tt0133093"),
        Wanted(3, "  The Matrix Reloaded  ", title="The Matrix Reloaded"),
        Wanted(4, "TT0234215", id="tt0234215"),
        Wanted(6, "Amélie", title="Amélie"),
    ]


@pytest.mark.parametrize(
    "line",
    [
        "https://www.imdb.com/title/tt0087182/",
        "http://imdb.com/title/tt0087182",
        "https://m.imdb.com/title/tt0087182/?ref_=nv_sr_1",
    ],
)
def test_an_imdb_title_url_is_read_as_its_id(line: str) -> None:
    assert read_list(line) == [Wanted(1, line, id="tt0087182")]


@pytest.mark.parametrize(
    "line", ["tt12", "tt0087182 Dune", "Face/Off", "100% Wolf", "8½", "#Alive", "Titles"]
)
def test_anything_else_on_a_plain_line_is_a_title(line: str) -> None:
    assert read_list(line) == [Wanted(1, line, title=line)]


def test_a_title_longer_than_300_characters_is_unreadable() -> None:
    (entry,) = read_list("x" * 301)
    assert isinstance(entry, Unreadable)
    assert "300" in entry.reason


def test_a_header_with_an_id_or_title_column_makes_a_csv() -> None:
    text = (
        "Title,Year,Type,Notes\n"
        "Dune,1984,movie,the Lynch one\n"
        '"Crazy, Stupid, Love.",2011,,\n'
        "Dune,,series,\n"
    )

    assert read_list(text) == [
        Wanted(2, "Dune,1984,movie,the Lynch one", title="Dune", year=1984, type="movie"),
        Wanted(3, '"Crazy, Stupid, Love.",2011,,', title="Crazy, Stupid, Love.", year=2011),
        Wanted(4, "Dune,,series,", title="Dune", type="series"),
    ]


def test_a_csv_row_with_an_id_is_that_id_whatever_its_title() -> None:
    text = "\ufeffid,title\ntt0087182,Dune\n,Heat\n\n"

    assert read_list(text) == [
        Wanted(2, "tt0087182,Dune", id="tt0087182"),
        Wanted(3, ",Heat", title="Heat"),
    ]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("Dune,nineteen,", "year"),
        ("Dune,1200,", "year"),
        ("Dune,1984,film", "type"),
        (",1984,", "neither"),
    ],
)
def test_a_csv_row_that_cannot_be_read_says_why(row: str, reason: str) -> None:
    (entry,) = read_list(f"title,year,type\n{row}\n")

    assert isinstance(entry, Unreadable)
    assert entry.line == 2
    assert entry.text == row
    assert reason in entry.reason


def test_a_csv_id_that_is_no_imdb_id_is_unreadable() -> None:
    (entry,) = read_list("id\nnm0000001\n")

    assert isinstance(entry, Unreadable)
    assert "IMDb id" in entry.reason


def test_line_numbers_count_the_lines_before_the_header() -> None:
    entries = read_list("\n\nid\ntt0087182\n\ntt1160419\n")

    assert [entry.line for entry in entries] == [4, 6]


def test_an_empty_list_has_no_entries() -> None:
    assert read_list("") == []
    assert read_list("\n  \n") == []
