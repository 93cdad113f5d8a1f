"""Every error as RFC 9457 problem+json, mapped from the service errors in one place."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.routing import Match

from movies_api.logs import Throttle
from movies_api.services.errors import (
    AmbiguousTitle,
    CatalogueError,
    InvalidCursor,
    MovieAlreadyExists,
    MovieNotFound,
    PosterUnavailable,
    StorageUnavailable,
    UpstreamFailed,
    UpstreamNotFound,
    UpstreamRefused,
    UpstreamTimedOut,
)

PROBLEM_JSON = "application/problem+json"
# nginx's "client closed request": what the metrics and the access log show for a request
# whose client went away before it was answered (no one receives it).
CLIENT_CLOSED = 499
MAX_DETAIL = 500
log = logging.getLogger("movies_api.http")


ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]


class Problem(Exception):
    """Raise to answer with a problem; extra keyword arguments become extension members."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.headers = headers or {}
        self.extensions = extensions

    def body(self) -> bytes:
        """The problem document's bytes."""
        return problem_body(self.status, self.detail, self.kind, **self.extensions)


def problem_body(status: int, detail: str, kind: str | None = None, **extensions: Any) -> bytes:
    """The problem document's bytes; ``kind`` names a documented problem type."""
    document: dict[str, Any] = {
        "type": f"/problems/{kind}" if kind else "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    document.update(extensions)
    return orjson.dumps(document)


def problem_response(problem: Problem) -> Response:
    """``problem`` as the ``application/problem+json`` response sent to the client."""
    return Response(
        problem.body(), problem.status, headers=problem.headers, media_type=PROBLEM_JSON
    )


# Service errors → (status, problem type). Upstream statuses follow contract §2.
_STATUS: dict[type[CatalogueError], tuple[int, str]] = {
    MovieNotFound: (404, "movie-not-found"),
    PosterUnavailable: (404, "poster-not-found"),
    UpstreamNotFound: (404, "omdb-title-not-found"),
    UpstreamFailed: (502, "omdb-failed"),
    UpstreamTimedOut: (504, "omdb-timeout"),
    UpstreamRefused: (503, "omdb-unavailable"),
    StorageUnavailable: (503, "database-unavailable"),
}


def problem_for(error: CatalogueError) -> Problem:
    """The problem a service error is answered with."""
    if isinstance(error, AmbiguousTitle):
        candidates = [{"id": c.id, "title": c.title, "year": c.year} for c in error.candidates]
        return Problem(
            300,
            f"{len(candidates)} movies match that title; add a year to choose one",
            kind="ambiguous-title",
            candidates=candidates,
        )
    if isinstance(error, MovieAlreadyExists):
        location = f"/movies/{error.movie_id}"
        return Problem(
            409, str(error), kind="movie-exists", headers={"Location": location}, id=error.movie_id
        )
    if isinstance(error, InvalidCursor):
        errors = [
            {"in": "query", "name": "cursor", "detail": str(error), "loc": ["query", "cursor"]}
        ]
        return Problem(422, "invalid cursor", kind="validation-error", errors=errors)
    for kind, (status, slug) in _STATUS.items():
        if isinstance(error, kind):
            return Problem(status, shortened(str(error)), kind=slug)
    return Problem(500, "the catalogue failed unexpectedly", kind="internal")


def shortened(detail: str, limit: int = MAX_DETAIL) -> str:
    """``detail`` cut to ``limit`` characters: errors quote what the client sent (a title
    of 16 KiB in a query string), and neither the answer nor the log needs all of it."""
    return detail if len(detail) <= limit else detail[: limit - 1] + "…"


def _validation_errors(error: RequestValidationError) -> list[dict[str, Any]]:
    found = []
    for item in error.errors():
        location = [str(part) for part in item.get("loc", ())]
        found.append(
            {
                "in": location[0] if location else "request",
                "name": (".".join(location[1:]) or location[0]) if location else "",
                "detail": item.get("msg", "invalid"),
                "loc": location,
            }
        )
    return found


async def _on_problem(_request: Request, error: Exception) -> Response:
    assert isinstance(error, Problem)
    return problem_response(error)


def _catalogue_error_handler() -> ErrorHandler:
    """The handler of service errors; each app has its own ``Throttle`` of their log lines."""
    throttle = Throttle()

    async def on_catalogue_error(_request: Request, error: Exception) -> Response:
        assert isinstance(error, CatalogueError)
        problem = problem_for(error)
        if problem.status >= 500:
            cause = error.__cause__
            held = throttle.allow((type(error), type(cause)))
            if held is not None:
                log.warning(
                    "%s: %s%s%s",
                    type(error).__name__,
                    error,
                    f" ({cause_of(cause)})" if cause is not None else "",
                    f"; {held} more like it since the last such line" if held else "",
                )
        return problem_response(problem)

    return on_catalogue_error


def cause_of(error: BaseException) -> str:
    """What failed underneath, for operators: the driver's own error when SQLAlchemy wraps
    one (its text would add the statement and its parameters), cut short."""
    original = getattr(error, "orig", None) or error
    return f"{type(original).__name__}: {original}"[:300]


async def _on_validation(_request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    errors = _validation_errors(error)
    names = ", ".join(sorted({e["name"] for e in errors if e["name"]}))
    detail = f"invalid {names}" if names else "the request is invalid"
    return problem_response(Problem(422, detail, kind="validation-error", errors=errors))


async def _on_http(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    detail = error.detail if isinstance(error.detail, str) else HTTPStatus(error.status_code).phrase
    headers = dict(error.headers or {})
    if error.status_code == 404 and detail == "Not Found":
        detail = "no such route"
    elif error.status_code == 405:
        headers["Allow"] = allowed_methods(request)
    return problem_response(Problem(error.status_code, detail, headers=headers))


def allowed_methods(request: Request) -> str:
    """Every method of the path the request names (contract §2: a 405's ``Allow``).

    Starlette names only the first route that matched, but ``GET /movies`` and
    ``POST /movies`` are two routes. The documented paths decide, the most literal one
    first (``/movies/by-title`` is not ``/movies/{movie_id}``, although both match it);
    an undocumented path (``/docs``) is tried against the routing table, method by
    method. ``HEAD`` goes wherever ``GET`` does (``http.guard``).
    """
    path = request.scope["path"]
    documented = [
        (template.count("{"), operations)
        for template, operations in request.app.openapi().get("paths", {}).items()
        if _template(template).fullmatch(path)
    ]
    methods: set[str]
    if documented:
        _params, operations = min(documented, key=lambda found: found[0])
        methods = {method.upper() for method in operations if method.upper() in _METHODS}
    else:
        routes = request.app.router.routes
        methods = {
            method
            for method in _METHODS
            if any(
                route.matches({**request.scope, "method": method})[0] is Match.FULL
                for route in routes
            )
        }
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


@functools.lru_cache(maxsize=64)
def _template(template: str) -> re.Pattern[str]:
    """An OpenAPI path template as a pattern: each ``{parameter}`` one path segment."""
    return re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)))


_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


async def _on_client_gone(_request: Request, _error: Exception) -> Response:
    # Nobody is left to read this; the access log's one line (status 499) is the record.
    return Response(status_code=CLIENT_CLOSED)


async def _on_unexpected(_request: Request, error: Exception) -> Response:
    log.error("unhandled error", exc_info=error)
    # Answered by Starlette's outermost middleware, outside ``http.guard``: the headers
    # every error carries are set here.
    return problem_response(
        Problem(
            500,
            "the server failed unexpectedly; it was logged",
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )
    )


def install(app: FastAPI) -> ErrorHandler:
    """Register the handlers: everything the app answers with an error goes through here.

    Returns the handler of service errors, for middleware answering before the routes.
    """
    on_catalogue_error = _catalogue_error_handler()
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(CatalogueError, on_catalogue_error)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(ClientDisconnect, _on_client_gone)
    app.add_exception_handler(Exception, _on_unexpected)
    return on_catalogue_error
