"""Templates, static files and the headers every UI response carries."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any, Final

from movies_api.ui import links

if TYPE_CHECKING:
    from fastapi.templating import Jinja2Templates

# No inline script or style anywhere, no frame around the pages, images only from here
# (posters come through GET /movies/{id}/poster) or drawn in data: URLs.
POLICY: Final = (
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)
HEADERS: Final = {
    "Content-Security-Policy": POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
HTML: Final = "text/html; charset=utf-8"
_TYPES: Final = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@functools.cache
def templates() -> Jinja2Templates:
    """The templates, loaded on the first page: Jinja2's import (~30 ms) is not paid by a
    cold start that only serves the JSON API."""
    from fastapi.templating import Jinja2Templates
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Jinja2Templates(
        env=Environment(
            loader=PackageLoader("movies_api.ui", "templates"),
            autoescape=select_autoescape(default=True),  # every value is escaped, always
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
    )


@dataclass(frozen=True, slots=True)
class Asset:
    """A static file, read once: its bytes, type, tag and versioned address."""

    body: bytes
    content_type: str
    etag: str
    url: str


def _assets() -> dict[str, Asset]:
    found: dict[str, Asset] = {}
    for entry in resources.files("movies_api.ui").joinpath("static").iterdir():
        suffix = "." + entry.name.rpartition(".")[2]
        if suffix not in _TYPES:
            continue
        body = entry.read_bytes()
        digest = hashlib.blake2b(body, digest_size=6).hexdigest()
        url = f"{links.STATIC}/{entry.name}?v={digest}"
        found[entry.name] = Asset(body, _TYPES[suffix], f'"{digest}"', url)
    return found


ASSETS: Final = _assets()


def render(template: str, **context: Any) -> bytes:
    """A page's HTML, with what every page needs (asset addresses, the page links)."""
    page = templates().get_template(template)
    return page.render(assets=ASSETS, links=links, **context).encode()
