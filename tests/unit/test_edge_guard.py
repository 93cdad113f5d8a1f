"""The hardened edge in process (contract §2, issue 10): body bounds, headers on every
response, HEAD and 405 ``Allow``, no Host-built redirect, quiet client disconnects, and log
lines that quote requests without forging lines of their own."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import AsyncIterator

import pytest
from starlette.types import Message

from movies_api.http.guard import MAX_BODY_BYTES, BoundedBody
from movies_api.http.problems import Problem
from movies_api.logs import TextFormatter
from tests.reference_catalogue import TRICKY_MOVIES, stored
from tests.unit.app_with_fakes import FakeOmdb, client, make_app, omdb_record
from tests.unit.fakes import Store

MATRIX = omdb_record("tt0133093", "The Matrix")


def populated() -> Store:
    store = Store()
    store.movies = {movie.id: movie for movie in stored(TRICKY_MOVIES[:3])}
    return store


def some_id(store: Store) -> str:
    return next(iter(store.movies))


# --- request bodies -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/jsonp"]
)
async def test_adding_with_a_body_that_is_not_json_is_415_and_asks_omdb_nothing(
    content_type: str | None,
) -> None:
    omdb = FakeOmdb([MATRIX])
    app, _ = make_app(omdb=omdb)
    headers = {"Content-Type": content_type} if content_type else {}
    async with client(app) as http:
        response = await http.post("/movies", content=b'{"title": "The Matrix"}', headers=headers)
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["accept-post"] == "application/json"
    assert omdb.calls == []


async def test_json_with_parameters_is_still_json() -> None:
    app, _ = make_app(omdb=FakeOmdb([MATRIX]))
    async with client(app) as http:
        response = await http.post(
            "/movies",
            content=b'{"title": "The Matrix"}',
            headers={"Content-Type": "Application/JSON; charset=utf-8"},
        )
    assert response.status_code == 201


async def test_a_body_declared_larger_than_the_bound_is_413_and_closes_the_connection() -> None:
    omdb = FakeOmdb([MATRIX])
    app, _ = make_app(omdb=omdb)
    body = b'{"title": "' + b"x" * MAX_BODY_BYTES + b'"}'
    async with client(app) as http:
        response = await http.post(
            "/movies", content=body, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 413
    assert response.headers["connection"] == "close"
    assert response.json()["detail"] == "the request body is over 64 KiB"
    assert omdb.calls == []


async def test_a_streamed_body_past_the_bound_is_413() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b"x" * 4096

    app, _ = make_app()
    async with client(app) as http:
        response = await http.post(
            "/movies", content=chunks(), headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 413


async def test_the_bound_stops_reading_at_the_chunk_that_passes_it() -> None:
    pulled: list[int] = []

    async def upload() -> Message:
        pulled.append(1)
        return {"type": "http.request", "body": b"x" * 40_000, "more_body": True}

    scope = {"type": "http", "headers": [(b"content-type", b"application/json")]}
    receive = BoundedBody(scope, upload, MAX_BODY_BYTES)
    await receive()
    with pytest.raises(Problem) as refused:
        await receive()
    assert refused.value.status == 413
    assert len(pulled) == 2  # the rest of the upload was never asked for


async def test_the_key_and_rate_limit_come_before_the_body_checks() -> None:
    app, _ = make_app(require_key_for_add=True)
    async with client(app) as http:
        response = await http.post("/movies", content=b"x" * 100_000)
    assert response.status_code == 401


async def test_a_client_gone_mid_upload_is_no_error_and_logs_one_info_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, container = make_app()
    sent: list[Message] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/movies",
        "raw_path": b"/movies",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"5000")],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }

    async def gone() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    with caplog.at_level(logging.DEBUG):
        await app(scope, gone, send)
    assert [r.levelno for r in caplog.records] == [logging.INFO]
    assert caplog.records[0].name == "movies_api.access"
    assert not any(status.startswith("5") for _m, _r, status in container.stats.counts)
    assert container.stats.counts["POST", "/movies", "499"] == 1


# --- headers on every response --------------------------------------------------------------


async def test_every_response_is_nosniff_and_only_errors_are_no_store() -> None:
    store = populated()
    app, _ = make_app(store=store)
    async with client(app) as http:
        found = await http.get(f"/movies/{some_id(store)}")
        missing = await http.get("/movies/tt0000001")
        invalid = await http.get("/movies", params={"limit": 0})
        unmatched = await http.get("/nowhere")
    for response in (found, missing, invalid, unmatched):
        assert response.headers["x-content-type-options"] == "nosniff"
    assert "no-store" not in found.headers.get("cache-control", "")
    for error in (missing, invalid, unmatched):
        assert error.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_the_docs_pages_may_not_be_framed(path: str) -> None:
    app, _ = make_app()
    async with client(app) as http:
        response = await http.get(path)
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert "'unsafe-inline'" not in directives.get("script-src", directives["default-src"])


async def test_swagger_ui_inline_script_is_allowed_by_its_hash_alone() -> None:
    app, _ = make_app()
    async with client(app) as http:
        response = await http.get("/docs")
    scripts = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
    assert scripts
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in response.headers["content-security-policy"]


# --- methods ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("OPTIONS", "/movies", "GET, HEAD, POST"),
        ("OPTIONS", "/movies/by-title", "GET, HEAD"),  # not /movies/{movie_id}'s DELETE
        ("DELETE", "/movies/by-title", "GET, HEAD"),
        ("PUT", "/movies", "GET, HEAD, POST"),
        ("PATCH", "/movies/tt0133093", "DELETE, GET, HEAD"),
        ("GET", "/movies/tt0133093/refresh", "POST"),
        ("POST", "/healthz", "GET, HEAD"),
    ],
)
async def test_a_405_allows_every_method_of_its_path(method: str, path: str, allow: str) -> None:
    app, _ = make_app()
    async with client(app) as http:
        response = await http.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow


@pytest.mark.parametrize("path", ["/healthz", "/movies", "/movies?limit=2", "ID", "/openapi.json"])
async def test_head_is_answered_wherever_get_is_with_gets_headers_and_no_body(path: str) -> None:
    store = populated()
    app, _ = make_app(store=store)
    path = f"/movies/{some_id(store)}" if path == "ID" else path
    async with client(app) as http:
        got = await http.get(path)
        head = await http.head(path)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(got.content))
    assert head.headers.get("etag") == got.headers.get("etag")


async def test_head_of_a_missing_movie_is_its_404() -> None:
    app, _ = make_app()
    async with client(app) as http:
        response = await http.head("/movies/tt0000001")
    assert response.status_code == 404
    assert response.content == b""


# --- redirects and logs -----------------------------------------------------------------------


async def test_a_trailing_slash_is_a_404_never_a_redirect_to_the_host_header() -> None:
    app, _ = make_app()
    async with client(app) as http:
        response = await http.get("/movies/", headers={"Host": "evil.example"})
    assert response.status_code == 404
    assert "location" not in response.headers


async def test_control_characters_from_the_path_are_escaped_in_the_text_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, _ = make_app()
    with caplog.at_level(logging.INFO, "movies_api.access"):
        async with client(app) as http:
            await http.get("/movies/x%0A2026-01-01 00:00:00 INFO forged%1B[2J")
    (record,) = [r for r in caplog.records if r.name == "movies_api.access"]
    line = TextFormatter().format(record)
    assert "\n" not in line
    assert "\x1b" not in line
    assert "x\\n2026-01-01 00:00:00 INFO forged\\x1b[2J" in line


async def test_key_like_query_values_are_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    app, _ = make_app()
    with caplog.at_level(logging.INFO, "movies_api.access"):
        async with client(app) as http:
            await http.get("/healthz", params={"api_key": "s3cret", "token": "t0k", "q": "kept"})
    (record,) = [r for r in caplog.records if r.name == "movies_api.access"]
    assert "s3cret" not in record.getMessage()
    assert "t0k" not in record.getMessage()
    assert "q=kept" in record.getMessage()


def test_any_message_quoting_request_input_stays_one_line() -> None:
    record = logging.LogRecord(
        "movies_api", logging.WARNING, "", 0, "no title %s", ("a\r\nb\x00",), None
    )
    assert TextFormatter().format(record).endswith("no title a\\r\\nb\\x00")


async def test_an_omdb_outage_problem_keeps_no_store() -> None:
    # A cached 503 at a CDN would outlive the outage.
    from movies_api.omdb.errors import OmdbUnavailable

    app, _ = make_app(omdb=FakeOmdb(fail_with=OmdbUnavailable("down")))
    async with client(app) as http:
        response = await http.post("/movies", json={"title": "The Matrix"})
    assert response.status_code == 502
    assert response.headers["cache-control"] == "no-store"


# --- what the client sent, echoed back ------------------------------------------------------


@pytest.mark.parametrize("title", ["The\x00Matrix", "The\nMatrix", "\x1b[2JThe Matrix"])
async def test_a_title_with_a_control_character_is_422_and_asks_omdb_nothing(title: str) -> None:
    omdb = FakeOmdb([MATRIX])
    app, _ = make_app(omdb=omdb)
    async with client(app) as http:
        response = await http.post("/movies", json={"title": title})
    assert response.status_code == 422
    assert response.json()["errors"][0]["name"] == "title"
    assert omdb.calls == []


async def test_a_long_title_is_not_echoed_whole_in_the_404() -> None:
    app, _ = make_app()
    async with client(app) as http:
        response = await http.get("/movies/by-title", params={"title": "x" * 10_000})
    assert response.status_code == 404
    assert len(response.json()["detail"]) <= 500
