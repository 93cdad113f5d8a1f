"""``GET /movies``'s query (contract §2): one reading for the route and the fast path,
canonical keys and links, a 422 naming every bad parameter, cursors over HTTP."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from movies_api.domain.movie import MovieDetails
from movies_api.http.listing_params import InvalidListing, parse_query_string
from movies_api.http.routes import movies as movies_routes
from tests.reference_catalogue import TRICKY_MOVIES, reference_order, stored
from tests.unit.app_with_fakes import client, make_app
from tests.unit.fakes import Store


@pytest.mark.parametrize(
    "spellings",
    [
        ("", "page=1", "limit=10", "page=1&limit=10", "sort=title", "limit=10&page=1&page_size=3"),
        (
            "genre=Drama&genre=comedy&sort=-rating",
            "sort=-rating&genre=COMEDY&genre=drama&genre=Drama",
        ),
        ("q=Amélie", "q=amelie", "q=AMELIE!", "q=%20amelie%20", "q=amelie&sort=relevance"),
        (
            "director=Jean-Pierre+Jeunet&year_min=2000",
            "year_min=2000&director=jean-pierre%20%20JEUNET",
        ),
        ("rating_min=7.50&type=Movie", "type=movie&rating_min=7.5"),
        ("limit=5&page=2&limit=7", "page=2&limit=7"),  # the last of a repeated parameter counts
    ],
)
def test_every_spelling_of_one_listing_has_one_key(spellings: tuple[str, ...]) -> None:
    keys = {parse_query_string(spelling).cache_key for spelling in spellings}
    assert len(keys) == 1


def test_the_key_of_the_plain_listing_is_the_link_clients_already_know() -> None:
    assert parse_query_string("").cache_key == "/movies?page=1&limit=10"
    assert parse_query_string("q=matr&genre=Sci-Fi").cache_key == (
        "/movies?q=matr&genre=sci-fi&page=1&limit=10"
    )


different = st.sampled_from(
    ["q=dune", "genre=drama", "genre=Comedy", "type=series", "year=1999", "year_min=1990",
     "year_max=2010", "director=x", "actor=y", "rating_min=7", "sort=-year", "limit=3"]
)  # fmt: skip


@given(st.lists(different, min_size=1, max_size=6, unique=True), st.randoms())
def test_parameter_order_never_changes_the_key(parts: list[str], rng: Any) -> None:
    shuffled = list(parts)
    rng.shuffle(shuffled)
    assert parse_query_string("&".join(parts)).cache_key == (
        parse_query_string("&".join(shuffled)).cache_key
    )


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("year=abc", "year"),
        ("year=99999", "year"),
        ("year_min=0", "year_min"),
        ("year_min=2010&year_max=2000", "year_min"),
        ("rating_min=11", "rating_min"),
        ("rating_min=nan", "rating_min"),
        ("rating_min=-1", "rating_min"),
        ("sort=bogus", "sort"),
        ("sort=relevance", "sort"),
        ("q=%20%20", "q"),
        ("q=", "q"),
        ("q=!!!", "q"),
        ("q=" + "a" * 201, "q"),
        ("type=book", "type"),
        ("genre=", "genre"),
        ("director=a%00b", "director"),
        ("actor=" + "x" * 201, "actor"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("page=2&cursor=abc", "cursor"),
    ],
)
def test_a_bad_value_is_refused_naming_its_parameter(query: str, named: str) -> None:
    with pytest.raises(InvalidListing) as refused:
        parse_query_string(query)
    assert named in [name for name, _message in refused.value.errors]


@pytest.fixture
async def http() -> Any:
    store = Store()
    store.movies = {movie.id: movie for movie in stored(TRICKY_MOVIES)}
    app, _ = make_app(store=store)
    async with client(app) as connection:
        yield connection


async def test_a_bad_listing_is_a_422_problem_naming_every_parameter(http: Any) -> None:
    response = await http.get("/movies?year=abc&sort=relevance&limit=0")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert {error["name"] for error in problem["errors"]} == {"year", "sort", "limit"}
    assert all(error["in"] == "query" for error in problem["errors"])


async def test_links_keep_the_listing_in_its_canonical_spelling(http: Any) -> None:
    response = await http.get(
        "/movies", params={"sort": "-year", "type": "Movie", "limit": 4, "page": 2}
    )
    assert response.status_code == 200
    links = response.json()["links"]
    assert links == {
        "self": "/movies?type=movie&sort=-year&page=2&limit=4",
        "first": "/movies?type=movie&sort=-year&page=1&limit=4",
        "prev": "/movies?type=movie&sort=-year&page=1&limit=4",
        "next": "/movies?type=movie&sort=-year&page=3&limit=4",
        "last": f"/movies?type=movie&sort=-year&page={response.json()['pages']}&limit=4",
    }
    for rel, url in links.items():
        assert f'<{url}>; rel="{rel}"' in response.headers["link"]


async def test_walking_next_cursor_yields_every_movie_once_on_pages_without_numbers(
    http: Any,
) -> None:
    response = await http.get("/movies", params={"limit": 7})
    seen = [item["id"] for item in response.json()["items"]]
    body = response.json()
    follow = f"/movies?cursor={body['next_cursor']}&limit=7"
    while body["next_cursor"]:
        response = await http.get(follow)
        body = response.json()
        assert (body["page"], body["pages"]) == (None, None)
        assert (body["links"]["prev"], body["links"]["last"]) == (None, None)
        assert body["links"]["first"] == "/movies?page=1&limit=7"
        assert body["links"]["self"] == response.request.url.raw_path.decode()
        seen += [item["id"] for item in body["items"]]
        follow = body["links"]["next"]
        assert (follow is None) == (body["next_cursor"] is None)
    assert seen == reference_order(TRICKY_MOVIES)
    assert body["links"]["next"] is None


async def test_a_changed_or_foreign_cursor_is_a_422_naming_cursor(http: Any) -> None:
    cursor = (await http.get("/movies", params={"limit": 3, "genre": "Comedy"})).json()
    assert cursor["next_cursor"] is None  # one comedy: nothing follows
    cursor = (await http.get("/movies", params={"limit": 3})).json()["next_cursor"]
    for params in (
        {"cursor": cursor, "sort": "-year"},
        {"cursor": cursor, "q": "dune"},
        {"cursor": cursor[:-1]},
        {"cursor": "garbage"},
    ):
        response = await http.get("/movies", params=params)
        assert response.status_code == 422, params
        assert [error["name"] for error in response.json()["errors"]] == ["cursor"]


async def test_every_spelling_of_a_cached_listing_is_served_from_one_entry() -> None:
    store = Store()
    store.movies = {movie.id: movie for movie in stored(TRICKY_MOVIES)}
    app, _ = make_app(store=store)
    async with client(app) as http:
        first = await http.get("/movies?genre=drama&genre=comedy&limit=3")
        reads = store.listings
        for spelling in ("genre=COMEDY&limit=3&genre=Drama", "limit=3&genre=Comedy&genre=drama"):
            again = await http.get(f"/movies?{spelling}")
            assert again.content == first.content
            assert again.headers["etag"] == first.headers["etag"]
    assert reads == 1
    assert store.listings == reads


@pytest.mark.parametrize(
    "query",
    [
        "",
        "page=3&limit=5",
        "q=dune&sort=-year",
        "genre=Comedy&genre=drama&rating_min=8",
        "year=1999",
    ],
)
async def test_the_fast_path_answers_a_listing_byte_for_byte_as_the_route(query: str) -> None:
    store = Store()
    store.movies = {movie.id: movie for movie in stored(TRICKY_MOVIES)}
    app, container = make_app(store=store)
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "path": "/movies",
        "raw_path": b"/movies",
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"host", b"testserver")],
    }
    async with client(app) as http:  # the whole app: answered by CachedReads, built
        built = await http.get(f"/movies?{query}")
        cached = await http.get(f"/movies?{query}")
        routed = await _asgi_get(app.router, scope)  # the route alone, past the middleware
    assert built.status_code == cached.status_code == routed[0] == 200
    assert built.content == cached.content == routed[2]
    for name in ("etag", "link", "content-type", "cache-control"):
        assert built.headers[name] == cached.headers[name] == routed[1][name]
    wanted = movies_routes.listing_request(scope)
    assert wanted.cache_key in container.cache._local  # type: ignore[operator]


async def _asgi_get(app: Any, scope: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async with AsyncExitStack() as stack:  # what FastAPI's own middleware gives the routes
        await app({**scope, "fastapi_middleware_astack": stack}, receive, send)
    headers = {name.decode(): value.decode() for name, value in sent[0]["headers"]}
    return sent[0]["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])


async def test_counting_stops_past_ten_thousand_matches() -> None:
    store = Store()
    movies = [
        MovieDetails(id=f"tt{8_000_000 + n:07d}", title=f"Crowd {n}", year=2000, type="movie")
        for n in range(10_001)
    ]
    store.movies = {movie.id: movie for movie in stored(movies)}
    app, _ = make_app(store=store)
    async with client(app) as http:
        plain = (await http.get("/movies")).json()
        searched = (await http.get("/movies", params={"q": "crowd", "limit": 100})).json()
    assert (plain["total"], plain["total_exact"]) == (10_001, True)
    assert (searched["total"], searched["total_exact"]) == (10_000, False)
    assert searched["pages"] == 100
    assert searched["links"]["last"] == "/movies?q=crowd&page=100&limit=100"


async def test_openapi_documents_every_listing_parameter_with_an_example(http: Any) -> None:
    document = (await http.get("/openapi.json")).json()
    parameters = {p["name"]: p for p in document["paths"]["/movies"]["get"]["parameters"]}
    assert set(parameters) == {
        "q", "genre", "type", "year", "year_min", "year_max", "director", "actor",
        "rating_min", "sort", "page", "limit", "cursor",
    }  # fmt: skip
    for name, parameter in parameters.items():
        assert parameter["in"] == "query"
        assert parameter["description"], name
        assert "example" in parameter or name == "cursor", name


def test_params_encode_as_the_route_reads_them() -> None:
    query = urlencode([("q", "Léon: The Professional"), ("genre", "Crime")])
    assert (
        parse_query_string(query).cache_key
        == "/movies?q=leon+the+professional&genre=crime&page=1&limit=10"
    )
