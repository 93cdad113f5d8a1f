"""The README's configuration table names every environment variable the service reads,
so a setting added to ``Settings`` without a line for people fails here."""

from __future__ import annotations

import re
from pathlib import Path

from movies_api.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_configuration_table_names_every_variable() -> None:
    text = README.read_text()
    table = text[text.index("## Configuration") :]
    table = table[: table.index("\n## ", 1)]
    named = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    assert "MOVIES_CACHE_BYTES" in Settings.variables()
    assert set(Settings.variables()) - named == set()
