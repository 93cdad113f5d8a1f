"""The web UI and the poster proxy on a real server, the OMDb simulator behind it: posters
come from the simulator once and then from memory; failures are 404s the UI draws over."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from movies_api.ui import links
from tests.conftest import free_port
from tests.integration.ui_service import ADDABLE, NO_POSTER, SEEDED, UiService, ui_service


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiService]:
    with ui_service(tmp_path_factory.mktemp("ui-http")) as running:
        yield running


def poster_requests(service: UiService) -> int:
    stats = httpx.get(service.simulator.process.url + "/__sim/stats", timeout=10).json()
    return int(stats["posters"])


def poster_src(html: str) -> str | None:
    found = re.search(r'<img src="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_the_grid_lists_the_catalogue_with_titles_escaped(service: UiService) -> None:
    response = httpx.get(service.url + "/", timeout=10)
    assert response.status_code == 200
    cards = re.findall(r'class="card-link" href="/ui/movies/(tt\d+)"', response.text)
    assert sorted(cards) == sorted(SEEDED)
    assert "&#34;Crocodile&#34; Dundee" in response.text
    assert "Mr. &amp; Mrs. Smith" in response.text
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_a_poster_is_fetched_from_its_host_once(service: UiService) -> None:
    page = httpx.get(service.url + links.movie_page("tt0133093"), timeout=10).text
    src = poster_src(page)
    assert src is not None
    before = poster_requests(service)
    answers = [httpx.get(service.url + src, timeout=10) for _ in range(3)]
    assert {answer.status_code for answer in answers} == {200}
    assert answers[0].headers["content-type"] == "image/svg+xml"
    assert answers[0].content.startswith(b"<svg")
    assert "The Matrix" in answers[0].text
    assert answers[0].headers["cache-control"].startswith("public, max-age=")
    assert poster_requests(service) - before == 1
    again = httpx.get(
        service.url + src, headers={"If-None-Match": answers[0].headers["etag"]}, timeout=10
    )
    assert again.status_code == 304


def test_a_movie_without_a_poster_has_a_drawn_one_and_a_404(service: UiService) -> None:
    page = httpx.get(service.url + links.movie_page(NO_POSTER), timeout=10).text
    assert poster_src(page) is None
    assert '<span class="ph-title">Untitled Lost Reel</span>' in page
    response = httpx.get(f"{service.url}/movies/{NO_POSTER}/poster", timeout=10)
    assert response.status_code == 404
    assert response.json()["type"] == "/problems/poster-not-found"


def test_a_poster_host_that_fails_is_a_404_and_a_new_address(service: UiService) -> None:
    movie = "tt0078748"
    before = poster_src(httpx.get(service.url + links.movie_page(movie), timeout=10).text)
    gone = f"http://127.0.0.1:{free_port()}/alien.jpg"  # nothing listens there
    httpx.post(
        f"{service.simulator.process.url}/__sim/records/{movie}", json={"Poster": gone}, timeout=10
    ).raise_for_status()
    try:
        refreshed = httpx.post(
            f"{service.url}/movies/{movie}/refresh",
            headers={"Authorization": f"Bearer {service.key}"},
            timeout=30,
        )
        assert refreshed.status_code == 200
        assert refreshed.json()["poster_url"] == gone
        after = poster_src(httpx.get(service.url + links.movie_page(movie), timeout=10).text)
        response = httpx.get(service.url + str(after), timeout=30)
    finally:
        httpx.post(service.simulator.process.url + "/__sim/reset", timeout=10)
    assert after != before  # browsers holding the old image ask for the new one
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_a_movie_added_through_the_api_has_its_page_at_once(service: UiService) -> None:
    added = httpx.post(f"{service.url}/movies", json={"id": ADDABLE}, timeout=30)
    assert added.status_code == 201
    page = httpx.get(service.url + links.movie_page(ADDABLE), timeout=10)
    assert page.status_code == 200
    assert "<h1>Dune" in page.text
    grid = httpx.get(service.url + "/?q=dune", timeout=10).text
    assert links.movie_page(ADDABLE) in grid


def test_head_and_unknown_ui_paths(service: UiService) -> None:
    assert httpx.head(service.url + "/", timeout=10).status_code == 200
    missing = httpx.get(service.url + links.movie_page("tt0000001"), timeout=10)
    assert missing.status_code == 404
    assert "text/html" in missing.headers["content-type"]
