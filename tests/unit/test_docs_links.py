"""The project's own documentation stands alone: every relative link in the README and
``docs/`` names a file inside the repository, so a user is never sent somewhere that a
clone does not hold."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|#)")


def relative_links(page: Path) -> list[str]:
    return [target for target in _LINK.findall(page.read_text()) if not _EXTERNAL.match(target)]


def test_the_pages_link_to_each_other() -> None:
    assert "docs/api.md" in relative_links(ROOT / "README.md")


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_is_a_file_in_the_repository(page: Path) -> None:
    for target in relative_links(page):
        resolved = (page.parent / target.split("#", 1)[0]).resolve()
        assert resolved.is_relative_to(ROOT), f"{target} leaves the repository"
        assert resolved.exists(), f"{target} does not exist"
