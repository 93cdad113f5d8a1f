"""Every GET route of a real ``movies-api serve`` process over a pre-populated SQLite file
(contract §2): statuses, Link headers, problems, percent-encoded titles, operations routes,
a complete OpenAPI document; and ``serve`` on an empty directory migrates a new file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from movies_api import __version__
from tests.conftest import free_port
from tests.processes import Process, start_server
from tests.reference_catalogue import AMELIE, TRICKY_MOVIES, populate_sync, reference_order

ORDER = reference_order(TRICKY_MOVIES)
TOTAL = len(TRICKY_MOVIES)
PROBLEM_JSON = "application/problem+json"


def server_environment(database_url: str) -> dict[str, str]:
    """Seeding off, no Redis, and an OMDb address on 127.0.0.1 where nobody listens."""
    return {
        "MOVIES_DATABASE_URL": database_url,
        "MOVIES_SEED_ON_STARTUP": "false",
        "MOVIES_REDIS_URL": "",
        "MOVIES_OMDB_API_KEY": "",
        "MOVIES_OMDB_BASE_URL": f"http://127.0.0.1:{free_port()}/",
        "MOVIES_LOG_FORMAT": "text",
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    directory = tmp_path_factory.mktemp("read-http")
    database_url = f"sqlite:///{directory}/catalogue.db"
    populate_sync(database_url, TRICKY_MOVIES)
    process = start_server(directory, server_environment(database_url))
    try:
        yield process
    finally:
        process.terminate()


@pytest.fixture
def http(server: Process) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_JSON
    problem: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail"} <= set(problem)
    assert problem["status"] == status
    assert "Traceback" not in response.text
    return problem


def test_the_first_page_is_ten_movies_in_title_order_with_links(http: httpx.Client) -> None:
    response = http.get("/movies")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    last = -(-TOTAL // 10)
    assert [item["id"] for item in document["items"]] == ORDER[:10]
    assert (document["page"], document["limit"], document["total"], document["pages"]) == (
        1,
        10,
        TOTAL,
        last,
    )
    assert document["links"] == {
        "self": "/movies?page=1&limit=10",
        "first": "/movies?page=1&limit=10",
        "prev": None,
        "next": "/movies?page=2&limit=10",
        "last": f"/movies?page={last}&limit=10",
    }
    assert response.headers["link"] == (
        '</movies?page=1&limit=10>; rel="self", </movies?page=1&limit=10>; rel="first", '
        f'</movies?page=2&limit=10>; rel="next", </movies?page={last}&limit=10>; rel="last"'
    )


def test_following_next_links_walks_the_catalogue_once(http: httpx.Client) -> None:
    walked: list[str] = []
    url: str | None = "/movies?limit=7"
    while url is not None:
        document = http.get(url).json()
        walked.extend(item["id"] for item in document["items"])
        url = document["links"]["next"]
    assert walked == ORDER


def test_a_page_past_the_end_is_empty_and_points_back_at_the_last(http: httpx.Client) -> None:
    response = http.get("/movies", params={"page": 50, "limit": 10})
    assert response.status_code == 200
    links = response.json()["links"]
    assert response.json()["items"] == []
    assert links["prev"] == links["last"] == f"/movies?page={-(-TOTAL // 10)}&limit=10"
    assert links["next"] is None
    assert 'rel="prev"' in response.headers["link"]
    assert 'rel="next"' not in response.headers["link"]


def test_unknown_query_parameters_are_ignored(http: httpx.Client) -> None:
    response = http.get("/movies?limit=2&order=desc&utm_source=x")
    assert [item["id"] for item in response.json()["items"]] == ORDER[:2]


@pytest.mark.parametrize(
    ("query", "name"),
    [("limit=0", "limit"), ("limit=101", "limit"), ("page=-1", "page"), ("page=abc", "page")],
)
def test_invalid_page_or_limit_is_a_422_problem_with_errors(
    http: httpx.Client, query: str, name: str
) -> None:
    problem = assert_problem(http.get(f"/movies?{query}"), 422)
    assert [error["name"] for error in problem["errors"]] == [name]
    assert problem["errors"][0]["in"] == "query"


def test_a_movie_by_id_is_the_stored_movie(http: httpx.Client) -> None:
    response = http.get(f"/movies/{AMELIE.id}")
    assert response.status_code == 200
    movie = response.json()
    assert (movie["id"], movie["title"], movie["year"]) == (AMELIE.id, "Amélie", 2001)
    assert movie["directors"] == ["Jean-Pierre Jeunet"]
    assert movie["added_at"].endswith("Z")
    assert response.headers["etag"]


def test_an_unknown_id_is_a_404_problem(http: httpx.Client) -> None:
    assert assert_problem(http.get("/movies/tt7654321"), 404)["type"] == "/problems/movie-not-found"


def test_a_malformed_id_is_a_422_problem(http: httpx.Client) -> None:
    problem = assert_problem(http.get("/movies/matrix"), 422)
    assert problem["errors"][0]["name"] == "movie_id"


@pytest.mark.parametrize(
    ("encoded", "movie_id"),
    [
        (quote("Face/Off", safe=""), "tt0119094"),
        (quote("100% Wolf", safe=""), "tt7638348"),
        ("100%25+Wolf", "tt7638348"),  # form encoding: + is a space
        (quote("8½", safe=""), "tt0056801"),
        (quote("Léon: The Professional", safe=""), "tt0110413"),
        (quote("  LEON:  the professional ", safe=""), "tt0110413"),
        (quote("ゴジラ", safe=""), "tt0047034"),
        (quote("وجدة", safe=""), "tt2258858"),
    ],
)
def test_by_title_decodes_percent_encoded_titles(
    http: httpx.Client, encoded: str, movie_id: str
) -> None:
    response = http.get(f"/movies/by-title?title={encoded}")
    assert response.status_code == 200, response.text
    assert response.json()["id"] == movie_id


def test_by_title_of_remakes_is_300_with_candidates_in_title_order(http: httpx.Client) -> None:
    response = http.get(f"/movies/by-title?title={quote('Amélie')}")
    problem = assert_problem(response, 300)
    assert problem["candidates"] == [
        {"id": "tt9000001", "title": "Amelie", "year": 1999},
        {"id": "tt0211915", "title": "Amélie", "year": 2001},
        {"id": "tt9000003", "title": "amelie", "year": 2001},
        {"id": "tt9000002", "title": "AMELIE", "year": None},
    ]


def test_by_title_year_narrows_and_a_missing_title_is_404(http: httpx.Client) -> None:
    assert http.get("/movies/by-title?title=amelie&year=1999").json()["id"] == "tt9000001"
    assert_problem(http.get("/movies/by-title?title=amelie&year=1950"), 404)
    assert_problem(http.get("/movies/by-title?title=Solaris"), 404)


@pytest.mark.parametrize(
    "query", ["title=Dune&year=99999999999999999999", "title=Dune&year=-1", "title=a%00b"]
)
def test_by_title_values_no_movie_can_have_are_404_not_server_errors(
    http: httpx.Client, query: str
) -> None:
    assert_problem(http.get(f"/movies/by-title?{query}"), 404)


def test_page_numbers_are_bounded_so_every_answer_can_be_written(http: httpx.Client) -> None:
    biggest = 2**31 - 1
    response = http.get("/movies", params={"page": biggest, "limit": 100})
    assert response.status_code == 200
    assert response.json()["items"] == []
    assert response.json()["links"]["self"] == f"/movies?page={biggest}&limit=100"
    problem = assert_problem(http.get("/movies", params={"page": 10**30}), 422)
    assert [error["name"] for error in problem["errors"]] == ["page"]


@pytest.mark.parametrize(
    ("query", "name"),
    [("", "title"), ("?title=", "title"), ("?title=+++", "title"), ("?title=Dune&year=x", "year")],
)
def test_by_title_invalid_parameters_are_422_problems(
    http: httpx.Client, query: str, name: str
) -> None:
    problem = assert_problem(http.get(f"/movies/by-title{query}"), 422)
    assert [error["name"] for error in problem["errors"]] == [name]


def test_an_unchanged_resource_revalidates_with_304(http: httpx.Client) -> None:
    first = http.get("/movies?page=2&limit=3")
    again = http.get("/movies?page=2&limit=3", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]


def test_an_unknown_route_is_a_404_problem(http: httpx.Client) -> None:
    assert_problem(http.get("/films/tt0133093"), 404)


def test_a_method_a_route_lacks_is_a_405_problem(http: httpx.Client) -> None:
    response = http.put("/movies", json={})
    assert_problem(response, 405)
    assert "GET" in response.headers["allow"]


def test_healthz_and_readyz_report_a_seeded_catalogue(http: httpx.Client) -> None:
    assert http.get("/healthz").json() == {"status": "ok"}
    ready = http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["seed"]["state"] == "done"  # the database needed no seed


def test_metrics_are_prometheus_text_counting_requests_by_route(http: httpx.Client) -> None:
    http.get("/movies/tt0133093")
    response = http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE movies_api_http_requests_total counter" in response.text
    assert 'route="/movies/{movie_id}",status="200"' in response.text
    assert "movies_api_http_request_duration_seconds_bucket" in response.text


def test_openapi_reports_the_version_the_cli_reports(http: httpx.Client) -> None:
    assert http.get("/openapi.json").json()["info"]["version"] == __version__


def test_openapi_describes_every_route_both_key_schemes_and_problem_responses(
    http: httpx.Client,
) -> None:
    document = http.get("/openapi.json").json()
    paths = document["paths"]
    expected_operations = {
        "/movies": {"get", "post"},
        "/movies/by-title": {"get"},
        "/movies/{movie_id}": {"get", "delete"},
        "/movies/{movie_id}/refresh": {"post"},
        "/movies/{movie_id}/poster": {"get"},
        "/omdb/search": {"get"},
        "/healthz": {"get"},
        "/readyz": {"get"},
        "/metrics": {"get"},
    }
    assert {path: set(operations) for path, operations in paths.items()} == expected_operations
    schemes = document["components"]["securitySchemes"]
    assert {(s["type"], s.get("scheme"), s.get("name")) for s in schemes.values()} == {
        ("http", "bearer", None),
        ("apiKey", None, "X-API-Key"),
    }
    for keyed in (
        paths["/movies/{movie_id}"]["delete"],
        paths["/movies/{movie_id}/refresh"]["post"],
    ):
        assert {name for requirement in keyed["security"] for name in requirement} == set(schemes)
    for path, method, statuses in [
        ("/movies", "get", {"422"}),
        ("/movies/{movie_id}", "get", {"404", "422"}),
        ("/movies/by-title", "get", {"300", "404", "422"}),
        ("/movies", "post", {"404", "409", "422", "429", "502", "503", "504"}),
        ("/movies/{movie_id}", "delete", {"401", "403", "404", "422"}),
        ("/movies/{movie_id}/refresh", "post", {"401", "403", "404", "422", "502", "503", "504"}),
        ("/omdb/search", "get", {"422", "429", "502", "503", "504"}),
        ("/movies/{movie_id}/poster", "get", {"404", "422"}),
        ("/readyz", "get", {"503"}),
    ]:
        responses = paths[path][method]["responses"]
        assert statuses <= set(responses), (path, method)
        for status in statuses:
            assert PROBLEM_JSON in responses[status]["content"], (path, method, status)
    body = paths["/movies"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "required" not in body  # exactly one of title and id
    assert {"title", "id", "year", "type"} <= set(body["properties"])
    assert_every_reference_resolves(document)
    by_title = {p["name"]: p for p in paths["/movies/by-title"]["get"]["parameters"]}
    assert by_title["title"]["required"] is True
    listing = {p["name"]: p["schema"] for p in paths["/movies"]["get"]["parameters"]}
    assert (listing["limit"]["minimum"], listing["limit"]["maximum"]) == (1, 100)
    assert listing["page"]["minimum"] == 1


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_load_their_assets_from_this_host(http: httpx.Client, path: str) -> None:
    response = http.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for attribute in ("src=", "href="):
        for value in response.text.split(attribute)[1:]:
            target = value.strip().strip("'\"")
            assert not target.startswith(("http:", "https:", "//")), (path, target)


def test_redoc_page_forbids_requests_to_other_hosts(http: httpx.Client) -> None:
    policy = http.get("/redoc").headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "img-src 'self' data:" in policy


def assert_every_reference_resolves(document: dict[str, Any]) -> None:
    """Every ``$ref`` points at a schema the document holds (Swagger UI fails otherwise)."""
    schemas = document["components"]["schemas"]

    def visit(node: object) -> None:
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str):
                assert reference.removeprefix("#/components/schemas/") in schemas, reference
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(document)


def test_serve_on_an_empty_directory_creates_the_database_through_migrations(
    tmp_path: Path,
) -> None:
    environment = server_environment("")  # no URL: an SQLite file in the working directory
    process = start_server(tmp_path, environment)
    try:
        with httpx.Client(base_url=process.url, timeout=10) as client:
            assert client.get("/healthz").json() == {"status": "ok"}
            assert (tmp_path / "movies.db").is_file()
            assert client.get("/readyz").json()["seed"]["state"] == "pending"
            listing = client.get("/movies").json()
            assert (listing["items"], listing["total"], listing["pages"]) == ([], 0, 0)
    finally:
        assert process.terminate() == 0
