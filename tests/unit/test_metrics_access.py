"""``GET /metrics`` is open by default (a local scraper, contract §2) and needs the metrics
token once ``MOVIES_METRICS_TOKEN`` is set, as on the public Cloud Run deployment."""

from __future__ import annotations

import pytest

from tests.unit.app_with_fakes import client, make_app

TOKEN = "a-long-random-metrics-token"


async def test_metrics_are_open_without_a_configured_token() -> None:
    app, _ = make_app()
    async with client(app) as http:
        assert (await http.get("/metrics")).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-the-token"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Basic {TOKEN}"},
    ],
    ids=["none", "wrong", "longer", "other-scheme"],
)
async def test_metrics_without_the_configured_token_are_a_401_problem(
    headers: dict[str, str],
) -> None:
    app, _ = make_app(metrics_token=TOKEN)
    async with client(app) as http:
        response = await http.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert "movies_api_http_requests" not in response.text


@pytest.mark.parametrize("header", ["Authorization", "X-API-Key"])
async def test_metrics_with_the_configured_token_are_prometheus_text(header: str) -> None:
    app, _ = make_app(metrics_token=TOKEN)
    value = f"Bearer {TOKEN}" if header == "Authorization" else TOKEN
    async with client(app) as http:
        response = await http.get("/metrics", headers={header: value})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")


async def test_a_blank_metrics_token_leaves_the_metrics_open() -> None:
    app, _ = make_app(metrics_token="  ")
    async with client(app) as http:
        assert (await http.get("/metrics")).status_code == 200
