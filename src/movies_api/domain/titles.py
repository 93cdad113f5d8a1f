"""Title keys for ordering and matching (contract §1), and the words search compares (§2).

Keys and words are computed in Python and stored, so SQLite and PostgreSQL compare
the same code points and give identical answers whatever their collations or text
parsers would do.
"""

from __future__ import annotations

import re
import unicodedata

# A word is a run of letters and digits: ``\w`` is exactly those plus the underscore.
_WORD = re.compile(r"[^\W_]+")


def sort_key(title: str) -> str:
    """NFKD, combining marks dropped, casefolded: ``Amélie``, ``amelie`` and ``AMELIE`` tie."""
    if title.isascii():  # nothing to decompose or drop: most titles, at a tenth of the cost
        return title.casefold()
    decomposed = unicodedata.normalize("NFKD", title)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold()


def match_key(title: str) -> str:
    """The sort key with white space trimmed and inner runs collapsed, for look-ups by title."""
    return " ".join(sort_key(title).split())


def words(text: str) -> list[str]:
    """The words of ``text`` as search compares them (contract §2): runs of letters and
    digits of its sort key, so ``Amélie's`` gives ``["amelie", "s"]``."""
    return _WORD.findall(sort_key(text))
