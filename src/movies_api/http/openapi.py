"""What each route answers, as ``/openapi.json`` documents it for ``/docs`` and ``/redoc``.

The routes declare their responses with these helpers, so every status carries a
description of when it happens, the headers a client acts on (``ETag``, ``Link``,
``Location``, ``Retry-After``, ``WWW-Authenticate``) and a realistic example. The
movie and page examples are built from the schemas' own field examples, so the two
cannot drift apart.
Documentation only: nothing here changes what a route sends.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Final

from pydantic import BaseModel

from movies_api.http.problems import PROBLEM_JSON
from movies_api.http.schemas import MovieOut, MoviePage, ProblemOut, field_examples

Responses = dict[int | str, dict[str, Any]]


def _header(description: str, example: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "string"}, "example": example}


ETAG: Final = _header(
    "The version of this body. Send it back in `If-None-Match`: while it is unchanged the "
    "answer is a bodiless 304.",
    '"3991c282cbfd51cf92d26b4c"',
)
CACHE_CONTROL_READ: Final = _header(
    "`no-cache`: a copy may be kept, but revalidated (with `If-None-Match`) before each "
    "use, since any write may change any page.",
    "no-cache",
)
CACHE_CONTROL_NO_STORE: Final = _header(
    "`no-store`: the `stored` flags hold only at the moment of the answer.", "no-store"
)
LINK: Final = _header(
    "The body's `links` as RFC 8288 links: `self`, `first`, `prev`, `next`, `last`, each "
    "present when not null.",
    '</movies?q=matrix&page=1&limit=2>; rel="self", </movies?q=matrix&page=1&limit=2>; '
    'rel="first", </movies?q=matrix&page=2&limit=2>; rel="next", '
    '</movies?q=matrix&page=2&limit=2>; rel="last"',
)
LOCATION_CREATED: Final = _header("Where the new movie is: `/movies/{id}`.", "/movies/tt0133093")
LOCATION_EXISTING: Final = _header(
    "Where the movie already stored is: `/movies/{id}`.", "/movies/tt0133093"
)
RETRY_AFTER: Final = _header("Seconds until the limit admits this client's next request.", "17")
WWW_AUTHENTICATE: Final = _header(
    "`Bearer`: send the key as `Authorization: Bearer <key>` (or `X-API-Key: <key>`).", "Bearer"
)

THE_MATRIX: Final = field_examples(MovieOut)

# One realistic problem document per problem type: (status, detail, extension members).
_PROBLEMS: Final[dict[str, tuple[int, str, dict[str, Any]]]] = {
    "validation-error": (
        422,
        "invalid year",
        {
            "errors": [
                {
                    "in": "query",
                    "name": "year",
                    "detail": "must be a year: an integer from 1800 to 9999",
                    "loc": ["query", "year"],
                }
            ]
        },
    ),
    "ambiguous-title": (
        300,
        "2 movies match that title; add a year to choose one",
        {
            "candidates": [
                {"id": "tt0087182", "title": "Dune", "year": 1984},
                {"id": "tt1160419", "title": "Dune", "year": 2021},
            ]
        },
    ),
    "movie-not-found": (404, "no movie with id tt0133093", {}),
    "poster-not-found": (404, "movie tt9100014 has no poster", {}),
    "movie-exists": (409, "movie tt0133093 is already in the catalogue", {"id": "tt0133093"}),
    "unauthorised": (401, "an API key is required: send 'Authorization: Bearer <key>'", {}),
    "forbidden": (403, "this key lacks the movies:delete scope", {}),
    "rate-limited": (429, "too many add requests: at most 30/minute per client", {}),
    "omdb-title-not-found": (404, "OMDb has no title 'No Such Film Anywhere'", {}),
    "omdb-failed": (502, "OMDb failed to answer title 'The Matrix' (HTTP 500; 3 attempts)", {}),
    "omdb-timeout": (504, "OMDb did not answer title 'The Matrix' within 10 s", {}),
    "omdb-unavailable": (503, "OMDb refused the service's key: Request limit reached!", {}),
    "database-unavailable": (503, "the database did not answer in time; nothing changed", {}),
    "not-ready": (
        503,
        "the database does not answer",
        {"seed": {"state": "running", "target": 100, "fetched": 40, "attempts": 1}},
    ),
}


def problem_example(kind: str) -> dict[str, Any]:
    """A problem document of type ``kind`` as the service sends it."""
    status, detail, extensions = _PROBLEMS[kind]
    return {**plain_problem(status, detail, f"/problems/{kind}"), **extensions}


def plain_problem(status: int, detail: str, type: str = "about:blank") -> dict[str, Any]:
    """A problem document whose status says it all (``about:blank``), as the service sends it."""
    return {"type": type, "title": HTTPStatus(status).phrase, "status": status, "detail": detail}


def problem(
    status: int,
    when: str,
    *kinds: str,
    model: type[BaseModel] = ProblemOut,
    headers: dict[str, Any] | None = None,
    example: dict[str, Any] | None = None,
) -> Responses:
    """An error response: ``when`` it happens, an example of each problem type it may carry
    (or ``example``, for a problem of no documented type)."""
    content: dict[str, Any] = {}
    if example is not None:
        content["example"] = example
    elif len(kinds) == 1:
        content["example"] = problem_example(kinds[0])
    elif kinds:
        content["examples"] = {kind: {"value": problem_example(kind)} for kind in kinds}
    response: dict[str, Any] = {
        "model": model,
        "description": when,
        "content": {PROBLEM_JSON: content},
    }
    if headers:
        response["headers"] = headers
    return {status: response}


def success(
    status: int, when: str, *, example: Any = None, headers: dict[str, Any] | None = None
) -> Responses:
    """A success response: ``when`` it happens, its headers and an example body."""
    response: dict[str, Any] = {"description": when}
    if example is not None:
        response["content"] = {"application/json": {"example": example}}
    if headers:
        response["headers"] = headers
    return {status: response}


NOT_MODIFIED: Final = success(
    304,
    "The `If-None-Match` header names this body's current `ETag`: nothing changed since, "
    "so no body is sent.",
    headers={"ETag": ETAG, "Cache-Control": CACHE_CONTROL_READ},
)
READ_HEADERS: Final = {"ETag": ETAG, "Cache-Control": CACHE_CONTROL_READ}
UNAUTHORISED: Final = problem(
    401,
    "The API key is missing, malformed, unknown or revoked. Checked before anything else.",
    "unauthorised",
    headers={"WWW-Authenticate": WWW_AUTHENTICATE},
)
DATABASE_UNAVAILABLE: Final = problem(
    503, "The database did not answer in time; nothing changed.", "database-unavailable"
)
INVALID_ID: Final = problem(
    422, "The id is not an IMDb id (`tt` and 7 to 10 digits).", "validation-error"
)


def forbidden(scope: str) -> Responses:
    """403 for a valid key without ``scope``."""
    return problem(403, f"The API key is valid but lacks the `{scope}` scope.", "forbidden")


def omdb_failures(after: str) -> Responses:
    """502/503/504 for OMDb failing; ``after`` says what stays unchanged."""
    return {
        **problem(
            502,
            f"OMDb answered with an error or a malformed body, or could not be reached. {after}",
            "omdb-failed",
        ),
        **problem(
            503,
            "OMDb refuses the service's key, its daily quota is spent, or the service has "
            f"no OMDb key; or the database did not answer. {after}",
            "omdb-unavailable",
            "database-unavailable",
        ),
        **problem(504, f"OMDb did not answer in time. {after}", "omdb-timeout"),
    }


def rate_limited(variable: str) -> Responses:
    """429 for a client over the limit ``variable`` sets."""
    return problem(
        429,
        f"This client made more of these requests than `{variable}` allows; every request "
        "that reaches the check counts.",
        "rate-limited",
        headers={"Retry-After": RETRY_AFTER},
    )


def page_example() -> dict[str, Any]:
    """A real first page of a search: ``GET /movies?q=matrix&limit=2``."""
    reloaded = {
        **THE_MATRIX,
        "id": "tt0234215",
        "title": "The Matrix Reloaded",
        "year": 2003,
        "released": "2003-05-15",
        "runtime_minutes": 138,
        "plot": "Freedom fighters Neo, Trinity and Morpheus continue to lead the revolt "
        "against the Machine Army, unleashing their arsenal of extraordinary skills and "
        "weaponry against the systematic forces of repression and exploitation.",
        "languages": ["English", "French"],
        "awards": "9 wins & 33 nominations",
        "poster_url": "https://m.media-amazon.com/images/M/MV5BNjAxYjkxNjktYTU0YS00NjFhLWIyMDEtMzEzMTJjMzRkMzQ1XkEyXkFqcGc@._V1_SX300.jpg",
        "ratings": [
            {"source": "Internet Movie Database", "value": "7.2/10"},
            {"source": "Rotten Tomatoes", "value": "74%"},
            {"source": "Metacritic", "value": "62/100"},
        ],
        "metascore": 62,
        "imdb_rating": 7.2,
        "imdb_votes": 645_812,
        "dvd": "2003-10-14",
        "box_office_usd": 281_576_461,
        "website": None,
    }
    return {
        "items": [THE_MATRIX, reloaded],
        **field_examples(MoviePage),
        "page": 1,
        "limit": 2,
        "total": 4,
        "pages": 2,
        "links": {
            "self": "/movies?q=matrix&page=1&limit=2",
            "first": "/movies?q=matrix&page=1&limit=2",
            "prev": None,
            "next": "/movies?q=matrix&page=2&limit=2",
            "last": "/movies?q=matrix&page=2&limit=2",
        },
    }
