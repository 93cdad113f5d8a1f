"""The simulator draws the posters its records point at, so an offline demo shows pictures."""

from __future__ import annotations

from xml.etree import ElementTree

import httpx

from movies_api.omdb.simulator.app import SimulatorConfig, create_app


def simulator() -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(SimulatorConfig()))
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8001")


async def test_records_and_search_hits_point_at_drawn_posters() -> None:
    async with simulator() as sim:
        record = (await sim.get("/", params={"apikey": "k", "i": "tt0133093"})).json()
        hits = (await sim.get("/", params={"apikey": "k", "s": "matrix"})).json()["Search"]
        image = await sim.get("/__sim/posters/tt0133093.svg")
    assert record["Poster"] == "http://127.0.0.1:8001/__sim/posters/tt0133093.svg"
    assert record["Poster"] in {hit["Poster"] for hit in hits}
    assert image.status_code == 200
    assert image.headers["content-type"].startswith("image/svg+xml")
    assert image.text.startswith("<svg")
    assert ">The Matrix</text>" in image.text
    drawing = ElementTree.fromstring(image.content)  # well-formed, or browsers show nothing
    assert (drawing.get("width"), drawing.get("height")) == ("300", "445")


async def test_titles_are_escaped_in_the_drawing() -> None:
    async with simulator() as sim:
        image = await sim.get("/__sim/posters/tt0356910.svg")
    assert "Mr. &amp; Mrs. Smith" in image.text


async def test_a_record_without_a_poster_keeps_none() -> None:
    async with simulator() as sim:
        record = (await sim.get("/", params={"apikey": "k", "i": "tt9100014"})).json()
        image = await sim.get("/__sim/posters/tt9100014.svg")
        unknown = await sim.get("/__sim/posters/tt7777777.svg")
    assert record["Poster"] == "N/A"
    assert (image.status_code, unknown.status_code) == (404, 404)
