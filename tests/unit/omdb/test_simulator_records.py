"""The simulator's record knob: a record that changes between two fetches, as a real one
does when its ratings move, undone by ``/__sim/reset``; other simulators keep theirs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from movies_api.omdb.simulator.app import SimulatorConfig, create_app


def client_of(config: SimulatorConfig) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(config)), base_url="http://sim"
    )


@pytest.fixture
async def sim() -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(SimulatorConfig()) as client:
        yield client


async def matrix(client: httpx.AsyncClient) -> dict[str, object]:
    response = await client.get("/", params={"apikey": "k", "i": "tt0133093", "plot": "full"})
    record: dict[str, object] = response.json()
    return record


async def test_a_changed_record_is_what_later_fetches_and_searches_see(
    sim: httpx.AsyncClient,
) -> None:
    before = await matrix(sim)

    changed = await sim.post(
        "/__sim/records/tt0133093", json={"imdbRating": "9.9", "Title": "The Matrix Redux"}
    )

    assert changed.status_code == 200
    after = await matrix(sim)
    assert (after["imdbRating"], after["Title"]) == ("9.9", "The Matrix Redux")
    assert {k: v for k, v in after.items() if k not in ("imdbRating", "Title")} == {
        k: v for k, v in before.items() if k not in ("imdbRating", "Title")
    }
    by_title = await sim.get("/", params={"apikey": "k", "t": "the matrix redux"})
    assert by_title.json()["imdbID"] == "tt0133093"
    found = await sim.get("/", params={"apikey": "k", "s": "redux"})
    assert [hit["imdbID"] for hit in found.json()["Search"]] == ["tt0133093"]


async def test_changes_accumulate_and_reset_undoes_them(sim: httpx.AsyncClient) -> None:
    original = await matrix(sim)
    await sim.post("/__sim/records/tt0133093", json={"imdbRating": "9.9"})
    await sim.post("/__sim/records/tt0133093", json={"BoxOffice": "$1"})
    assert ((await matrix(sim))["imdbRating"], (await matrix(sim))["BoxOffice"]) == ("9.9", "$1")

    await sim.post("/__sim/reset")

    assert await matrix(sim) == original


async def test_a_change_stays_in_its_own_simulator(sim: httpx.AsyncClient) -> None:
    await sim.post("/__sim/records/tt0133093", json={"imdbRating": "1.0"})

    async with client_of(SimulatorConfig()) as other:
        assert (await matrix(other))["imdbRating"] != "1.0"


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/__sim/records/tt0000001", {"imdbRating": "1.0"}, 404),
        ("/__sim/records/tt0133093", ["imdbRating"], 400),
        ("/__sim/records/tt0133093", {"imdbRating": 9.9}, 400),
        ("/__sim/records/tt0133093", {"imdbID": "tt0000002"}, 400),
        ("/__sim/records/tt0133093", {"Response": "False"}, 400),
    ],
    ids=["unknown-id", "not-an-object", "not-a-string", "id", "response"],
)
async def test_bad_changes_are_refused_and_change_nothing(
    sim: httpx.AsyncClient, path: str, body: object, status: int
) -> None:
    before = await matrix(sim)

    response = await sim.post(path, json=body)

    assert response.status_code == status
    assert "error" in response.json()
    assert await matrix(sim) == before


async def test_with_synthesize_ids_any_unknown_id_gets_a_record_of_its_own(
    sim: httpx.AsyncClient,
) -> None:
    params = {"apikey": "k", "i": "tt7777777"}
    assert (await sim.get("/", params=params)).json()["Response"] == "False"
    await sim.post("/__sim/config", json={"synthesize_ids": True})

    made = (await sim.get("/", params=params)).json()
    again = (await sim.get("/", params=params)).json()
    known = await matrix(sim)

    assert made == again
    assert made["imdbID"] == "tt7777777"
    assert str(made["Title"]).endswith("(tt7777777)")
    assert known["Title"] == "The Matrix"  # known ids answer as ever
