"""The web UI in Debian's headless Chromium against a real server and the OMDb simulator:
browse, search (with and without JavaScript), filter, open a movie, add one through an OMDb
search, refresh and delete with a key, and a broken poster drawn over; no request ever
leaves 127.0.0.1. Screenshots of each page go to ``test-artifacts/``."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Dialog, Page, Route

from movies_api.ui import links
from tests.integration.test_docs_browser import ARTIFACTS, RecordedPage
from tests.integration.ui_service import ADDABLE, NO_POSTER, UiService, ui_service

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium")]

CARD_IDS = "[...document.querySelectorAll('a.card-link')].map(a => a.href.split('/').pop())"
# Every poster image on the page that has finished loading, and how wide it came out.
POSTER_SOURCES = "[...document.querySelectorAll('.poster img')].map(i => i.getAttribute('src'))"
POSTERS_LOADED = (
    "[...document.querySelectorAll('.poster img')].map(i => i.complete && i.naturalWidth)"
)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiService]:
    with ui_service(tmp_path_factory.mktemp("ui-browser")) as running:
        yield running


@pytest.fixture
def recorded(browser: Browser) -> Iterator[RecordedPage]:
    page = RecordedPage(browser)
    try:
        yield page
    finally:
        assert page.foreign_requests() == []
        page.close()


def api_ids(service: UiService, query: str) -> list[str]:
    listing = httpx.get(f"{service.url}/movies?{query}&limit={links.PAGE_SIZE}", timeout=10)
    return [item["id"] for item in listing.json()["items"]]


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"ui-{name}.png"), full_page=True)


def test_the_grid_shows_the_first_page_with_posters(
    service: UiService, recorded: RecordedPage
) -> None:
    page = recorded.page
    page.goto(service.url + "/", wait_until="networkidle")
    assert page.evaluate(CARD_IDS) == api_ids(service, "")
    loaded = page.evaluate(POSTERS_LOADED)
    assert len(loaded) == len(api_ids(service, "")) - 1  # one movie has no poster: drawn
    assert all(width and width > 0 for width in loaded), loaded
    shot(page, "catalogue")
    assert recorded.failed_requests() == []


def test_typing_a_search_updates_the_url_and_matches_the_api(
    service: UiService, recorded: RecordedPage
) -> None:
    page = recorded.page
    page.goto(service.url + "/", wait_until="networkidle")
    page.get_by_label("Search", exact=True).press_sequentially("alie")
    page.wait_for_url("**/?q=alie")
    page.wait_for_function(f"{CARD_IDS}.length === 2")
    assert page.evaluate(CARD_IDS) == api_ids(service, "q=alie")
    drawn_by_script = page.evaluate(POSTER_SOURCES)
    page.reload()  # the address is the state: loading it again shows the same movies
    assert page.evaluate(CARD_IDS) == api_ids(service, "q=alie")
    assert page.evaluate(POSTER_SOURCES) == drawn_by_script  # one address, one cached copy
    assert page.get_by_label("Search", exact=True).input_value() == "alie"


def test_filters_and_sort_make_a_bookmarkable_url(
    service: UiService, recorded: RecordedPage
) -> None:
    page = recorded.page
    page.goto(service.url + "/", wait_until="networkidle")
    page.get_by_label("Genre").select_option("Sci-Fi")
    page.get_by_label("Order").select_option("-year")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/?genre=Sci-Fi&sort=-year")
    expected = api_ids(service, "genre=Sci-Fi&sort=-year")
    assert expected
    assert page.evaluate(CARD_IDS) == expected
    page.goto(page.url)  # the bookmark shows the same page
    assert page.evaluate(CARD_IDS) == expected


def test_the_movie_page_shows_its_details_and_its_poster(
    service: UiService, recorded: RecordedPage
) -> None:
    page = recorded.page
    page.goto(service.url + "/?q=matrix", wait_until="networkidle")
    page.get_by_role("link", name="The Matrix").click()
    page.wait_for_url(f"**{links.movie_page('tt0133093')}")
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", level=1).inner_text().startswith("The Matrix")
    assert page.evaluate(POSTERS_LOADED)[0] > 0
    assert page.get_by_role("link", name="Lana Wachowski").get_attribute("href") == (
        "/?director=Lana+Wachowski"
    )
    shot(page, "movie")
    page.get_by_role("link", name="Sci-Fi").click()
    page.wait_for_url("**/?genre=Sci-Fi")
    assert "tt0133093" in page.evaluate(CARD_IDS)
    assert recorded.failed_requests() == []


def test_a_broken_poster_shows_the_drawn_placeholder(
    service: UiService, recorded: RecordedPage
) -> None:
    page = recorded.page

    def broken(route: Route) -> None:
        route.fulfill(status=502, body=b"")

    page.route("**/movies/tt0133093/poster*", broken)
    page.goto(service.url + links.movie_page("tt0133093"), wait_until="networkidle")
    assert page.locator(".poster img").is_hidden()
    assert page.locator(".placeholder .ph-title").inner_text() == "The Matrix"
    page.goto(service.url + links.movie_page(NO_POSTER), wait_until="networkidle")
    assert page.locator(".poster img").count() == 0
    assert page.locator(".placeholder").is_visible()


def test_browsing_and_searching_work_without_javascript(
    service: UiService, browser: Browser
) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(service.url + "/", wait_until="networkidle")
        page.get_by_label("Search", exact=True).fill("dune")
        page.get_by_label("Search", exact=True).press("Enter")
        page.wait_for_url("**/?q=dune**")
        assert page.evaluate(CARD_IDS) == api_ids(service, "q=dune")
        page.get_by_role("link", name="Dune").first.click()
        page.wait_for_url("**/ui/movies/**")
        assert page.get_by_role("heading", level=1).inner_text().startswith("Dune")
        assert page.get_by_role("button", name="Delete from the catalogue").is_hidden()
        shot(page, "no-javascript")
    finally:
        context.close()


def test_adding_through_an_omdb_search(service: UiService, recorded: RecordedPage) -> None:
    page = recorded.page
    page.goto(service.url + links.ADD, wait_until="networkidle")
    page.get_by_label("Title").fill("dune")
    page.get_by_role("button", name="Search OMDb").click()
    page.wait_for_url("**/ui/add?q=dune")
    add = page.locator(f'button[data-add="{ADDABLE}"]')
    add.wait_for()
    assert page.locator('li[data-id="tt0087182"] .stored').is_visible()  # seeded
    shot(page, "add")
    add.click()
    page.wait_for_url(f"**{links.movie_page(ADDABLE)}")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Dune")
    assert httpx.get(f"{service.url}/movies/{ADDABLE}", timeout=10).status_code == 200


def test_refresh_and_delete_ask_for_a_key_once_and_say_what_failed(
    service: UiService, recorded: RecordedPage
) -> None:
    page = recorded.page
    movie = "tt0080684"
    page.on("dialog", lambda dialog: Dialog.accept(dialog))
    page.goto(service.url + links.movie_page(movie), wait_until="networkidle")
    page.get_by_role("button", name="Fetch details again from OMDb").click()
    key_box = page.get_by_label("API key")
    key_box.fill("not-a-key")
    key_box.press("Enter")
    page.get_by_text("That API key was not accepted (401").wait_for()
    key_box.fill(service.key)
    page.get_by_role("button", name="Use this key").click()
    page.get_by_text("Details fetched again", exact=True).wait_for()  # reloaded, refreshed
    page.get_by_role("button", name="Delete from the catalogue").click()  # the key is kept
    page.wait_for_url(service.url + "/")
    assert movie not in page.evaluate(CARD_IDS)
    assert page.evaluate("sessionStorage.getItem('movies-api-key')") == service.key
    assert not [url for url in recorded.requests if service.key in url]
    missing = httpx.get(f"{service.url}/movies/{movie}", timeout=10)
    assert missing.status_code == 404


def test_a_key_without_the_scope_is_told_in_words(
    service: UiService, recorded: RecordedPage, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tests.integration.live_service import create_key

    home = tmp_path_factory.mktemp("ui-key")
    add_only = create_key(service.database_url, "movies:add", cwd=home).key
    page = recorded.page
    page.on("dialog", lambda dialog: Dialog.accept(dialog))
    page.goto(service.url + links.movie_page("tt0087182"), wait_until="networkidle")
    delete = page.get_by_role("button", name="Delete from the catalogue")
    delete.click()
    page.get_by_label("API key").press("Escape")  # changed their mind: nothing is sent
    page.get_by_text("Not deleted: no API key was given.").wait_for()
    assert page.get_by_label("API key").is_hidden()
    delete.click()
    page.get_by_label("API key").fill(add_only)
    page.get_by_role("button", name="Use this key").click()
    page.get_by_text("This API key may not delete movies (403)").wait_for()
    assert httpx.get(f"{service.url}/movies/tt0087182", timeout=10).status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/", "/?q=zardoz", links.movie_page("tt0133093"), f"{links.ADD}?q=dune", "/?year_min=abc"],
)
def test_no_page_has_a_serious_accessibility_violation(
    service: UiService, recorded: RecordedPage, path: str
) -> None:
    page = recorded.page
    page.goto(service.url + path, wait_until="networkidle")
    found = Axe().run(page).response["violations"]
    serious = [
        (violation["id"], [node["target"] for node in violation["nodes"]])
        for violation in found
        if violation["impact"] in ("serious", "critical")
    ]
    assert serious == []
