"""The add rate limit: who counts as one client, what counts, what a 429 says, and that a
limiter outage never stops adding."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.requests import Request

from movies_api.http.problems import Problem
from movies_api.http.rate_limit import RateLimiter
from movies_api.omdb.errors import OmdbUnavailable
from movies_api.services.ports import StoredKey
from movies_api.settings import RateLimit
from tests.conftest import free_port
from tests.unit.app_with_fakes import FakeOmdb, client, issue_key, make_app, omdb_record
from tests.unit.fakes import Store

HEAT = omdb_record("tt0113277", "Heat", 1995)
UNKNOWN = {"title": "No Such Film"}  # OMDb answers 404: nothing is stored, the budget is used


def request_from(address: str, *headers: tuple[str, str]) -> Request:
    return Request(
        {
            "type": "http",
            "method": "POST",
            "path": "/movies",
            "query_string": b"",
            "headers": [(name.lower().encode(), value.encode()) for name, value in headers],
            "client": (address, 40000),
        }
    )


def stored_key(key_id: int) -> StoredKey:
    return StoredKey(
        id=key_id,
        name="k",
        prefix="mva_abcdefgh",
        key_hash="0" * 64,
        scopes=("movies:add",),
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
        last_used_at=None,
        revoked_at=None,
    )


async def close_redis(*limiters: RateLimiter) -> None:
    """Close the Redis connections ``limits`` opened (it offers no close of its own)."""
    for each in limiters:
        rate_limiter, _item = each._limiter()
        client: Any = rate_limiter.storage
        await client.bridge.storage.aclose()


def limiter(rate: str = "1/minute", *, trusted: bool = False) -> RateLimiter:
    return RateLimiter(RateLimit(rate), redis_url=None, trust_forwarded_for=trusted)


# --- who is a client --------------------------------------------------------------------------


def test_client_without_a_key_is_its_address() -> None:
    assert limiter().client_of(request_from("10.0.0.1")) == "ip:10.0.0.1"


def test_client_with_a_valid_key_is_that_key_from_any_address() -> None:
    limits = limiter()
    key = stored_key(7)

    here = limits.client_of(request_from("10.0.0.1"), key)
    there = limits.client_of(request_from("10.0.0.2"), key)

    assert here == there
    assert here != limits.client_of(request_from("10.0.0.1"), stored_key(8))
    assert here != limits.client_of(request_from("10.0.0.1"))


def test_forwarded_for_is_ignored_unless_trusted() -> None:
    request = request_from("10.0.0.1", ("X-Forwarded-For", "203.0.113.9"))

    assert limiter(trusted=False).client_of(request) == "ip:10.0.0.1"


def test_trusted_forwarded_for_gives_its_last_entry() -> None:
    request = request_from("10.0.0.1", ("X-Forwarded-For", "198.51.100.1, 203.0.113.9"))

    assert limiter(trusted=True).client_of(request) == "ip:203.0.113.9"


def test_trusted_forwarded_for_reads_every_header_line_as_one_list() -> None:
    # A client writes its own first line; the front end appends to the last one (issue 10 #7).
    forged = request_from(
        "10.0.0.1",
        ("X-Forwarded-For", "198.51.100.1"),
        ("X-Forwarded-For", "192.0.2.7, 203.0.113.9"),
    )
    blank_last = request_from(
        "10.0.0.1", ("X-Forwarded-For", "198.51.100.1"), ("X-Forwarded-For", " ")
    )

    assert limiter(trusted=True).client_of(forged) == "ip:203.0.113.9"
    assert limiter(trusted=True).client_of(blank_last) == "ip:10.0.0.1"


def test_trusted_limiter_without_forwarded_for_uses_the_address() -> None:
    assert limiter(trusted=True).client_of(request_from("10.0.0.1")) == "ip:10.0.0.1"


# --- budgets through the app ------------------------------------------------------------------


async def statuses(http: httpx.AsyncClient, *headers: dict[str, str]) -> list[int]:
    """POST an unknown title once per headers dict; the statuses in order."""
    return [(await http.post("/movies", json=UNKNOWN, headers=h)).status_code for h in headers]


async def test_each_valid_key_has_its_own_budget_apart_from_its_address() -> None:
    store = Store()
    one, two = await issue_key(store, "movies:add"), await issue_key(store, "movies:add")
    app, _ = make_app(store=store, add_rate_limit="1/minute")
    async with client(app) as http:
        answered = await statuses(
            http,
            {"Authorization": f"Bearer {one}"},
            {"Authorization": f"Bearer {two}"},
            {},
            {"Authorization": f"Bearer {one}"},
            {},
        )

    assert answered == [404, 404, 404, 429, 429]


async def test_a_key_counts_as_one_client_in_either_header() -> None:
    store = Store()
    key = await issue_key(store, "movies:delete")
    app, _ = make_app(store=store, add_rate_limit="1/minute")
    async with client(app) as http:
        answered = await statuses(http, {"Authorization": f"Bearer {key}"}, {"X-API-Key": key})

    assert answered == [404, 429]


@pytest.mark.parametrize("header", ["Authorization", "X-API-Key"])
async def test_made_up_keys_do_not_buy_a_fresh_budget(header: str) -> None:
    app, _ = make_app(add_rate_limit="1/minute")
    made_up = [
        {header: ("Bearer " if header == "Authorization" else "") + f"mva_made-up-{n}"}
        for n in range(3)
    ]
    async with client(app) as http:
        answered = await statuses(http, *made_up)

    assert answered == [404, 429, 429]


async def test_a_revoked_key_counts_as_its_address() -> None:
    from movies_api.services.keys import KeyService
    from tests.unit.fakes import FakeUnitOfWorkFactory

    store = Store()
    service = KeyService(uow=FakeUnitOfWorkFactory(store))
    stored, key = await service.create(name="old", scopes=["movies:add"])
    await service.revoke(stored.id)
    app, _ = make_app(store=store, add_rate_limit="1/minute")
    async with client(app) as http:
        answered = await statuses(http, {}, {"X-API-Key": key})

    assert answered == [404, 429]


async def test_each_address_has_its_own_budget() -> None:
    app, _ = make_app(add_rate_limit="1/minute")
    async with client(app, address="10.0.0.1") as first, client(app, address="10.0.0.2") as second:
        answered = [
            *await statuses(first, {}),
            *await statuses(second, {}),
            *await statuses(first, {}),
        ]

    assert answered == [404, 404, 429]


async def test_trusted_forwarded_for_last_entry_names_the_client() -> None:
    app, _ = make_app(add_rate_limit="1/minute", trust_forwarded_for=True)
    async with client(app) as http:
        answered = await statuses(
            http,
            {"X-Forwarded-For": "198.51.100.7, 203.0.113.1"},
            {"X-Forwarded-For": "198.51.100.7, 203.0.113.2"},
            {"X-Forwarded-For": "192.0.2.99, 203.0.113.1"},
        )

    assert answered == [404, 404, 429]


async def test_untrusted_forwarded_for_cannot_dodge_the_limit() -> None:
    app, _ = make_app(add_rate_limit="1/minute", trust_forwarded_for=False)
    async with client(app) as http:
        answered = await statuses(
            http, {"X-Forwarded-For": "203.0.113.1"}, {"X-Forwarded-For": "203.0.113.2"}
        )

    assert answered == [404, 429]


async def test_every_request_reaching_the_check_counts_whatever_its_outcome() -> None:
    omdb = FakeOmdb([HEAT])
    app, _ = make_app(omdb=omdb, add_rate_limit="5/minute")
    async with client(app) as http:
        invalid = await http.post("/movies", json={"title": ""})
        missing = await http.post("/movies", json=UNKNOWN)
        added = await http.post("/movies", json={"title": "Heat"})
        duplicate = await http.post("/movies", json={"title": "Heat"})
        omdb.fail_with = OmdbUnavailable("OMDb failed (HTTP 500)")
        failed = await http.post("/movies", json={"title": "Heat"})
        limited = await http.post("/movies", json={"title": "Heat"})

    outcomes = [r.status_code for r in (invalid, missing, added, duplicate, failed, limited)]
    assert outcomes == [422, 404, 201, 409, 502, 429]


async def test_reads_and_deletes_do_not_count_against_adding() -> None:
    app, _ = make_app(add_rate_limit="1/minute")
    async with client(app) as http:
        for _ in range(3):
            await http.get("/movies")
            await http.delete("/movies/tt0133093")
        answered = await statuses(http, {})

    assert answered == [404]


# --- the 429 ----------------------------------------------------------------------------------


async def test_429_retry_after_is_whole_seconds_within_the_window() -> None:
    limits = limiter("1/hour")
    await limits.check(request_from("10.0.0.1"))

    with pytest.raises(Problem) as refused:
        await limits.check(request_from("10.0.0.1"))

    assert refused.value.status == 429
    retry_after = refused.value.headers["Retry-After"]
    assert retry_after.isdecimal()
    assert 1 <= int(retry_after) <= 3600


async def test_429_retry_after_is_at_least_one_second_even_when_less_remains() -> None:
    limits = limiter("1/second")
    await limits.check(request_from("10.0.0.1"))

    with pytest.raises(Problem) as refused:
        await limits.check(request_from("10.0.0.1"))

    assert refused.value.headers["Retry-After"] == "1"


async def test_429_names_the_limit_and_is_a_problem() -> None:
    app, _ = make_app(add_rate_limit="1/hour")
    async with client(app) as http:
        await http.post("/movies", json=UNKNOWN)
        response = await http.post("/movies", json=UNKNOWN)

    assert response.status_code == 429
    assert response.headers["content-type"] == "application/problem+json"
    assert "1/hour" in response.json()["detail"]
    assert int(response.headers["retry-after"]) >= 1


# --- backends ---------------------------------------------------------------------------------


async def test_limiter_backend_failure_lets_requests_through_and_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    nobody = f"redis://127.0.0.1:{free_port()}/0"
    limits = RateLimiter(RateLimit("1/hour"), redis_url=nobody, trust_forwarded_for=False)

    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            await limits.check(request_from("10.0.0.1"))  # over 1/hour, yet let through

    (warning,) = caplog.records
    assert "rate limiter's store is unavailable" in warning.getMessage()
    assert warning.exc_info is None  # one line, no traceback


async def test_limiters_sharing_redis_share_the_budget(redis_url: str) -> None:
    one = RateLimiter(RateLimit("2/minute"), redis_url=redis_url, trust_forwarded_for=False)
    two = RateLimiter(RateLimit("2/minute"), redis_url=redis_url, trust_forwarded_for=False)

    try:
        await one.check(request_from("10.0.0.1"))
        await two.check(request_from("10.0.0.1"))
        with pytest.raises(Problem) as refused:
            await one.check(request_from("10.0.0.1"))
        await two.check(request_from("10.0.0.2"))
    finally:
        await close_redis(one, two)

    assert refused.value.status == 429


async def test_limiters_in_memory_count_apart() -> None:
    one, two = limiter("1/minute"), limiter("1/minute")

    await one.check(request_from("10.0.0.1"))
    await two.check(request_from("10.0.0.1"))
    with pytest.raises(Problem):
        await one.check(request_from("10.0.0.1"))
