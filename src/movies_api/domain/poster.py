"""A poster image as the service serves it: bytes fetched once, their type and their tag."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final

# What a browser may be sent as a poster: raster formats and SVG (served under a CSP that
# keeps an SVG's scripts from running when it is opened on its own).
IMAGE_TYPES: Final = frozenset(
    {"image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "image/svg+xml"}
)


@dataclass(frozen=True, slots=True)
class Poster:
    """An image's bytes, its content type, and a strong ETag derived from the bytes."""

    body: bytes
    content_type: str

    @property
    def etag(self) -> str:
        return f'"{hashlib.blake2b(self.body, digest_size=12).hexdigest()}"'
