"""``/docs`` and ``/redoc`` in a real headless Chromium against a real server: they render
the operations with no request leaving 127.0.0.1 (contract §2: no assets from a CDN)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Request

from tests.conftest import free_port
from tests.processes import Process, start_server
from tests.reference_catalogue import TRICKY_MOVIES, populate_sync

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium")]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
OPERATIONS = ("/movies", "/movies/by-title", "/movies/{movie_id}", "/healthz", "/readyz")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    directory = tmp_path_factory.mktemp("docs")
    database_url = f"sqlite:///{directory}/catalogue.db"
    populate_sync(database_url, TRICKY_MOVIES[:3])
    process = start_server(
        directory,
        {
            "MOVIES_DATABASE_URL": database_url,
            "MOVIES_SEED_ON_STARTUP": "false",
            "MOVIES_REDIS_URL": "",
            "MOVIES_OMDB_API_KEY": "",
            "MOVIES_OMDB_BASE_URL": f"http://127.0.0.1:{free_port()}/",
        },
    )
    try:
        yield process
    finally:
        process.terminate()


class RecordedPage:
    """A fresh page that records every request it makes and how each failed, if it did."""

    def __init__(self, browser: Browser) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page: Page = self.context.new_page()
        self.requests: list[str] = []
        self.failures: dict[str, str | None] = {}
        self.page.on("request", self._note)
        self.page.on("requestfailed", self._note_failure)

    def _note(self, request: Request) -> None:
        self.requests.append(request.url)

    def _note_failure(self, request: Request) -> None:
        self.failures[request.url] = request.failure

    def blocked_by_policy(self, url: str) -> bool:
        """Refused by the page's Content-Security-Policy: it never reached the network."""
        return self.failures.get(url) == "csp"

    def foreign_requests(self) -> list[str]:
        """Requests that left for anything but 127.0.0.1 (``data:``, ``blob:`` stay inside)."""
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme not in ("data", "blob")
            and urlsplit(url).hostname != "127.0.0.1"
            and not self.blocked_by_policy(url)
        ]

    def failed_requests(self) -> list[str]:
        return [url for url in self.failures if not self.blocked_by_policy(url)]

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def recorded(browser: Browser) -> Iterator[RecordedPage]:
    page = RecordedPage(browser)
    try:
        yield page
    finally:
        page.close()


def test_swagger_ui_lists_every_operation_offline(server: Process, recorded: RecordedPage) -> None:
    page = recorded.page
    page.goto(f"{server.url}/docs", wait_until="networkidle")
    page.wait_for_selector(".opblock", timeout=15_000)
    summaries = page.locator(".opblock-summary-path").all_inner_texts()
    shown = {text.replace("\u200b", "").strip() for text in summaries}
    assert set(OPERATIONS) <= shown
    methods = {
        text.strip().upper() for text in page.locator(".opblock-summary-method").all_inner_texts()
    }
    assert {"GET", "POST", "DELETE"} <= methods
    assert page.locator(".btn.authorize").count() == 1  # the key schemes are offered
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "docs.png"), full_page=True)
    assert recorded.foreign_requests() == []
    assert recorded.failed_requests() == []
    assert any(url.endswith("/openapi.json") for url in recorded.requests)


def test_redoc_renders_the_operations_offline(server: Process, recorded: RecordedPage) -> None:
    page = recorded.page
    page.goto(f"{server.url}/redoc", wait_until="networkidle")
    page.wait_for_selector("[data-section-id^='operation/']", timeout=15_000)
    text = page.inner_text("body")
    for summary in (
        "A page of the catalogue: search, filters and sort",
        "One movie by its IMDb id",
    ):
        assert summary in text
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "redoc.png"), full_page=True)
    assert recorded.foreign_requests() == []
    assert recorded.failed_requests() == []
