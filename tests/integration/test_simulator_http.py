"""The real OmdbClient against ``movies-api omdb-sim`` over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from movies_api.omdb.client import OmdbClient
from movies_api.omdb.errors import (
    OmdbInvalidKey,
    OmdbNotFound,
    OmdbQuotaReached,
    OmdbTimeout,
    OmdbUnavailable,
)
from movies_api.omdb.normalise import normalise
from tests.processes import HANG_SECONDS, Process, start_simulator

DEFAULT_KNOBS: dict[str, Any] = {
    "latency_ms": 0,
    "max_concurrency": None,
    "error_rate": 0,
    "hang_rate": 0,
    "quota": None,
    "api_keys": None,
    "down": False,
}


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    process = start_simulator(tmp_path_factory.mktemp("omdb-sim"))
    try:
        yield process
    finally:
        process.terminate()


@pytest.fixture
async def control(simulator: Process) -> AsyncIterator[httpx.AsyncClient]:
    """The simulator's control endpoints, knobs back at their defaults and counters zeroed."""
    async with httpx.AsyncClient(base_url=simulator.url) as client:
        await knobs(client, **DEFAULT_KNOBS)
        await client.post("/__sim/reset")
        yield client


async def knobs(control: httpx.AsyncClient, **changes: Any) -> None:
    response = await control.post("/__sim/config", json=changes)
    assert response.status_code == 200, response.text


async def stats(control: httpx.AsyncClient) -> dict[str, Any]:
    answer: dict[str, Any] = (await control.get("/__sim/stats")).json()
    return answer


async def settles(
    control: httpx.AsyncClient, counter: str, condition: Callable[[int], bool]
) -> bool:
    """Whether a simulator counter comes to meet ``condition``; only a hang says no."""
    hang = time.monotonic() + HANG_SECONDS
    while time.monotonic() < hang:
        if condition((await stats(control))[counter]):
            return True
        await asyncio.sleep(0.02)
    return False


def omdb_client(simulator: Process, **options: Any) -> OmdbClient:
    settings: dict[str, Any] = {"api_key": "demo", "base_url": simulator.url + "/"}
    return OmdbClient(**{**settings, **options})


def test_the_command_says_where_it_listens(simulator: Process) -> None:
    assert f"listening on {simulator.url}/" in simulator.output()


async def test_look_ups_over_http_normalise(simulator: Process, control: httpx.AsyncClient) -> None:
    async with omdb_client(simulator) as client:
        matrix = normalise(await client.get_by_id("tt0133093"))
        dune = normalise(await client.get_by_title("dune", year=1984))
        page = await client.search("star", page=2)
        with pytest.raises(OmdbNotFound):
            await client.get_by_id("tt9999999")
    assert (matrix.title, matrix.year, matrix.type) == ("The Matrix", 1999, "movie")
    assert (dune.id, dune.year) == ("tt0087182", 1984)
    assert len(page.ids) == 10
    assert page.total_results > 20
    assert (await stats(control))["by_kind"] == {"i": 2, "t": 1, "s": 1}


async def test_awkward_titles_survive_real_url_encoding(simulator: Process) -> None:
    titles = ("Face/Off", "100% Wolf", "Mr. & Mrs. Smith", "What? Why? #Because+Then", "8½")
    async with omdb_client(simulator) as client:
        for title in (*titles, "Amélie", "Броненосец «Потёмкин»"):
            assert (await client.get_by_title(title))["Title"] == title


async def test_the_simulators_cap_holds_against_a_wider_client(
    simulator: Process, control: httpx.AsyncClient
) -> None:
    await knobs(control, max_concurrency=3, latency_ms=30)
    async with omdb_client(simulator, max_in_flight=8) as client:
        records = await asyncio.gather(*(client.get_by_id("tt0133093") for _ in range(24)))
    assert all(record["imdbID"] == "tt0133093" for record in records)
    counters = await stats(control)
    assert counters["requests"] == 24
    assert counters["peak_in_flight"] == 3


async def test_the_clients_cap_holds_against_an_open_simulator(
    simulator: Process, control: httpx.AsyncClient
) -> None:
    await knobs(control, latency_ms=30)
    async with omdb_client(simulator, max_in_flight=4) as client:
        await asyncio.gather(*(client.get_by_title("The Matrix") for _ in range(24)))
    assert (await stats(control))["peak_in_flight"] == 4


async def test_a_hang_times_out_and_the_simulator_lets_go(
    simulator: Process, control: httpx.AsyncClient
) -> None:
    await knobs(control, hang_rate=1)
    async with omdb_client(simulator, timeout=0.3, attempts=2, backoff_base=0) as client:
        # The timeout bounds the whole call: the first attempt spends it, none follows.
        with pytest.raises(OmdbTimeout, match=r"within 0\.3 s"):
            await client.get_by_id("tt0133093")
    assert (await stats(control))["requests"] == 1
    # The client hung up, so the simulator stops holding those requests.
    assert await settles(control, "in_flight", lambda count: count == 0)


async def test_errors_are_retried_then_reported_unavailable(
    simulator: Process, control: httpx.AsyncClient
) -> None:
    await knobs(control, error_rate=1)
    async with omdb_client(simulator, attempts=3, backoff_base=0) as client:
        with pytest.raises(OmdbUnavailable, match="3 attempts"):
            await client.get_by_title("The Matrix")
    assert (await stats(control))["requests"] == 3


async def test_down_quota_and_keys_map_to_typed_errors(
    simulator: Process, control: httpx.AsyncClient
) -> None:
    await knobs(control, down=True)
    async with omdb_client(simulator, attempts=2, backoff_base=0) as client:
        with pytest.raises(OmdbUnavailable, match="HTTP 503"):
            await client.get_by_id("tt0133093")
    await knobs(control, down=False, quota=1)
    async with omdb_client(simulator) as client:
        await client.get_by_id("tt0133093")
        with pytest.raises(OmdbQuotaReached):
            await client.get_by_id("tt0133093")
    async with omdb_client(simulator, api_key="invalid") as client:
        with pytest.raises(OmdbInvalidKey):
            await client.search("love")


async def test_sigterm_stops_it_promptly_even_with_a_hung_request(tmp_path: Path) -> None:
    process = start_simulator(tmp_path, "--hang-rate", "1")
    async with httpx.AsyncClient(base_url=process.url, timeout=30) as client:
        hung = asyncio.create_task(client.get("/", params={"apikey": "demo", "i": "tt0133093"}))
        assert await settles(client, "in_flight", lambda count: count == 1)
        exit_code = await asyncio.to_thread(process.terminate)
        try:
            status = (await hung).status_code
        except httpx.HTTPError:
            status = None  # dropped: as good as uvicorn's 500 for a cancelled request
    # uvicorn re-raises the SIGTERM it handled; a SIGKILL (-9), sent when it has not
    # exited 15 s after SIGTERM, would mean it hung.
    assert exit_code in (0, -signal.SIGTERM)
    assert status in (None, 500)
