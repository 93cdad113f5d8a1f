"""The catalogue's read side over in-memory fakes: pages, look-ups by id and by title."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from movies_api.domain.listing import Listing
from movies_api.domain.movie import MovieDetails, MovieRef
from movies_api.services.catalogue import CatalogueService, Page
from movies_api.services.errors import AmbiguousTitle, MovieNotFound
from tests.reference_catalogue import AMELIE, TRICKY_MOVIES, reference_order, stored
from tests.reference_listing import document_ids
from tests.unit.app_with_fakes import FakeOmdb
from tests.unit.fakes import FakeUnitOfWorkFactory, Store

PLAIN = Listing()


def catalogue_of(movies: Sequence[MovieDetails]) -> tuple[CatalogueService, Store]:
    store = Store()
    store.movies = {movie.id: movie for movie in stored(movies)}
    return CatalogueService(uow=FakeUnitOfWorkFactory(store), omdb=FakeOmdb()), store


@pytest.mark.parametrize(
    ("total", "limit", "pages"), [(0, 10, 0), (1, 10, 1), (10, 10, 1), (11, 10, 2), (100, 7, 15)]
)
def test_page_count_rounds_up(total: int, limit: int, pages: int) -> None:
    page = Page(
        PLAIN, items=(), limit=limit, total=total, total_exact=True, page=1, next_cursor=None
    )
    assert page.pages == pages


def test_a_page_reached_by_cursor_has_no_page_count() -> None:
    page = Page(PLAIN, items=(), limit=10, total=5, total_exact=True, page=None, next_cursor=None)
    assert page.pages is None


async def test_first_page_is_the_start_of_the_title_order() -> None:
    catalogue, _ = catalogue_of(TRICKY_MOVIES)
    page = await catalogue.list_movies(PLAIN, page=1, limit=10)
    assert document_ids(page.items) == reference_order(TRICKY_MOVIES)[:10]
    assert (page.page, page.limit, page.total) == (1, 10, len(TRICKY_MOVIES))


@pytest.mark.parametrize("limit", [1, 3, 7, 10, 100])
async def test_walking_every_page_gives_every_movie_once_in_title_order(limit: int) -> None:
    catalogue, _ = catalogue_of(TRICKY_MOVIES)
    first = await catalogue.list_movies(PLAIN, page=1, limit=limit)
    walked = list(first.items)
    assert first.pages is not None
    for number in range(2, first.pages + 1):
        walked.extend((await catalogue.list_movies(PLAIN, page=number, limit=limit)).items)
    assert document_ids(walked) == reference_order(TRICKY_MOVIES)


async def test_page_past_the_last_is_empty_and_keeps_the_total() -> None:
    catalogue, _ = catalogue_of(TRICKY_MOVIES)
    page = await catalogue.list_movies(PLAIN, page=99, limit=10)
    assert page.items == ()
    assert page.total == len(TRICKY_MOVIES)


async def test_empty_catalogue_has_no_pages() -> None:
    catalogue, _ = catalogue_of(())
    page = await catalogue.list_movies(PLAIN, page=1, limit=10)
    assert (page.items, page.total, page.pages) == ((), 0, 0)


async def test_get_returns_the_stored_movie_with_every_detail() -> None:
    catalogue, store = catalogue_of(TRICKY_MOVIES)
    assert await catalogue.get(AMELIE.id) == store.movies[AMELIE.id]


async def test_get_of_an_unknown_id_is_movie_not_found() -> None:
    catalogue, _ = catalogue_of(TRICKY_MOVIES)
    with pytest.raises(MovieNotFound, match="tt7654321"):
        await catalogue.get("tt7654321")


@pytest.mark.parametrize("asked", ["Face/Off", "face/off", "  FACE/OFF  ", "Face/Off\t"])
async def test_find_by_title_ignores_case_and_surrounding_white_space(asked: str) -> None:
    catalogue, _ = catalogue_of(TRICKY_MOVIES)
    assert (await catalogue.find_by_title(asked)).id == "tt0119094"


@pytest.mark.parametrize("asked", ["Leon: The Professional", "LÉON:   the professional"])
async def test_find_by_title_ignores_accents_and_inner_space_runs(asked: str) -> None:
    catalogue, _ = catalogue_of(TRICKY_MOVIES)
    assert (await catalogue.find_by_title(asked)).id == "tt0110413"


async def test_find_by_title_collapses_white_space_in_the_stored_title_too() -> None:
    catalogue, _ = catalogue_of(
        [MovieDetails(id="tt0084787", title="The  Thing", year=1982, type="movie")]
    )
    assert (await catalogue.find_by_title("the thing")).id == "tt0084787"


async def test_remakes_without_a_year_are_ambiguous_with_candidates_in_title_order() -> None:
    catalogue, _ = catalogue_of(TRICKY_MOVIES)
    with pytest.raises(AmbiguousTitle) as raised:
        await catalogue.find_by_title("dune")
    assert raised.value.candidates == (
        MovieRef("tt0087182", "Dune", 1984),
        MovieRef("tt9000007", "Dune", 1984),
        MovieRef("tt1160419", "Dune", 2021),
        MovieRef("tt9000006", "Dune", None),
    )


async def test_a_year_narrows_remakes_to_one() -> None:
    catalogue, _ = catalogue_of(TRICKY_MOVIES)
    assert (await catalogue.find_by_title("Dune", year=2021)).id == "tt1160419"


async def test_a_year_shared_by_two_remakes_is_still_ambiguous() -> None:
    catalogue, _ = catalogue_of(TRICKY_MOVIES)
    with pytest.raises(AmbiguousTitle) as raised:
        await catalogue.find_by_title("Dune", year=1984)
    assert [c.id for c in raised.value.candidates] == ["tt0087182", "tt9000007"]


async def test_a_year_no_remake_has_is_not_found() -> None:
    catalogue, _ = catalogue_of(TRICKY_MOVIES)
    with pytest.raises(MovieNotFound, match="from 1900"):
        await catalogue.find_by_title("Dune", year=1900)


async def test_a_title_nobody_stored_is_not_found() -> None:
    catalogue, _ = catalogue_of(TRICKY_MOVIES)
    with pytest.raises(MovieNotFound, match="Nope"):
        await catalogue.find_by_title("Nope")


async def test_ss_and_sharp_s_titles_match_each_other() -> None:
    catalogue, _ = catalogue_of(TRICKY_MOVIES)
    with pytest.raises(AmbiguousTitle) as raised:
        await catalogue.find_by_title("DIE STRASSE")
    assert [c.id for c in raised.value.candidates] == ["tt9000008", "tt9000009", "tt9000015"]


async def test_version_changes_with_every_committed_write_and_not_with_reads() -> None:
    catalogue, store = catalogue_of(TRICKY_MOVIES)
    before = await catalogue.version()
    await catalogue.list_movies(PLAIN, page=1, limit=10)
    await catalogue.find_by_title("Face/Off")
    assert await catalogue.version() == before
    await catalogue.delete("tt0119094")
    assert await catalogue.version() != before
    assert "tt0119094" not in store.movies
