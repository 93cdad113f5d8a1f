"""The OMDb simulator in process: OMDb's wire protocol, the failure knobs, the catalogue."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import socket
import time
import unicodedata
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
import uvicorn
from typer.testing import CliRunner

from movies_api.cli.omdb_sim import omdb_sim
from movies_api.omdb.normalise import normalise
from movies_api.omdb.simulator import app as simulator
from movies_api.omdb.simulator.app import SimulatorConfig, create_app
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[3]
OMDB_FIELDS = [
    *("Title", "Year", "Rated", "Released", "Runtime", "Genre", "Director", "Writer"),
    *("Actors", "Plot", "Language", "Country", "Awards", "Poster", "Ratings", "Metascore"),
    *("imdbRating", "imdbVotes", "imdbID", "Type", "DVD", "BoxOffice", "Production"),
    *("Website", "Response"),
]


@pytest.fixture
async def sim() -> AsyncIterator[httpx.AsyncClient]:
    """A client of a fresh simulator with default knobs."""
    async with simulator_client(SimulatorConfig()) as client:
        yield client


def simulator_client(config: SimulatorConfig) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(config))
    return httpx.AsyncClient(transport=transport, base_url="http://sim")


async def omdb(client: httpx.AsyncClient, **params: str) -> httpx.Response:
    return await client.get("/", params={"apikey": "test", **params})


async def configure(client: httpx.AsyncClient, **knobs: Any) -> dict[str, Any]:
    response = await client.post("/__sim/config", json=knobs)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def stats(client: httpx.AsyncClient) -> dict[str, Any]:
    answer: dict[str, Any] = (await client.get("/__sim/stats")).json()
    return answer


async def stats_reach(client: httpx.AsyncClient, counter: str, value: int) -> None:
    for _ in range(2000):
        if (await stats(client))[counter] >= value:
            return
        await asyncio.sleep(0.001)
    raise AssertionError(f"{counter} never reached {value}")


def refusal(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert body["Response"] == "False"
    return response.status_code, body["Error"]


# --- look-ups by id ---------------------------------------------------------------------------


async def test_id_gives_the_full_record_in_omdb_field_order(sim: httpx.AsyncClient) -> None:
    response = await omdb(sim, i="tt0133093", plot="full")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    record = response.json()
    assert list(record) == OMDB_FIELDS
    assert (record["Title"], record["Year"], record["Type"]) == ("The Matrix", "1999", "movie")
    assert record["Response"] == "True"


async def test_plot_is_short_unless_full_is_asked(sim: httpx.AsyncClient) -> None:
    full = (await omdb(sim, i="tt0133093", plot="full")).json()["Plot"]
    for short in (
        (await omdb(sim, i="tt0133093")).json()["Plot"],
        (await omdb(sim, i="tt0133093", plot="short")).json()["Plot"],
    ):
        assert full.startswith(short)
        assert len(short) < len(full)
        assert short.endswith(".")


async def test_a_plot_without_a_sentence_end_is_kept_whole(sim: httpx.AsyncClient) -> None:
    record = (await omdb(sim, i="tt9100014")).json()  # N/A everywhere
    assert record["Plot"] == "N/A"


@pytest.mark.parametrize(
    ("movie_id", "error"),
    [
        ("tt9999999", "Error getting data."),
        ("tt123", "Incorrect IMDb ID."),
        ("0133093", "Incorrect IMDb ID."),
        ("matrix", "Incorrect IMDb ID."),
    ],
)
async def test_unknown_and_malformed_ids(sim: httpx.AsyncClient, movie_id: str, error: str) -> None:
    assert refusal(await omdb(sim, i=movie_id)) == (200, error)


async def test_no_id_title_or_search_is_incorrect_imdb_id(sim: httpx.AsyncClient) -> None:
    assert refusal(await omdb(sim)) == (200, "Incorrect IMDb ID.")
    assert refusal(await omdb(sim, i=" ", t="")) == (200, "Incorrect IMDb ID.")


async def test_id_wins_over_title(sim: httpx.AsyncClient) -> None:
    record = (await omdb(sim, i="tt0133093", t="Dune")).json()
    assert record["imdbID"] == "tt0133093"


# --- keys and quota -------------------------------------------------------------------------


async def test_missing_and_invalid_keys_get_omdb_401s(sim: httpx.AsyncClient) -> None:
    assert refusal(await sim.get("/", params={"i": "tt0133093"})) == (
        401,
        "No API key provided.",
    )
    assert refusal(await omdb(sim, i="tt0133093", apikey="invalid")) == (401, "Invalid API key!")


async def test_a_key_list_accepts_only_its_keys(sim: httpx.AsyncClient) -> None:
    await configure(sim, api_keys=["alpha", "beta"])
    assert (await omdb(sim, i="tt0133093", apikey="beta")).status_code == 200
    assert refusal(await omdb(sim, i="tt0133093", apikey="gamma")) == (401, "Invalid API key!")


async def test_quota_counts_per_key(sim: httpx.AsyncClient) -> None:
    await configure(sim, quota=2)
    for _ in range(2):
        assert (await omdb(sim, i="tt0133093", apikey="a")).status_code == 200
    for _ in range(2):
        assert refusal(await omdb(sim, i="tt0133093", apikey="a")) == (
            401,
            "Request limit reached!",
        )
    assert (await omdb(sim, i="tt0133093", apikey="b")).status_code == 200
    await sim.post("/__sim/reset")
    assert (await omdb(sim, i="tt0133093", apikey="a")).status_code == 200


# --- look-ups by title ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "movie_id"),
    [
        ({"t": "the matrix"}, "tt0133093"),
        ({"t": "THE MATRIX"}, "tt0133093"),
        ({"t": "  The Matrix "}, "tt0133093"),
        ({"t": "Dune"}, "tt1160419"),
        ({"t": "Dune", "y": "1984"}, "tt0087182"),
        ({"t": "dune", "type": "series"}, "tt9100011"),
        ({"t": "A Star Is Born"}, "tt1517451"),
        ({"t": "a star is born", "y": "1954"}, "tt0047522"),
        ({"t": "Ocean's Eleven", "y": "1960"}, "tt0054135"),
        ({"t": "The Thing", "y": "abc"}, "tt0905372"),  # a non-numeric year is ignored
        ({"t": "Game of Thrones", "y": "2011"}, "tt0944947"),
        ({"t": "Face/Off"}, "tt0119094"),
        ({"t": "100% Wolf"}, "tt7638348"),
        ({"t": "#alive"}, "tt10620868"),
        ({"t": "[REC]"}, "tt1038988"),
        ({"t": "¡three amigos!"}, "tt0092086"),
        ({"t": '"crocodile" dundee'}, "tt0090555"),
        ({"t": "AMÉLIE"}, "tt0211915"),
        ({"t": "8½"}, "tt0056801"),
        ({"t": "東京物語"}, "tt0046438"),
        ({"t": "сталкер"}, "tt0079944"),
        ({"t": "Snake_Case: The Movie"}, "tt9100002"),
        ({"t": "What? Why? #Because+Then"}, "tt9100003"),
    ],
)
async def test_title_look_ups(
    sim: httpx.AsyncClient, params: dict[str, str], movie_id: str
) -> None:
    response = await omdb(sim, **params)
    assert response.status_code == 200
    assert response.json()["imdbID"] == movie_id


@pytest.mark.parametrize(
    "params",
    [
        {"t": "No Such Film"},
        {"t": "Dune", "y": "1999"},
        {"t": "The Matrix", "type": "series"},
        {"t": "The Matrix", "type": "nonsense"},
        {"t": "Matrix"},
        {"t": "Spaced Out"},  # spacing matters, as on OMDb
    ],
)
async def test_title_misses_are_movie_not_found(
    sim: httpx.AsyncClient, params: dict[str, str]
) -> None:
    assert refusal(await omdb(sim, **params)) == (200, "Movie not found!")


# --- search -------------------------------------------------------------------------------


async def test_search_pages_ten_summaries_at_a_time(sim: httpx.AsyncClient) -> None:
    first = (await omdb(sim, s="love")).json()
    total = int(first["totalResults"])
    assert total > 30
    assert first["Response"] == "True"
    assert len(first["Search"]) == 10
    assert all(
        list(hit) == ["Title", "Year", "imdbID", "Type", "Poster"] for hit in first["Search"]
    )
    last_page = -(-total // 10)
    last = (await omdb(sim, s="love", page=str(last_page))).json()
    assert len(last["Search"]) == total - (last_page - 1) * 10
    seen = set()
    for page in range(1, last_page + 1):
        hits = (await omdb(sim, s="LOVE", page=str(page))).json()["Search"]
        seen |= {hit["imdbID"] for hit in hits}
        assert all("love" in hit["Title"].lower().split() for hit in hits)
    assert len(seen) == total
    past = await omdb(sim, s="love", page=str(last_page + 1))
    assert refusal(past) == (200, "Movie not found!")


@pytest.mark.parametrize("page", ["0", "-1", "abc", ""])
async def test_a_nonsense_page_is_the_first(sim: httpx.AsyncClient, page: str) -> None:
    first = (await omdb(sim, s="war")).json()
    assert (await omdb(sim, s="war", page=page)).json() == first


async def test_search_needs_every_word_and_honours_type_and_year(sim: httpx.AsyncClient) -> None:
    both = (await omdb(sim, s="star born")).json()
    assert {hit["imdbID"] for hit in both["Search"]} == {
        "tt0029606",
        "tt0047522",
        "tt0075265",
        "tt1517451",
    }
    dated = (await omdb(sim, s="star born", y="1976")).json()
    assert [hit["imdbID"] for hit in dated["Search"]] == ["tt0075265"]
    series = (await omdb(sim, s="night", type="series")).json()
    assert [hit["imdbID"] for hit in series["Search"]] == ["tt9100012"]
    assert series["totalResults"] == "1"


@pytest.mark.parametrize("query", ["zzzqqq", "!!!", "love zzzqqq"])
async def test_search_without_hits_is_movie_not_found(sim: httpx.AsyncClient, query: str) -> None:
    assert refusal(await omdb(sim, s=query)) == (200, "Movie not found!")


async def test_common_words_give_a_search_seed_ten_pages(sim: httpx.AsyncClient) -> None:
    movies: set[str] = set()
    for word in ("love", "war", "night", "man", "star"):
        page = (await omdb(sim, s=word, type="movie")).json()
        assert int(page["totalResults"]) >= 20
        movies |= {hit["imdbID"] for hit in page["Search"]}
    assert len(movies) == 50  # five words, ten distinct movies each on page 1


# --- failure knobs -----------------------------------------------------------------------


async def test_down_answers_503_to_everything(sim: httpx.AsyncClient) -> None:
    await configure(sim, down=True)
    assert (await omdb(sim, i="tt0133093")).status_code == 503
    assert (await sim.get("/")).status_code == 503
    await configure(sim, down=False)
    assert (await omdb(sim, i="tt0133093")).status_code == 200


async def test_error_rate_one_breaks_every_answer_both_ways() -> None:
    kinds = set()
    async with simulator_client(SimulatorConfig(error_rate=1)) as client:
        for _ in range(40):
            response = await omdb(client, i="tt0133093")
            if response.status_code == 500:
                kinds.add("500")
                continue
            assert response.status_code == 200
            with pytest.raises(json.JSONDecodeError):
                response.json()
            kinds.add("malformed")
    assert kinds == {"500", "malformed"}


async def test_the_dice_follow_the_seed(sim: httpx.AsyncClient) -> None:
    async def statuses() -> list[int]:
        return [(await omdb(sim, i="tt0133093")).status_code for _ in range(30)]

    await configure(sim, error_rate=0.5, random_seed=7)
    first = await statuses()
    await configure(sim, random_seed=7)
    assert await statuses() == first
    assert 200 in first
    assert 500 in first


async def test_a_hang_never_answers_and_frees_its_slot_when_cancelled() -> None:
    async with simulator_client(SimulatorConfig(hang_rate=1, max_concurrency=1)) as client:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(omdb(client, i="tt0133093"), 0.2)
        assert (await stats(client))["in_flight"] == 0
        await configure(client, hang_rate=0)
        assert (await omdb(client, i="tt0133093")).status_code == 200


async def test_a_hang_gives_up_after_its_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(simulator, "_HANG_SECONDS", 0.05)
    async with simulator_client(SimulatorConfig(hang_rate=1)) as client:
        assert (await omdb(client, i="tt0133093")).status_code == 504


async def test_latency_delays_every_answer() -> None:
    async with simulator_client(SimulatorConfig(latency_ms=60)) as client:
        started = time.monotonic()
        await omdb(client, i="tt0133093")
        assert time.monotonic() - started >= 0.06


async def test_max_concurrency_queues_the_rest() -> None:
    config = SimulatorConfig(latency_ms=20, max_concurrency=3)
    async with simulator_client(config) as client:
        answers = await asyncio.gather(*(omdb(client, i="tt0133093") for _ in range(20)))
        assert {answer.status_code for answer in answers} == {200}
        counters = await stats(client)
    assert counters["peak_in_flight"] == 3
    assert counters["in_flight"] == 0


async def test_raising_the_cap_at_run_time_lets_queued_requests_in() -> None:
    async with simulator_client(SimulatorConfig(hang_rate=1, max_concurrency=1)) as client:
        hung = asyncio.create_task(omdb(client, i="tt0133093"))
        await stats_reach(client, "in_flight", 1)
        queued = asyncio.create_task(omdb(client, t="Dune"))
        await stats_reach(client, "requests", 2)
        await configure(client, hang_rate=0, max_concurrency=2)
        response = await asyncio.wait_for(queued, 2)
        assert response.json()["imdbID"] == "tt1160419"
        hung.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await hung


# --- control endpoints -----------------------------------------------------------------------


async def test_stats_count_every_request_by_kind_and_reset_zeroes_them(
    sim: httpx.AsyncClient,
) -> None:
    before = time.time()
    await omdb(sim, i="tt0133093")
    await omdb(sim, i="tt0000000")
    await omdb(sim, t="Dune")
    await omdb(sim, s="love")
    await omdb(sim)
    await sim.get("/")
    counted = await stats(sim)
    assert before <= counted.pop("first_request_at") <= time.time()
    assert counted == {
        "requests": 6,
        "by_kind": {"i": 2, "t": 1, "s": 1},
        "in_flight": 0,
        "peak_in_flight": 1,
        "posters": 0,
    }
    reset = (await sim.post("/__sim/reset")).json()
    assert reset == {
        "requests": 0,
        "first_request_at": None,
        "by_kind": {"i": 0, "t": 0, "s": 0},
        "in_flight": 0,
        "peak_in_flight": 0,
        "posters": 0,
    }


async def test_config_shows_and_changes_the_knobs(sim: httpx.AsyncClient) -> None:
    shown = (await sim.get("/__sim/config")).json()
    assert shown == {
        "latency_ms": 0,
        "max_concurrency": None,
        "error_rate": 0,
        "hang_rate": 0,
        "quota": None,
        "api_keys": None,
        "down": False,
        "random_seed": 0,
        "synthesize_ids": False,
    }
    changed = await configure(sim, latency_ms=1.5, api_keys=["b", "a"], quota=10)
    assert changed == {**shown, "latency_ms": 1.5, "api_keys": ["a", "b"], "quota": 10}


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        b'{"speed": 11}',
        b'{"error_rate": 2}',
        b'{"error_rate": "0.5"}',
        b'{"latency_ms": NaN}',
        b'{"max_concurrency": 0}',
        b'{"max_concurrency": 1.5}',
        b'{"quota": -1}',
        b'{"down": "yes"}',
        b'{"api_keys": "abc"}',
        b'{"api_keys": [""]}',
        b'{"api_keys": [[1]]}',
        b'{"random_seed": true}',
    ],
)
async def test_invalid_config_is_a_400_and_changes_nothing(
    sim: httpx.AsyncClient, body: bytes
) -> None:
    before = (await sim.get("/__sim/config")).json()
    response = await sim.post("/__sim/config", content=body)
    assert response.status_code == 400
    assert response.json()["error"]
    assert (await sim.get("/__sim/config")).json() == before


@pytest.mark.parametrize(
    "knobs",
    [
        {"latency_ms": -1},
        {"error_rate": 1.1},
        {"hang_rate": -0.1},
        {"max_concurrency": 0},
        {"quota": -1},
        {"down": 1},
        {"random_seed": "0"},
    ],
)
def test_config_refuses_nonsense(knobs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must"):
        SimulatorConfig(**knobs)


# --- the catalogue ------------------------------------------------------------------------


def catalogue() -> list[dict[str, Any]]:
    source = resources.files("movies_api.omdb.simulator").joinpath("catalogue.json")
    records: list[dict[str, Any]] = json.loads(source.read_text(encoding="utf-8"))
    return records


def seed_ids() -> list[str]:
    text = resources.files("movies_api.services").joinpath("seed_ids.txt").read_text()
    return [line.strip() for line in text.splitlines() if line.startswith("tt")]


def test_catalogue_has_300_unique_ids_and_every_seed_film_as_a_movie() -> None:
    records = catalogue()
    by_id = {record["imdbID"]: record for record in records}
    assert len(by_id) == len(records) >= 300
    assert len(seed_ids()) >= 100
    for movie_id in seed_ids():
        assert by_id[movie_id]["Type"] == "movie", movie_id
    assert by_id["tt0211915"]["Title"] == "Amélie"
    assert by_id["tt0133093"]["Title"] == "The Matrix"


def test_every_catalogue_record_normalises() -> None:
    for record in catalogue():
        movie = normalise(record)
        assert movie.id == record["imdbID"]
        assert movie.title == record["Title"]
        assert movie.year is not None


def test_movies_carry_every_omdb_field() -> None:
    for record in catalogue():
        if record["Type"] == "movie":
            assert list(record) == OMDB_FIELDS, record["imdbID"]


def test_catalogue_holds_the_awkward_cases() -> None:
    records = catalogue()
    titles = {record["Title"] for record in records}
    assert {"Face/Off", "100% Wolf", '"Crocodile" Dundee', "Ocean's Eleven", "8½"} <= titles
    assert any(len(title) == 250 for title in titles)
    scripts = {unicodedata.name(ch, "?").split()[0] for title in titles for ch in title}
    assert {"HIRAGANA", "KATAKANA", "CJK", "CYRILLIC", "GREEK", "ARABIC", "HANGUL"} <= scripts
    by_type = {record["Type"] for record in records}
    assert by_type == {"movie", "series", "episode"}
    assert any("totalSeasons" in r and "\u2013" in r["Year"] for r in records)
    assert sum(r["Title"] == "A Star Is Born" for r in records) == 4
    assert any(r["Released"] == "2010" for r in records)
    assert any(r["Runtime"] == "N/A" for r in records)
    assert any(r.get("imdbVotes") == "N/A" for r in records)
    assert any(r.get("BoxOffice") == "N/A" for r in records)


def test_catalogue_is_what_the_generator_builds() -> None:
    path = ROOT / "scripts" / "build_sim_catalogue.py"
    spec = importlib.util.spec_from_file_location("build_sim_catalogue", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    built = module.render(module.build())
    assert built == module.TARGET.read_text(encoding="utf-8")
    assert module.main(["--check"]) == 0


# --- running it ---------------------------------------------------------------------------


def test_run_serves_the_app_quietly_on_the_socket_it_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[uvicorn.Config, list[socket.socket] | None]] = []
    monkeypatch.setattr(
        uvicorn.Server, "run", lambda server, sockets=None: calls.append((server.config, sockets))
    )
    with socket.socket() as listener:
        simulator.run(SimulatorConfig(), listener)
        [(config, sockets)] = calls
        assert sockets == [listener]
    assert callable(config.app)
    assert config.access_log is False  # the query string holds the key


def test_cli_binds_before_it_says_where_it_listens(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[SimulatorConfig, tuple[str, int]]] = []

    def fake_run(config: SimulatorConfig, listener: socket.socket) -> None:
        calls.append((config, listener.getsockname()))
        listener.close()

    monkeypatch.setattr(simulator, "run", fake_run)
    cli = typer.Typer()
    cli.command()(omdb_sim)
    port = free_port()
    options = f"--port {port} --latency-ms 5 --max-concurrency 4 --error-rate 0.25 --hang-rate 0.1"
    result = CliRunner().invoke(cli, [*options.split(), "--quota", "7", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert f"listening on http://127.0.0.1:{port}/" in result.output
    assert calls == [
        (
            SimulatorConfig(
                latency_ms=5,
                max_concurrency=4,
                error_rate=0.25,
                hang_rate=0.1,
                quota=7,
                random_seed=3,
            ),
            ("127.0.0.1", port),
        )
    ]


def test_cli_refuses_an_error_rate_above_one() -> None:
    cli = typer.Typer()
    cli.command()(omdb_sim)
    result = CliRunner().invoke(cli, ["--error-rate", "1.5"])
    assert result.exit_code == 2
