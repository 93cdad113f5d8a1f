"""The GET routes (contract §2) in process over fakes: pages and their links, one movie by
id or by title, problems for every refusal, ETag revalidation and freshness after writes."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI

from movies_api.bootstrap import Container
from movies_api.cache.responses import ResponseCache
from movies_api.cache.version import CatalogueVersion
from movies_api.domain.movie import MovieDetails
from movies_api.http.app import create_app
from movies_api.services.catalogue import CatalogueService
from movies_api.services.errors import StorageUnavailable
from movies_api.services.ports import UnitOfWork
from tests.reference_catalogue import ADDED_AT, AMELIE, TRICKY_MOVIES, reference_order, stored
from tests.unit.app_with_fakes import FakeOmdb, client, make_app
from tests.unit.fakes import FakeUnitOfWorkFactory, Store

MOVIE_FIELDS = {
    "id", "title", "year", "type", "rated", "released", "runtime_minutes", "genres",
    "directors", "writers", "actors", "plot", "languages", "countries", "awards",
    "poster_url", "ratings", "metascore", "imdb_rating", "imdb_votes", "dvd",
    "box_office_usd", "production", "website", "added_at", "refreshed_at",
}  # fmt: skip
ORDER = reference_order(TRICKY_MOVIES)
TOTAL = len(TRICKY_MOVIES)


def store_of(movies: Sequence[MovieDetails]) -> Store:
    store = Store()
    store.movies = {movie.id: movie for movie in stored(movies)}
    return store


@pytest.fixture
def store() -> Store:
    return store_of(TRICKY_MOVIES)


@pytest.fixture
async def http(store: Store) -> AsyncIterator[Any]:
    app, _ = make_app(store=store)
    async with client(app) as connection:
        yield connection


def ids(document: dict[str, Any]) -> list[str]:
    return [item["id"] for item in document["items"]]


def link(page: int, limit: int) -> str:
    return f"/movies?page={page}&limit={limit}"


async def test_first_page_defaults_to_ten_movies_in_title_order(http: Any) -> None:
    response = await http.get("/movies")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert ids(document) == ORDER[:10]
    pages = -(-TOTAL // 10)
    assert (document["page"], document["limit"], document["total"], document["pages"]) == (
        1,
        10,
        TOTAL,
        pages,
    )
    assert document["links"] == {
        "self": link(1, 10),
        "first": link(1, 10),
        "prev": None,
        "next": link(2, 10),
        "last": link(pages, 10),
    }


async def test_link_header_carries_the_same_links(http: Any) -> None:
    response = await http.get("/movies", params={"page": 2, "limit": 7})
    links = response.json()["links"]
    expected = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items() if url)
    assert response.headers["link"] == expected
    assert f'<{link(1, 7)}>; rel="prev"' in response.headers["link"]


async def test_a_middle_page_links_both_ways(http: Any) -> None:
    document = (await http.get("/movies", params={"page": 3, "limit": 7})).json()
    assert ids(document) == ORDER[14:21]
    assert document["links"]["prev"] == link(2, 7)
    assert document["links"]["next"] == link(4, 7)


async def test_the_last_page_has_no_next_and_holds_the_remainder(http: Any) -> None:
    pages = -(-TOTAL // 7)
    document = (await http.get("/movies", params={"page": pages, "limit": 7})).json()
    assert ids(document) == ORDER[(pages - 1) * 7 :]
    assert document["links"]["next"] is None
    assert document["links"]["prev"] == link(pages - 1, 7)


async def test_a_page_past_the_last_is_empty_with_prev_pointing_at_the_last(http: Any) -> None:
    response = await http.get("/movies", params={"page": 40, "limit": 10})
    assert response.status_code == 200
    document = response.json()
    last = link(-(-TOTAL // 10), 10)
    assert document["items"] == []
    assert document["links"]["prev"] == last
    assert document["links"]["next"] is None
    assert document["links"]["last"] == last
    assert document["total"] == TOTAL


async def test_an_empty_catalogue_answers_an_empty_page_without_prev_next_or_last() -> None:
    app, _ = make_app(store=Store())
    async with client(app) as http:
        for page in (1, 3):
            response = await http.get("/movies", params={"page": page})
            document = response.json()
            assert (document["items"], document["total"], document["pages"]) == ([], 0, 0)
            assert document["links"] == {
                "self": link(page, 10),
                "first": link(1, 10),
                "prev": None,
                "next": None,
                "last": None,
            }
            assert response.headers["link"] == (
                f'<{link(page, 10)}>; rel="self", <{link(1, 10)}>; rel="first"'
            )


@pytest.mark.parametrize("limit", [1, 3, 7, 10, 100])
async def test_walking_the_pages_gives_every_movie_exactly_once(http: Any, limit: int) -> None:
    walked: list[str] = []
    url: str | None = link(1, limit)
    while url is not None:
        document = (await http.get(url)).json()
        walked.extend(ids(document))
        url = document["links"]["next"]
    assert walked == ORDER


async def test_query_parameters_the_route_does_not_know_are_ignored(http: Any) -> None:
    response = await http.get("/movies", params={"limit": 3, "order": "year", "page_size": 50})
    assert response.status_code == 200
    assert ids(response.json()) == ORDER[:3]


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": -5}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"page": 0}, "page"),
        ({"page": -1}, "page"),
        ({"page": "abc"}, "page"),
        ({"page": ""}, "page"),
    ],
)
async def test_an_invalid_page_or_limit_is_422_naming_the_parameter(
    http: Any, params: dict[str, object], name: str
) -> None:
    response = await http.get("/movies", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert [(error["in"], error["name"]) for error in problem["errors"]] == [("query", name)]
    assert all(error["detail"] for error in problem["errors"])


async def test_both_invalid_parameters_are_reported(http: Any) -> None:
    problem = (await http.get("/movies", params={"page": 0, "limit": 0})).json()
    assert sorted(error["name"] for error in problem["errors"]) == ["limit", "page"]
    assert problem["detail"] == "invalid limit, page"


@pytest.mark.parametrize(("page", "limit"), [(1, 1), (1, 100)])
async def test_limit_bounds_are_inclusive(http: Any, page: int, limit: int) -> None:
    response = await http.get("/movies", params={"page": page, "limit": limit})
    assert response.status_code == 200
    assert len(response.json()["items"]) == min(limit, TOTAL)


async def test_a_movie_by_id_has_every_field_of_the_contract(http: Any) -> None:
    response = await http.get(f"/movies/{AMELIE.id}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    movie = response.json()
    assert set(movie) == MOVIE_FIELDS
    assert movie["title"] == "Amélie"
    assert movie["released"] == "2001-04-25"
    assert movie["dvd"] == "2002-07-16"
    assert movie["genres"] == ["Comedy", "Romance"]
    assert movie["ratings"][0] == {"source": "Internet Movie Database", "value": "8.3/10"}
    assert movie["imdb_rating"] == 8.3
    assert movie["box_office_usd"] == 33_225_499
    assert movie["added_at"] == "2024-05-17T09:30:15.123456Z"
    assert movie["refreshed_at"] == movie["added_at"]  # never refreshed


async def test_a_movie_without_details_answers_nulls_and_empty_lists(http: Any) -> None:
    movie = (await http.get("/movies/tt9000006")).json()
    assert movie["year"] is None
    assert movie["released"] is None
    assert movie["genres"] == []
    assert movie["ratings"] == []


async def test_an_unknown_id_is_a_404_problem(http: Any) -> None:
    response = await http.get("/movies/tt7654321")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/movie-not-found"
    assert problem["title"] == "Not Found"
    assert "tt7654321" in problem["detail"]


@pytest.mark.parametrize(
    "movie_id", ["tt123", "0133093", "TT0133093", "tt12345678901", "tt013309x"]
)
async def test_a_malformed_id_is_422(http: Any, movie_id: str) -> None:
    response = await http.get(f"/movies/{movie_id}")
    assert response.status_code == 422
    assert [(e["in"], e["name"]) for e in response.json()["errors"]] == [("path", "movie_id")]


@pytest.mark.parametrize(
    ("title", "movie_id"),
    [
        ("Face/Off", "tt0119094"),
        ("100% Wolf", "tt7638348"),
        ("8½", "tt0056801"),
        ("'71", "tt2614684"),
        ("#Alive", "tt10620868"),
        ("(500) Days of Summer", "tt1022603"),
        ("...and justice FOR all", "tt0078718"),
        ("  léon:   THE professional ", "tt0110413"),
        ("千と千尋の神隠し", "tt0245429"),
        ("сталкер", "tt0079944"),
        ("🎬 cinema", "tt9000013"),
    ],
)
async def test_by_title_finds_any_title_percent_encoded(
    http: Any, title: str, movie_id: str
) -> None:
    response = await http.get(f"/movies/by-title?title={quote(title, safe='')}")
    assert response.status_code == 200, response.text
    assert response.json()["id"] == movie_id


async def test_by_title_with_remakes_is_300_listing_candidates_in_title_order(http: Any) -> None:
    response = await http.get("/movies/by-title", params={"title": "DUNE"})
    assert response.status_code == 300
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 300
    assert problem["type"] == "/problems/ambiguous-title"
    assert problem["candidates"] == [
        {"id": "tt0087182", "title": "Dune", "year": 1984},
        {"id": "tt9000007", "title": "Dune", "year": 1984},
        {"id": "tt1160419", "title": "Dune", "year": 2021},
        {"id": "tt9000006", "title": "Dune", "year": None},
    ]


async def test_by_title_candidates_keep_each_stored_spelling(http: Any) -> None:
    problem = (await http.get("/movies/by-title", params={"title": "amelie"})).json()
    assert [(c["title"], c["year"]) for c in problem["candidates"]] == [
        ("Amelie", 1999),
        ("Amélie", 2001),
        ("amelie", 2001),
        ("AMELIE", None),
    ]


async def test_by_title_year_narrows_remakes_to_one(http: Any) -> None:
    response = await http.get("/movies/by-title", params={"title": "Ocean's Eleven", "year": 2001})
    assert response.status_code == 200
    assert response.json()["id"] == "tt0240772"


@pytest.mark.parametrize(
    "params", [{"title": "Nope"}, {"title": "Dune", "year": 1900}, {"title": "\u0301"}]
)
async def test_by_title_without_a_match_is_404(http: Any, params: dict[str, object]) -> None:
    response = await http.get("/movies/by-title", params=params)
    assert response.status_code == 404
    assert response.json()["type"] == "/problems/movie-not-found"


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("", "title"),
        ("?title=", "title"),
        ("?title=%20%20%09", "title"),
        ("?title=%E3%80%80", "title"),  # an ideographic space is white space too
        ("?title=Dune&year=abc", "year"),
        ("?title=Dune&year=1984.5", "year"),
        ("?title=Dune&year=", "year"),
    ],
)
async def test_by_title_missing_blank_title_or_non_integer_year_is_422(
    http: Any, query: str, name: str
) -> None:
    response = await http.get(f"/movies/by-title{query}")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [(e["in"], e["name"]) for e in response.json()["errors"]] == [("query", name)]


async def test_a_repeated_read_with_the_etag_is_a_bodiless_304(http: Any) -> None:
    for url in ("/movies?page=2&limit=5", f"/movies/{AMELIE.id}", "/movies/by-title?title=8%C2%BD"):
        first = await http.get(url)
        etag = first.headers["etag"]
        again = await http.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag


async def test_a_300_answer_is_never_revalidated_to_304(http: Any) -> None:
    first = await http.get("/movies/by-title", params={"title": "dune"})
    again = await http.get(
        "/movies/by-title",
        params={"title": "dune"},
        headers={"If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 300
    assert again.json()["candidates"]


async def test_a_write_changes_every_cached_read_at_once(store: Store) -> None:
    app, container = make_app(store=store)
    async with client(app) as http:
        page = await http.get("/movies", params={"limit": 100})
        by_id = await http.get("/movies/tt0119094")
        by_title = await http.get("/movies/by-title", params={"title": "face/off"})
        assert (await http.get("/movies/tt0119094")).status_code == 200  # now cached

        await container.catalogue.delete("tt0119094")

        assert (await http.get("/movies/tt0119094")).status_code == 404
        assert (await http.get("/movies/by-title", params={"title": "face/off"})).status_code == 404
        fresh = await http.get(
            "/movies", params={"limit": 100}, headers={"If-None-Match": page.headers["etag"]}
        )
        assert fresh.status_code == 200
        assert "tt0119094" not in ids(fresh.json())
        assert fresh.json()["total"] == TOTAL - 1
        assert by_id.status_code == by_title.status_code == 200


async def test_a_remake_added_later_turns_a_cached_200_into_300() -> None:
    store = store_of([MovieDetails(id="tt0084787", title="The Thing", year=1982, type="movie")])
    app, _ = make_app(store=store)
    async with client(app) as http:
        assert (
            await http.get("/movies/by-title", params={"title": "the thing"})
        ).status_code == 200
        async with FakeUnitOfWorkFactory(store)() as uow:
            await uow.movies.add(
                [MovieDetails(id="tt0905372", title="The Thing", year=2011, type="movie")],
                added_at=ADDED_AT,
            )
            await uow.commit()
        response = await http.get("/movies/by-title", params={"title": "the thing"})
        assert response.status_code == 300


async def test_the_cache_can_be_turned_off(store: Store) -> None:
    app, container = make_app(store=store, cache_entries=0)
    async with client(app) as http:
        first = await http.get("/movies/tt0119094")
        await container.catalogue.delete("tt0119094")
        assert first.status_code == 200
        assert (await http.get("/movies/tt0119094")).status_code == 404


@contextlib.asynccontextmanager
async def no_lifespan(_app: FastAPI) -> AsyncIterator[None]:
    yield


class FailingUnitOfWork:
    """A unit of work whose database is down."""

    async def __aenter__(self) -> UnitOfWork:
        raise StorageUnavailable("the database is unavailable")

    async def __aexit__(self, *_exc: object) -> None:
        return None


def app_on_a_failing_database(uow: type[FailingUnitOfWork], cache_entries: int) -> FastAPI:
    """The app with a catalogue whose every unit of work fails to open."""
    _app, container = make_app(cache_entries=cache_entries)
    failing = CatalogueService(uow=uow, omdb=FakeOmdb())  # type: ignore[arg-type]
    broken = dataclasses.replace(
        container,
        catalogue=failing,
        cache=ResponseCache(
            CatalogueVersion(failing.version), entries=cache_entries, max_bytes=2**20
        ),
    )
    return create_app(broken, no_lifespan)


@pytest.mark.parametrize("url", ["/movies", "/movies/tt0133093", "/movies/by-title?title=Heat"])
@pytest.mark.parametrize("cache_entries", [0, 16])
async def test_a_database_outage_is_a_503_problem_not_a_500(url: str, cache_entries: int) -> None:
    app = app_on_a_failing_database(FailingUnitOfWork, cache_entries)
    async with client(app) as http:
        response = await http.get(url)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/database-unavailable"
    assert "Traceback" not in response.text


class CountingFailingUnitOfWork(FailingUnitOfWork):
    opened = 0

    async def __aenter__(self) -> UnitOfWork:
        CountingFailingUnitOfWork.opened += 1
        return await super().__aenter__()


@pytest.mark.parametrize("cache_entries", [0, 16])
async def test_a_listing_that_fails_is_read_once_and_answered_by_the_fast_path(
    cache_entries: int,
) -> None:
    # The listing is built before FastAPI routes it; its error is answered there, not
    # passed on to the route to fail a second time (a second wait for the database).
    app = app_on_a_failing_database(CountingFailingUnitOfWork, cache_entries)
    CountingFailingUnitOfWork.opened = 0
    async with client(app) as http:
        response = await http.get("/movies?page=2&limit=5")
    assert response.status_code == 503
    assert response.json()["type"] == "/problems/database-unavailable"
    assert CountingFailingUnitOfWork.opened == 1


async def test_healthz_is_ok() -> None:
    app, _ = make_app()
    async with client(app) as http:
        response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_the_seed_state_when_the_database_answers() -> None:
    app, container = make_app()
    async with client(app) as http:
        response = await http.get("/readyz")
    await container.engine.dispose()
    assert response.status_code == 200
    document = response.json()
    assert document["status"] == "ready"
    assert document["seed"]["state"] == "pending"


class DatabaseDown(Container):
    """The container of an instance whose database stopped answering."""

    async def ping(self) -> None:
        raise ConnectionRefusedError("connection refused")


async def test_readyz_is_a_503_problem_with_the_seed_state_when_the_database_is_down() -> None:
    _app, container = make_app()
    down = DatabaseDown(
        **{f.name: getattr(container, f.name) for f in dataclasses.fields(container)}
    )
    async with client(create_app(down, no_lifespan)) as http:
        response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/not-ready"
    assert problem["seed"]["state"] == "pending"
    assert "refused" not in response.text  # the driver's words stay in the logs
    assert problem["cause"] == "ConnectionRefusedError"  # but what kind of failure it is shows


async def test_metrics_are_prometheus_text(http: Any) -> None:
    await http.get("/movies")
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert 'movies_api_http_requests_total{method="GET",route="/movies",status="200"} 1.0' in (
        response.text
    )
