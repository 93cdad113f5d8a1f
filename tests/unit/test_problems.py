"""Every error is RFC 9457 problem+json (contract §2): service errors map to one status each,
unknown routes and methods too, validation lists what was wrong, nothing leaks a traceback."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI, HTTPException
from fastapi.exceptions import RequestValidationError

from movies_api.domain.movie import MovieRef
from movies_api.http.problems import PROBLEM_JSON, Problem, problem_body, problem_for
from movies_api.services.errors import (
    AmbiguousTitle,
    CatalogueError,
    MovieAlreadyExists,
    MovieNotFound,
    StorageUnavailable,
    UpstreamFailed,
    UpstreamNotFound,
    UpstreamRefused,
    UpstreamTimedOut,
)
from tests.unit.app_with_fakes import client, make_app


@pytest.mark.parametrize(
    ("error", "status", "kind"),
    [
        (MovieNotFound("no movie with id tt0000001"), 404, "movie-not-found"),
        (UpstreamNotFound("OMDb has no such title"), 404, "omdb-title-not-found"),
        (UpstreamFailed("OMDb answered 500"), 502, "omdb-failed"),
        (UpstreamTimedOut("OMDb did not answer in 10 s"), 504, "omdb-timeout"),
        (UpstreamRefused("OMDb refused the key"), 503, "omdb-unavailable"),
        (StorageUnavailable("the database is unavailable"), 503, "database-unavailable"),
    ],
)
def test_each_service_error_maps_to_its_status_and_problem_type(
    error: CatalogueError, status: int, kind: str
) -> None:
    problem = problem_for(error)
    assert (problem.status, problem.kind, problem.detail) == (status, kind, str(error))


def test_ambiguous_title_is_300_with_candidates_in_the_given_order() -> None:
    problem = problem_for(
        AmbiguousTitle([MovieRef("tt0087182", "Dune", 1984), MovieRef("tt9000006", "Dune", None)])
    )
    assert (problem.status, problem.kind) == (300, "ambiguous-title")
    assert problem.extensions["candidates"] == [
        {"id": "tt0087182", "title": "Dune", "year": 1984},
        {"id": "tt9000006", "title": "Dune", "year": None},
    ]
    assert problem.detail.startswith("2 movies match")


def test_an_existing_movie_is_409_pointing_at_it() -> None:
    problem = problem_for(MovieAlreadyExists("tt0133093"))
    assert (problem.status, problem.kind) == (409, "movie-exists")
    assert problem.headers == {"Location": "/movies/tt0133093"}
    assert problem.extensions == {"id": "tt0133093"}


def test_an_unmapped_catalogue_error_is_a_plain_500_without_its_message() -> None:
    class Unforeseen(CatalogueError):
        pass

    problem = problem_for(Unforeseen("secret internals"))
    assert (problem.status, problem.kind) == (500, "internal")
    assert "secret" not in problem.detail


def test_problem_document_has_the_rfc_9457_members_plus_extensions() -> None:
    document = orjson.loads(problem_body(404, "gone", "movie-not-found", id="tt1"))
    assert document == {
        "type": "/problems/movie-not-found",
        "title": "Not Found",
        "status": 404,
        "detail": "gone",
        "id": "tt1",
    }
    assert orjson.loads(problem_body(429, "slow down"))["type"] == "about:blank"


def app_raising(error: BaseException) -> FastAPI:
    """The production app with one extra route that raises ``error``."""
    app, _ = make_app()

    async def explode() -> None:
        raise error

    app.add_api_route("/explode", explode)
    return app


async def get(app: FastAPI, url: str, method: str = "GET") -> httpx.Response:
    transport = httpx.ASGITransport(app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        return await http.request(method, url)


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_JSON
    document: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail"} <= set(document)
    assert document["status"] == status
    return document


async def test_an_unknown_route_is_a_404_problem() -> None:
    app, _ = make_app()
    async with client(app) as http:
        response = await http.get("/films")
    assert assert_problem(response, 404)["detail"] == "no such route"


@pytest.mark.parametrize(
    ("method", "url"), [("PUT", "/movies"), ("PATCH", "/movies/tt0133093"), ("POST", "/healthz")]
)
async def test_a_method_the_route_does_not_have_is_a_405_problem_with_allow(
    method: str, url: str
) -> None:
    app, _ = make_app()
    async with client(app) as http:
        response = await http.request(method, url)
    problem = assert_problem(response, 405)
    assert problem["title"] == "Method Not Allowed"
    assert response.headers["allow"]


async def test_an_unexpected_exception_is_a_500_problem_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, "movies_api.http"):
        response = await get(app_raising(RuntimeError("password=hunter2")), "/explode")
    problem = assert_problem(response, 500)
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert problem["detail"] == "the server failed unexpectedly; it was logged"
    assert "password=hunter2" in caplog.text  # operators still see what happened


async def test_a_service_error_of_status_500_or_more_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, "movies_api.http"):
        response = await get(app_raising(UpstreamFailed("OMDb answered 502")), "/explode")
    assert_problem(response, 502)
    assert "UpstreamFailed: OMDb answered 502" in caplog.text


async def test_a_4xx_service_error_is_not_logged_as_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, "movies_api.http"):
        await get(app_raising(MovieNotFound("no movie")), "/explode")
    assert caplog.records == []


async def test_a_raised_problem_keeps_its_headers_and_extensions() -> None:
    error = Problem(429, "slow down", kind="rate-limited", headers={"Retry-After": "7"}, limit=3)
    response = await get(app_raising(error), "/explode")
    problem = assert_problem(response, 429)
    assert response.headers["retry-after"] == "7"
    assert (problem["type"], problem["limit"]) == ("/problems/rate-limited", 3)


async def test_an_http_exception_with_a_structured_detail_gets_the_status_phrase() -> None:
    response = await get(app_raising(HTTPException(418, detail={"odd": True})), "/explode")
    assert assert_problem(response, 418)["detail"] == "I'm a Teapot"


async def test_an_http_exception_keeps_its_text_detail_and_headers() -> None:
    error = HTTPException(404, detail="that shelf is empty", headers={"X-Shelf": "3"})
    response = await get(app_raising(error), "/explode")
    assert assert_problem(response, 404)["detail"] == "that shelf is empty"
    assert response.headers["x-shelf"] == "3"


async def test_validation_errors_say_where_which_and_why() -> None:
    app, _ = make_app()
    async with client(app) as http:
        response = await http.get("/movies", params={"limit": "many"})
    problem = assert_problem(response, 422)
    assert problem["type"] == "/problems/validation-error"
    assert problem["detail"] == "invalid limit"
    (error,) = problem["errors"]
    assert error["in"] == "query"
    assert error["name"] == "limit"
    assert error["loc"] == ["query", "limit"]
    assert "integer" in error["detail"]


async def test_a_validation_error_without_a_location_names_the_request() -> None:
    invalid = RequestValidationError([{"loc": (), "msg": "unreadable", "type": "value_error"}])
    problem = assert_problem(await get(app_raising(invalid), "/explode"), 422)
    assert problem["errors"] == [{"in": "request", "name": "", "detail": "unreadable", "loc": []}]


async def test_a_body_level_validation_error_is_named_by_its_location() -> None:
    invalid = RequestValidationError(
        [{"loc": ("body",), "msg": "not JSON", "type": "json_invalid"}]
    )
    problem = assert_problem(await get(app_raising(invalid), "/explode"), 422)
    assert problem["errors"][0]["in"] == "body"
    assert problem["errors"][0]["name"] == "body"
