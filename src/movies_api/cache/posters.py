"""Fetched poster images kept in process, bounded in bytes, keyed by their URL.

Keyed by URL rather than movie id: a refresh that gives a movie a new poster URL misses
and fetches the new image, and nothing has to be invalidated. A failed fetch is remembered
for a short while, so a page of broken posters does not send one request per view to
the poster host.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

from cachetools import LRUCache

from movies_api.domain.poster import Poster

# What an entry costs beyond the image: the URL key, the tuple, the dict slot.
ENTRY_OVERHEAD: Final = 300
FAILURE_SECONDS: Final = 60.0

# An image, or the monotonic time until which a failed fetch is not retried.
_Entry = Poster | float


def _size(entry: _Entry) -> int:
    return ENTRY_OVERHEAD + (len(entry.body) if isinstance(entry, Poster) else 0)


class PosterCache:
    """An LRU of images (and of recent failures) that never holds more than ``max_bytes``."""

    def __init__(self, max_bytes: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._entries: LRUCache[str, _Entry] | None = (
            LRUCache(maxsize=max_bytes, getsizeof=_size) if max_bytes > 0 else None
        )
        self._clock = clock

    @property
    def bytes_held(self) -> int:
        """What the entries weigh now (never above the bound)."""
        return int(self._entries.currsize) if self._entries is not None else 0

    def get(self, url: str) -> Poster | None:
        """The image fetched from ``url``, if kept."""
        entry = self._entries.get(url) if self._entries is not None else None
        return entry if isinstance(entry, Poster) else None

    def failed_recently(self, url: str) -> bool:
        """Whether fetching ``url`` failed less than ``FAILURE_SECONDS`` ago."""
        entry = self._entries.get(url) if self._entries is not None else None
        return isinstance(entry, float) and entry > self._clock()

    def keep(self, url: str, poster: Poster) -> None:
        """Remember ``poster``; one larger than the whole bound is served, not kept."""
        self._put(url, poster)

    def note_failure(self, url: str) -> None:
        self._put(url, self._clock() + FAILURE_SECONDS)

    def _put(self, url: str, entry: _Entry) -> None:
        if self._entries is not None and _size(entry) <= self._entries.maxsize:
            self._entries[url] = entry
