"""The FastAPI application, assembled from what the composition root built."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi_offline import FastAPIOffline
from pydantic import SecretStr
from starlette.responses import HTMLResponse

from movies_api import __version__
from movies_api.http import problems
from movies_api.http.guard import EdgeGuard
from movies_api.http.middleware import ObserveRequests
from movies_api.http.routes import lookup, movies, ops, posters
from movies_api.ui import views as ui_views

if TYPE_CHECKING:
    from movies_api.bootstrap import Container

DESCRIPTION = """
A catalogue of movies filled from [OMDb](https://www.omdbapi.com/).

Reads are open. To add a movie, look it up first (`GET /omdb/search`) and add the hit
you mean by its id (`POST /movies` with `{"id": "tt…"}`). Refreshing a movie's details
needs an API key with the `movies:add` scope, deleting one the `movies:delete` scope
(`Authorization: Bearer <key>` or `X-API-Key: <key>`); use **Authorize** above.
Errors are RFC 9457 `application/problem+json` documents whose `type` names what went
wrong (every type is listed in the `ProblemOut` schema). Reads carry an `ETag`: send it
back in `If-None-Match` and an unchanged answer is a bodiless 304.
"""

# ReDoc's sidebar always loads Redocly's logo from their CDN; this policy keeps the page,
# and every request it makes, on this host (contract §2: no assets from a CDN), and no
# other site may frame it (clickjacking the Authorize dialog).
DOCS_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "worker-src 'self' blob:; frame-ancestors 'none'"
)
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
OFFLINE_ASSETS = "/static-offline-docs"  # where fastapi-offline serves its bundled files


def create_app(
    container: Container, lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]]
) -> FastAPI:
    """Wire routes, error handlers and middleware around the container's services."""
    app = FastAPIOffline(
        title="Movies API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # A redirect built from the request would take its host from the Host header
        # (contract §2): ``/movies/`` is a 404 like any other unknown path.
        redirect_slashes=False,
    )

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=None,  # keys are bearer tokens: no OAuth flow to return to
            swagger_js_url=f"{root}{OFFLINE_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{OFFLINE_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{OFFLINE_ASSETS}/favicon.png",
            swagger_ui_parameters=app.swagger_ui_parameters,
        )
        page.headers["Content-Security-Policy"] = _with_inline_scripts(page.body)
        return page

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{OFFLINE_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{OFFLINE_ASSETS}/favicon.png",
            with_google_fonts=False,
        )
        page.headers["Content-Security-Policy"] = DOCS_POLICY
        return page

    on_catalogue_error = problems.install(app)
    app.openapi = lambda: _problems_as_problem_json(FastAPI.openapi(app))  # type: ignore[method-assign]
    app.include_router(
        movies.build_router(
            catalogue=container.catalogue,
            cache=container.cache,
            keys=container.keys,
            limiter=container.limiter,
            require_key_for_add=container.settings.require_key_for_add,
        )
    )
    app.include_router(posters.build_router(posters=container.posters))
    app.include_router(
        lookup.build_router(
            lookup=container.lookup,
            keys=container.keys,
            limiter=container.lookup_limiter,
            require_key_for_add=container.settings.require_key_for_add,
        )
    )
    app.include_router(
        ops.build_router(
            ping=container.ping,
            seed_status=container.seed_status,
            stats=container.stats,
            metrics_token=_secret(container.settings.metrics_token),
        )
    )
    app.include_router(
        ui_views.build_router(
            catalogue=container.catalogue,
            lookup=container.lookup,
            lookup_limiter=container.lookup_limiter,
            cache=container.cache,
            require_key_for_add=container.settings.require_key_for_add,
        )
    )
    # Added first, so it runs inside ObserveRequests: its answers are counted and logged too.
    app.add_middleware(
        movies.CachedReads,
        cache=container.cache,
        catalogue=container.catalogue,
        on_error=on_catalogue_error,
    )
    app.add_middleware(
        ObserveRequests,
        stats=container.stats,
        project=container.settings.google_cloud_project,
        access_logs=container.settings.access_log,
    )
    app.add_middleware(EdgeGuard)  # outermost: its headers go on every answer, 500s included
    return app


def _with_inline_scripts(page: bytes | memoryview) -> str:
    """``DOCS_POLICY`` allowing exactly the page's own inline scripts, by their hashes.

    Swagger UI starts from an inline script; ``'unsafe-inline'`` would allow any injected one.
    """
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(bytes(page).decode())
    )
    return f"{DOCS_POLICY}; script-src 'self' {hashes}"


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def _problems_as_problem_json(document: dict[str, Any]) -> dict[str, Any]:
    """Document error responses under the media type they are sent with.

    FastAPI files every response model under ``application/json``; errors here are always
    ``application/problem+json``, so their schemas move there (once: FastAPI caches the result).
    """
    for operation in (op for path in document.get("paths", {}).values() for op in path.values()):
        for status, response in operation.get("responses", {}).items():
            content = response.get("content", {})
            if (
                status[:1] in "345"
                and problems.PROBLEM_JSON in content
                and "application/json" in content
            ):
                # Merged: the route's own entry holds the examples, FastAPI's the schema.
                content[problems.PROBLEM_JSON] = {
                    **content.pop("application/json"),
                    **content[problems.PROBLEM_JSON],
                }
    return document
