"""The FastAPI application, assembled from what the composition root built."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from movies_api import __version__
from movies_api.http import problems
from movies_api.http.middleware import ObserveRequests
from movies_api.http.routes import movies, ops

if TYPE_CHECKING:
    from movies_api.bootstrap import Container

DESCRIPTION = """
A catalogue of movies filled from [OMDb](https://www.omdbapi.com/).

Reads are open. Deleting needs an API key with the `movies:delete` scope
(`Authorization: Bearer <key>` or `X-API-Key: <key>`); use **Authorize** above.
Errors are RFC 9457 `application/problem+json` documents.
"""


def create_app(
    container: Container, lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]]
) -> FastAPI:
    """Wire routes, error handlers and middleware around the container's services."""
    app = FastAPIOffline(
        title="Movies API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    problems.install(app)
    app.include_router(
        movies.build_router(
            catalogue=container.catalogue,
            cache=container.cache,
            keys=container.keys,
            limiter=container.limiter,
            require_key_for_add=container.settings.require_key_for_add,
        )
    )
    app.include_router(
        ops.build_router(
            ping=container.ping, seed_status=container.seed_status, stats=container.stats
        )
    )
    app.add_middleware(
        ObserveRequests,
        stats=container.stats,
        project=container.settings.google_cloud_project,
        access_logs=container.settings.access_log,
    )
    return app
