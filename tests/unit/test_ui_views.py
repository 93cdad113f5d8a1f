"""The web UI's pages over the production app with fakes: what each page shows, that every
state is a URL that agrees with ``GET /movies``, escaping, headers, and failures in words."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from movies_api.domain.listing import SORTS
from movies_api.domain.movie import Movie
from movies_api.omdb.errors import OmdbUnavailable
from movies_api.services.errors import StorageUnavailable
from movies_api.ui import links
from movies_api.ui.rendering import ASSETS
from movies_api.ui.views import SORT_LABELS
from tests.unit.app_with_fakes import (
    FakeOmdb,
    client,
    issue_key,
    make_app,
    omdb_record,
    store_with,
    stored_movie,
)
from tests.unit.fakes import FakePosters

POLICY = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"
NASTY = '<script>alert("x")</script> & "Quotes"'


def numbered(count: int) -> list[Movie]:
    """``count`` movies, every third one with a poster, years 1990 on, ratings 5.0 on."""
    return [
        replace(
            stored_movie(f"tt{1000000 + i:07d}", f"Film {i:02d}", 1990 + i),
            poster_url=f"https://posters.example/{i}.jpg" if i % 3 == 0 else None,
            imdb_rating=5.0 + i / 10,
            genres=("Drama",) if i % 2 else ("Comedy", "Drama"),
        )
        for i in range(count)
    ]


class Page(HTMLParser):
    """What a test reads of a page: its cards' links, images, scripts and attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.cards: list[str] = []
        self.images: list[dict[str, str | None]] = []
        self.scripts: list[dict[str, str | None]] = []
        self.links: list[str] = []
        self.inline_handlers: list[str] = []
        self.styled: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a" and found.get("class") == "card-link":
            self.cards.append(str(found["href"]))
        if tag == "a":
            self.links.append(str(found.get("href")))
        if tag == "img":
            self.images.append(found)
        if tag == "script":
            self.scripts.append(found)
        self.inline_handlers += [name for name in found if name.startswith("on")]
        if "style" in found:
            self.styled.append(tag)


async def get(http: httpx.AsyncClient, url: str) -> tuple[httpx.Response, Page]:
    response = await http.get(url)
    return response, Page(response.text)


def ids(page: Page) -> list[str]:
    return [href.rsplit("/", 1)[1] for href in page.cards]


# --- the catalogue page ----------------------------------------------------------------------


async def test_the_grid_shows_the_first_page_in_title_order_with_links_and_posters() -> None:
    movies = numbered(30)
    app, _ = make_app(store=store_with(*movies))
    async with client(app) as http:
        response, page = await get(http, "/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert ids(page) == [m.id for m in movies[: links.PAGE_SIZE]]
    posters = [image["src"] for image in page.images]
    assert posters == [
        links.poster(m.id, m.poster_url) for m in movies[: links.PAGE_SIZE] if m.poster_url
    ]
    assert all(image["loading"] == "lazy" and image["width"] == "300" for image in page.images)
    assert all(image["alt"] and image["alt"].startswith("Poster of") for image in page.images)
    assert "30 movies · page 1 of 2" in response.text
    assert "/?page=2" in page.links


@pytest.mark.parametrize(
    "query",
    [
        "q=film+1",
        "genre=Comedy",
        "genre=comedy&genre=Drama",
        "type=movie&year_min=1995&year_max=2005",
        "rating_min=6&sort=-rating",
        "sort=-year&page=2",
        "director=Lana+Wachowski&sort=year",
    ],
)
async def test_every_state_is_a_url_that_agrees_with_the_json_api(query: str) -> None:
    app, _ = make_app(store=store_with(*numbered(60)))
    async with client(app) as http:
        _, page = await get(http, f"/?{query}")
        api = (await http.get(f"/movies?{query}&limit={links.PAGE_SIZE}")).json()
    assert ids(page) == [item["id"] for item in api["items"]]
    assert ids(page)


async def test_the_blank_fields_a_submitted_form_sends_are_ignored() -> None:
    app, _ = make_app(store=store_with(*numbered(5)))
    async with client(app) as http:
        _, plain = await get(http, "/")
        response, submitted = await get(
            http, "/?q=&genre=&type=&year_min=&year_max=&rating_min=&sort="
        )
    assert response.status_code == 200
    assert ids(submitted) == ids(plain)


async def test_page_links_keep_the_filters_and_past_the_end_points_back() -> None:
    app, _ = make_app(store=store_with(*numbered(60)))
    async with client(app) as http:
        _, second = await get(http, "/?genre=Drama&sort=-year&page=2")
        response, past = await get(http, "/?page=9")
    assert "/?genre=drama&sort=-year" in second.links  # first
    assert "/?genre=drama&sort=-year&page=3" in second.links  # next and last
    assert "There is no movie on this page" in response.text
    assert "/?page=3" in past.links


@pytest.mark.parametrize(
    ("query", "named"),
    [("year_min=abc", "year_min"), ("sort=relevance", "sort"), ("rating_min=11", "rating_min")],
)
async def test_an_invalid_listing_says_which_parameter_in_words(query: str, named: str) -> None:
    app, _ = make_app(store=store_with(*numbered(3)))
    async with client(app) as http:
        response, page = await get(http, f"/?{query}")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert f"<li>{named}: " in response.text
    assert page.cards == []
    assert "/" in page.links  # the way back


async def test_an_empty_catalogue_says_how_to_fill_it() -> None:
    app, _ = make_app()
    async with client(app) as http:
        response, page = await get(http, "/")
    assert "The catalogue is empty" in response.text
    assert links.ADD in page.links


async def test_a_search_without_results_offers_to_search_omdb() -> None:
    app, _ = make_app(store=store_with(*numbered(3)))
    async with client(app) as http:
        response, page = await get(http, "/?q=Zardoz")
    assert "No movie in the catalogue matches “Zardoz”" in response.text
    assert f"{links.ADD}?q=Zardoz" in page.links


async def test_filters_without_a_form_field_show_with_a_link_that_removes_them() -> None:
    app, _ = make_app(store=store_with(*numbered(3)))
    async with client(app) as http:
        response, page = await get(http, "/?director=Lana+Wachowski&genre=Drama&genre=Comedy")
    assert "Director: Lana Wachowski" in response.text
    assert "/?genre=Drama&genre=Comedy" in page.links
    assert "Genre: Comedy" in response.text  # the second genre; the first is in the form
    assert 'name="director" value="Lana Wachowski"' in response.text  # kept on submit


async def test_a_write_shows_on_the_next_page_view() -> None:
    store = store_with(*numbered(3))
    key = await issue_key(store, "movies:delete")
    app, _ = make_app(store=store)
    async with client(app) as http:
        _, before = await get(http, "/")
        deleted = await http.delete("/movies/tt1000001", headers={"Authorization": f"Bearer {key}"})
        _, after = await get(http, "/")
    assert deleted.status_code == 204
    assert "tt1000001" in ids(before)
    assert "tt1000001" not in ids(after)


async def test_a_repeated_page_is_served_from_the_cache_and_revalidates() -> None:
    store = store_with(*numbered(3))
    app, _ = make_app(store=store)
    async with client(app) as http:
        first = await http.get("/")
        listings = store.listings
        again = await http.get("/", headers={"If-None-Match": first.headers["etag"]})
    assert store.listings == listings  # no second read of the listing
    assert again.status_code == 304
    assert first.headers["cache-control"] == "no-cache"


async def test_a_database_outage_is_a_503_page_in_words(monkeypatch: pytest.MonkeyPatch) -> None:
    app, container = make_app(store=store_with(*numbered(3)))

    async def down(*args: object, **kwargs: object) -> None:
        raise StorageUnavailable("the database did not answer in time; nothing changed")

    monkeypatch.setattr(container.catalogue, "list_movies", down)
    monkeypatch.setattr(container.catalogue, "get", down)
    async with client(app) as http:
        for url in ("/", links.movie_page("tt1000000")):
            response = await http.get(url)
            assert response.status_code == 503, url
            assert response.headers["content-type"].startswith("text/html")
            assert "the database did not answer in time" in response.text
            assert response.headers["cache-control"] == "no-store"


# --- a movie's page --------------------------------------------------------------------------


async def test_the_movie_page_shows_every_detail_with_links_to_filtered_listings() -> None:
    movie = replace(
        stored_movie("tt0133093", "The Matrix"),
        poster_url="https://posters.example/matrix.jpg",
        writers=("Lilly Wachowski",),
        awards="Won 4 Oscars",
        production="Warner Bros.",
        website="https://whatisthematrix.example/",
    )
    app, _ = make_app(store=store_with(movie))
    async with client(app) as http:
        response, page = await get(http, links.movie_page(movie.id))
    text = response.text
    assert response.status_code == 200
    for shown in (
        "The Matrix",
        "A hacker learns what the world is.",
        "2 h 16 min",
        "$172,076,928",
        "2,000,000 votes",
        "73/100",
        "Won 4 Oscars",
        "Warner Bros.",
        "31 March 1999",
        "Lilly Wachowski",
        "English",
        "United States",
        "Rated R",
    ):
        assert shown in text
    for target in (
        "/?director=Lana+Wachowski",
        "/?actor=Keanu+Reeves",
        "/?genre=Sci-Fi",
        "/?year=1999",
        "/?type=movie",
        "https://whatisthematrix.example/",
    ):
        assert target in page.links
    assert [image["src"] for image in page.images] == [
        links.poster(movie.id, "https://posters.example/matrix.jpg")
    ]
    assert 'id="refresh"' in text
    assert 'id="delete"' in text


@pytest.mark.parametrize("movie_id", ["tt9999999", "not-an-id", "tt123"])
async def test_an_unknown_movie_is_a_404_page(movie_id: str) -> None:
    app, _ = make_app()
    async with client(app) as http:
        response = await http.get(links.movie_page(movie_id))
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Back to the catalogue" in response.text


async def test_html_and_quotes_in_titles_and_plots_render_as_text() -> None:
    movie = replace(stored_movie("tt0000666", NASTY), plot=f"{NASTY} <img src=x onerror=alert(1)>")
    app, _ = make_app(store=store_with(movie))
    async with client(app) as http:
        for url in ("/", links.movie_page(movie.id), "/?q=quotes"):
            response, page = await get(http, url)
            assert "<script>alert" not in response.text
            assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;Quotes&#34;" in (
                response.text
            )
            assert page.inline_handlers == []


# --- the add page ----------------------------------------------------------------------------


DUNES = [
    omdb_record("tt0087182", "Dune", 1984, Poster="https://posters.example/d84.jpg"),
    omdb_record("tt1160419", "Dune", 2021, Poster="https://posters.example/d21.jpg"),
    omdb_record("tt9100011", "Dune", 2000, type="series"),
]


async def test_the_add_page_searches_omdb_without_javascript_and_marks_stored_hits() -> None:
    stored = replace(stored_movie("tt0087182", "Dune", 1984), poster_url=str(DUNES[0]["Poster"]))
    app, _ = make_app(store=store_with(stored), omdb=FakeOmdb(DUNES))
    async with client(app) as http:
        response, page = await get(http, f"{links.ADD}?q=dune")
    assert response.status_code == 200
    assert "3 results on OMDb" in response.text
    assert response.text.count("In the catalogue") == 1
    assert "2000 · series" in response.text
    assert links.movie_page("tt0087182") in page.links
    assert 'data-add="tt1160419"' in response.text
    # Only the stored hit's poster can come through the service; the other is drawn.
    assert [image["src"] for image in page.images] == [
        links.poster("tt0087182", str(DUNES[0]["Poster"]))
    ]


async def test_the_add_page_counts_against_the_search_limit_and_says_so() -> None:
    omdb = FakeOmdb(DUNES)
    app, _ = make_app(omdb=omdb, lookup_rate_limit="1/minute")
    async with client(app) as http:
        await http.get(f"{links.ADD}?q=dune")
        response = await http.get(f"{links.ADD}?q=dune+2021")
    assert "too many searches" in response.text
    assert len(omdb.calls) == 1


async def test_an_omdb_failure_on_the_add_page_is_told_in_words() -> None:
    app, _ = make_app(omdb=FakeOmdb(fail_with=OmdbUnavailable("OMDb answered 500")))
    async with client(app) as http:
        response = await http.get(f"{links.ADD}?q=dune")
    assert response.status_code == 200
    assert "OMDb could not be searched" in response.text


async def test_with_keys_required_the_add_page_asks_nothing_of_omdb_itself() -> None:
    omdb = FakeOmdb(DUNES)
    app, _ = make_app(omdb=omdb, require_key_for_add=True)
    async with client(app) as http:
        response = await http.get(f"{links.ADD}?q=dune")
    assert "needs an API key" in response.text
    assert omdb.calls == []


# --- what every UI response carries ----------------------------------------------------------


async def test_every_ui_response_has_the_strict_policy_and_no_inline_script() -> None:
    app, _ = make_app(store=store_with(*numbered(2)))
    async with client(app) as http:
        for url in ("/", links.movie_page("tt1000000"), links.ADD, "/?year=abc", "/ui/movies/x"):
            response, page = await get(http, url)
            assert response.headers["content-security-policy"].startswith(POLICY), url
            assert response.headers["x-content-type-options"] == "nosniff"
            assert all(script.get("src") for script in page.scripts)
            assert page.styled == []
            assert page.inline_handlers == []
        for asset in ASSETS.values():
            response = await http.get(asset.url)
            assert response.status_code == 200
            assert response.headers["content-security-policy"].startswith(POLICY)
            assert response.headers["content-type"] == asset.content_type
            assert response.content == asset.body


async def test_pages_stay_under_fifty_kilobytes_before_posters() -> None:
    app, _ = make_app(store=store_with(*numbered(60)))
    async with client(app) as http:
        html = (await http.get("/")).content
    assets = sum(len(asset.body) for asset in ASSETS.values())
    assert len(html) + assets < 50_000


async def test_an_unknown_static_file_is_a_404() -> None:
    app, _ = make_app()
    async with client(app) as http:
        response = await http.get(f"{links.STATIC}/nope.js")
    assert response.status_code == 404


async def test_the_ui_is_not_in_the_api_documentation() -> None:
    app, _ = make_app()
    async with client(app) as http:
        paths = (await http.get("/openapi.json")).json()["paths"]
    assert not [path for path in paths if path == "/" or path.startswith(links.PREFIX)]


def test_a_process_that_serves_only_the_api_never_loads_the_templates_or_httpx(
    tmp_path: Path,
) -> None:
    probe = (
        "import sys; from movies_api.bootstrap import build_app;"
        "from movies_api.settings import Settings;"
        f"build_app(Settings(database_url='sqlite:///{tmp_path}/x.db', seed_on_startup=False));"
        "print(sorted(m for m in ('jinja2', 'httpx') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# --- addresses -------------------------------------------------------------------------------


def test_json_links_become_catalogue_links() -> None:
    assert links.from_api("/movies?page=1&limit=24") == "/"
    assert links.from_api("/movies?q=dune&page=2&limit=24") == "/?q=dune&page=2"
    assert links.from_api("/movies?page=2&limit=10") == "/?page=2&limit=10"
    assert links.from_api(None) is None


def test_poster_versions_are_fnv1a_as_the_script_computes_them() -> None:
    # Reference values of 32-bit FNV-1a; app.js's ``version`` must give the same.
    assert links.poster("tt0000001", "a").endswith("?v=e40c292c")
    assert links.poster("tt0000001", "foobar").endswith("?v=bf9cf968")
    assert re.search(r"Math\.imul\(hash \^ byte, 0x01000193\)", ASSETS["app.js"].body.decode())


def test_the_order_menu_offers_every_sort() -> None:
    assert {*SORT_LABELS, "relevance"} == set(SORTS)


def test_placeholder_colours_follow_the_id() -> None:
    assert links.hue("tt0000013") == 1
    assert {links.hue(f"tt{n:07d}") for n in range(24)} == set(range(links.HUES))


async def test_rendering_a_page_fetches_no_poster() -> None:
    # The browser asks for posters; the page itself only names their addresses.
    posters = FakePosters()
    app, _ = make_app(store=store_with(*numbered(2)), posters=posters)
    async with client(app) as http:
        await http.get("/")
    assert posters.fetched == []
