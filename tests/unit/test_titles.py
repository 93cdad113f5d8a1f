"""Title keys (contract §1): what sorts together, what matches, and the order they give."""

from __future__ import annotations

import pytest

from movies_api.domain.titles import match_key, sort_key
from tests.reference_catalogue import TRICKY_MOVIES, reference_key, reference_order, stored
from tests.unit.fakes import title_order


@pytest.mark.parametrize(
    "title", ["Amélie", "Amelie", "AMELIE", "amélie", "AMÉLIE", "Ame\u0301lie"]
)
def test_accents_and_case_variants_share_one_sort_key(title: str) -> None:
    assert sort_key(title) == "amelie"


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("Die Straße", "die strasse"),  # casefold, not lower: ß is ss
        ("8½", "81\u20442"),  # NFKD spells ½ as 1 FRACTION SLASH 2
        ("Alien³", "alien3"),
        ("Ｆｕｌｌｗｉｄｔｈ", "fullwidth"),  # noqa: RUF001 - deliberately confusable
        ("𝐀𝐥𝐢𝐞𝐧", "alien"),  # noqa: RUF001 - deliberately confusable
        ("İstanbul", "istanbul"),
        ("Αλέξης Ζορμπάς", "αλεξησ ζορμπασ"),  # casefold maps final sigma to medial sigma
        ("Сталкер", "сталкер"),
        ("ゴジラ", "コシラ"),  # the voicing marks are combining marks once decomposed
        ("Æon Flux", "æon flux"),  # Æ has no decomposition: it stays a letter of its own
        ("The  Thing", "the  thing"),  # sorting keeps white space as it is
    ],
)
def test_sort_key_is_nfkd_without_combining_marks_casefolded(title: str, key: str) -> None:
    assert sort_key(title) == key


@pytest.mark.parametrize(
    ("stored_title", "requested"),
    [
        ("The  Thing", "the thing"),
        ("The Thing", "  THE\tTHING \n"),
        ("Amélie", "amelie"),
        ("Die Straße", "die   strasse"),
        ("Face/Off", "face/off"),
        ("千と千尋の神隠し", "\u3000千と千尋の神隠し\u3000"),
    ],
)
def test_match_key_ignores_case_accents_and_white_space_runs(
    stored_title: str, requested: str
) -> None:
    assert match_key(stored_title) == match_key(requested)


@pytest.mark.parametrize(("one", "other"), [("Dune", "Dunes"), ("Leon", "Léa"), ("8½", "812")])
def test_match_key_tells_different_titles_apart(one: str, other: str) -> None:
    assert match_key(one) != match_key(other)


def test_match_key_of_blank_or_mark_only_title_is_empty() -> None:
    assert match_key(" \t\u3000 ") == ""
    assert match_key("\u0301\u0308") == ""


def test_sort_key_agrees_with_the_reference_on_every_tricky_title() -> None:
    for movie in TRICKY_MOVIES:
        assert sort_key(movie.title) == reference_key(movie.title), movie.title


def test_title_order_compares_code_points_with_punctuation_and_digits_first() -> None:
    titles = ["Zorro", "¡Three Amigos!", "#Alive", "12 Angry Men", "'71", "(500) Days", "Æon"]
    ordered = sorted(titles, key=sort_key)
    # '#' 0x23 < "'" 0x27 < '(' 0x28 < '1' 0x31 < 'z' 0x7A < '¡' 0xA1 < 'æ' 0xE6
    assert ordered == [
        "#Alive",
        "'71",
        "(500) Days",
        "12 Angry Men",
        "Zorro",
        "¡Three Amigos!",
        "Æon",
    ]


def test_reference_order_puts_remakes_by_year_with_the_undated_one_last_then_by_id() -> None:
    order = reference_order(TRICKY_MOVIES)
    dunes = {"tt0087182", "tt1160419", "tt9000006", "tt9000007"}
    assert [movie_id for movie_id in order if movie_id in dunes] == [
        "tt0087182",  # 1984, smaller id
        "tt9000007",  # 1984
        "tt1160419",  # 2021
        "tt9000006",  # no year
    ]
    amelies = {"tt0211915", "tt9000001", "tt9000002", "tt9000003"}
    assert [movie_id for movie_id in order if movie_id in amelies] == [
        "tt9000001",  # Amelie 1999
        "tt0211915",  # Amélie 2001
        "tt9000003",  # amelie 2001
        "tt9000002",  # AMELIE, no year
    ]


def test_fakes_title_order_matches_the_reference_order() -> None:
    movies = stored(TRICKY_MOVIES)
    assert [m.id for m in sorted(movies, key=title_order)] == reference_order(TRICKY_MOVIES)
