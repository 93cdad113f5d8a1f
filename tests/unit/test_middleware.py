"""Request observation: Prometheus series by route template, one access log line a request
with Cloud Logging's httpRequest and trace, and a 503 problem for requests cut off at shutdown."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
import pytest
from starlette.types import Message, Receive, Scope, Send

from movies_api.http.metrics import LATENCY_BUCKETS, RequestStats, exposition
from movies_api.http.middleware import ObserveRequests
from movies_api.logs import TRACE_FIELD
from tests.reference_catalogue import TRICKY_MOVIES, stored
from tests.unit.app_with_fakes import client, make_app
from tests.unit.fakes import Store


def populated() -> Store:
    store = Store()
    store.movies = {movie.id: movie for movie in stored(TRICKY_MOVIES[:5])}
    return store


async def test_requests_are_counted_by_method_route_template_and_status() -> None:
    app, _ = make_app(store=populated())
    async with client(app) as http:
        await http.get("/movies/tt0211915")
        await http.get("/movies/tt0133093")
        await http.get("/movies/tt7654321")
        await http.get("/no/such/route")
        text = (await http.get("/metrics")).text
    by_id = 'method="GET",route="/movies/{movie_id}"'
    assert f'movies_api_http_requests_total{{{by_id},status="200"}} 2.0' in text
    assert f'movies_api_http_requests_total{{{by_id},status="404"}} 1.0' in text
    assert 'movies_api_http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in text
    assert f"movies_api_http_request_duration_seconds_count{{{by_id}}} 3.0" in text


def test_latency_histogram_buckets_are_cumulative() -> None:
    stats = RequestStats()
    for seconds in (0.0005, 0.003, 0.003, 20.0):
        stats.observe("GET", "/movies", 200, seconds)
    body, content_type = exposition(stats)
    text = body.decode()
    assert content_type.startswith("text/plain")
    series = 'method="GET",route="/movies"'
    assert f'movies_api_http_request_duration_seconds_bucket{{le="0.001",{series}}} 1.0' in text
    assert f'movies_api_http_request_duration_seconds_bucket{{le="0.005",{series}}} 3.0' in text
    assert f'movies_api_http_request_duration_seconds_bucket{{le="10.0",{series}}} 3.0' in text
    assert f'movies_api_http_request_duration_seconds_bucket{{le="+Inf",{series}}} 4.0' in text
    assert f"movies_api_http_request_duration_seconds_sum{{{series}}} 20.0065" in text
    assert len(LATENCY_BUCKETS) == 13


def test_no_traffic_exposes_the_series_without_samples() -> None:
    text = exposition(RequestStats())[0].decode()
    assert "# TYPE movies_api_http_requests_total counter" in text
    assert "# TYPE movies_api_http_request_duration_seconds histogram" in text


def access_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "movies_api.access"]


async def test_each_request_logs_one_line_with_cloud_logging_http_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, _ = make_app(store=populated())
    with caplog.at_level(logging.INFO, "movies_api.access"):
        async with client(app) as http:
            await http.get("/movies", params={"page": 2, "limit": 2})
    (record,) = access_records(caplog)
    request: dict[str, Any] = record.__dict__["httpRequest"]
    assert request["requestMethod"] == "GET"
    assert request["requestUrl"] == "/movies?page=2&limit=2"
    assert request["status"] == 200
    assert request["latency"].endswith("s")
    float(request["latency"].removesuffix("s"))
    assert record.getMessage().startswith("GET /movies?page=2&limit=2 200 ")
    assert TRACE_FIELD not in record.__dict__


async def test_a_request_without_query_string_logs_the_bare_path(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, _ = make_app()
    with caplog.at_level(logging.INFO, "movies_api.access"):
        async with client(app) as http:
            await http.get("/healthz")
    (record,) = access_records(caplog)
    assert record.__dict__["httpRequest"]["requestUrl"] == "/healthz"


async def test_on_google_cloud_the_trace_header_links_the_log_line_to_its_trace(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, _ = make_app(GOOGLE_CLOUD_PROJECT="my-project")
    with caplog.at_level(logging.INFO, "movies_api.access"):
        async with client(app) as http:
            await http.get(
                "/healthz", headers={"X-Cloud-Trace-Context": "105445aa7843bc8bf206b1200/1;o=1"}
            )
            await http.get("/healthz", headers={"X-Cloud-Trace-Context": " /1;o=1"})
            await http.get("/healthz")
    traced, blank, untraced = access_records(caplog)
    assert traced.__dict__[TRACE_FIELD] == "projects/my-project/traces/105445aa7843bc8bf206b1200"
    assert TRACE_FIELD not in blank.__dict__
    assert TRACE_FIELD not in untraced.__dict__


async def test_access_logs_can_be_turned_off_while_metrics_still_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, container = make_app(access_log=False)
    with caplog.at_level(logging.INFO, "movies_api.access"):
        async with client(app) as http:
            await http.get("/healthz")
    assert access_records(caplog) == []
    assert container.stats.counts["GET", "/healthz", "200"] == 1


def http_scope(path: str = "/slow") -> Scope:
    return {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": b"",
        "headers": [],
    }


async def no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


class Sent:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def __call__(self, message: Message) -> None:
        self.messages.append(message)


def observe(app: Any, stats: RequestStats) -> ObserveRequests:
    return ObserveRequests(app, stats=stats, project=None, access_logs=True)


async def test_a_request_cancelled_before_answering_gets_a_503_problem() -> None:
    async def cancelled(_scope: Scope, _receive: Receive, _send: Send) -> None:
        raise asyncio.CancelledError

    stats, sent = RequestStats(), Sent()
    await observe(cancelled, stats)(http_scope(), no_body, sent)
    start, body = sent.messages
    assert start["status"] == 503
    headers = dict(start["headers"])
    assert headers[b"content-type"] == b"application/problem+json"
    assert headers[b"retry-after"] == b"1"
    assert int(headers[b"content-length"]) == len(body["body"])
    assert orjson.loads(body["body"])["status"] == 503
    assert stats.counts["GET", "unmatched", "503"] == 1


async def test_a_request_cancelled_after_answering_began_is_left_cancelled() -> None:
    async def half_answered(_scope: Scope, _receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise asyncio.CancelledError

    stats, sent = RequestStats(), Sent()
    with pytest.raises(asyncio.CancelledError):
        await observe(half_answered, stats)(http_scope(), no_body, sent)
    assert [m["type"] for m in sent.messages] == ["http.response.start"]
    assert stats.counts["GET", "unmatched", "200"] == 1


async def test_a_crash_before_answering_is_counted_as_500() -> None:
    async def crashing(_scope: Scope, _receive: Receive, _send: Send) -> None:
        raise RuntimeError("boom")

    stats = RequestStats()
    with pytest.raises(RuntimeError):
        await observe(crashing, stats)(http_scope(), no_body, Sent())
    assert stats.counts["GET", "unmatched", "500"] == 1


async def test_non_http_traffic_passes_through_unobserved() -> None:
    seen: list[str] = []

    async def lifespan_app(scope: Scope, _receive: Receive, _send: Send) -> None:
        seen.append(scope["type"])

    stats = RequestStats()
    await observe(lifespan_app, stats)({"type": "lifespan"}, no_body, Sent())
    assert seen == ["lifespan"]
    assert stats.counts == {}
