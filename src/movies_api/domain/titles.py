"""Title keys for ordering and matching (contract §1).

The key is computed in Python and stored, so SQLite and PostgreSQL compare the
same code points and give identical pages whatever their collations do.
"""

from __future__ import annotations

import unicodedata


def sort_key(title: str) -> str:
    """NFKD, combining marks dropped, casefolded: ``Amélie``, ``amelie`` and ``AMELIE`` tie."""
    decomposed = unicodedata.normalize("NFKD", title)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold()


def match_key(title: str) -> str:
    """The sort key with white space trimmed and inner runs collapsed, for look-ups by title."""
    return " ".join(sort_key(title).split())
