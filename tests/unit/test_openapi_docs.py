"""``/openapi.json`` documents the whole API for people reading ``/docs`` and ``/redoc``:
every schema property, parameter, response and response header has a description, and
the examples are realistic (a real movie, a real page)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import movies_api
from movies_api.http import problems
from movies_api.http.openapi import problem_example
from tests.unit.app_with_fakes import client, make_app

Document = dict[str, Any]
_KIND = re.compile(r'\bkind="([a-z-]+)"')


@pytest.fixture
async def document() -> Document:
    app, _ = make_app()
    async with client(app) as http:
        answer = await http.get("/openapi.json")
    assert answer.status_code == 200
    body: Document = answer.json()
    return body


def _properties(schema: Document, where: str) -> Iterator[tuple[str, Document]]:
    """Every property of ``schema`` and of the schemas nested in it, named by its path."""
    for name, member in schema.get("properties", {}).items():
        yield f"{where}.{name}", member
        yield from _properties(member, f"{where}.{name}")
        yield from _properties(member.get("items", {}), f"{where}.{name}[]")


def _operations(document: Document) -> Iterator[tuple[str, Document]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def _inline_schemas(document: Document) -> Iterator[tuple[str, Document]]:
    """Request bodies written inline rather than under components."""
    for name, operation in _operations(document):
        for media, content in operation.get("requestBody", {}).get("content", {}).items():
            yield f"{name} {media}", content.get("schema", {})


def test_every_schema_property_has_a_description_and_an_example(document: Document) -> None:
    schemas = [*document["components"]["schemas"].items(), *_inline_schemas(document)]
    undocumented = [
        path
        for name, schema in schemas
        for path, member in _properties(schema, name)
        if not member.get("description")
    ]
    without_example = [
        path
        for name, schema in schemas
        if name not in {"HTTPValidationError", "ValidationError"}
        for path, member in _properties(schema, name)
        # A member that is another schema (or a list of one) takes that schema's examples.
        if not {"examples", "example", "$ref"} & set(member)
        and "$ref" not in member.get("items", {})
    ]
    assert undocumented == []
    assert without_example == []


def test_every_parameter_has_a_description_and_an_example(document: Document) -> None:
    parameters = [
        (f"{name} {parameter['name']}", parameter)
        for name, operation in _operations(document)
        for parameter in operation.get("parameters", [])
    ]
    assert [where for where, parameter in parameters if not parameter.get("description")] == []
    # Swagger UI fills "Try it out" with the examples: a made-up cursor would make it a 422.
    without_example = [
        where
        for where, parameter in parameters
        if not {"example", "examples"} & {*parameter, *parameter["schema"]}
    ]
    assert without_example == ["GET /movies cursor"]


def test_every_response_says_when_it_happens(document: Document) -> None:
    generic = {"Successful Response", "Validation Error", ""}
    vague = [
        f"{name} {status}: {response.get('description')!r}"
        for name, operation in _operations(document)
        for status, response in operation["responses"].items()
        if response.get("description", "") in generic or len(response["description"]) < 12
    ]
    assert vague == []


def test_every_response_header_has_a_description(document: Document) -> None:
    headers = [
        (f"{name} {status} {header}", spec)
        for name, operation in _operations(document)
        for status, response in operation["responses"].items()
        for header, spec in response.get("headers", {}).items()
    ]
    assert [where for where, spec in headers if not spec.get("description")] == []
    documented = {where.rsplit(" ", 1)[1] for where, _ in headers}
    assert {"ETag", "Link", "Location", "Retry-After", "WWW-Authenticate"} <= documented


def test_the_headers_a_client_acts_on_are_documented_where_they_are_sent(
    document: Document,
) -> None:
    paths = document["paths"]
    assert {"ETag", "Link"} <= set(paths["/movies"]["get"]["responses"]["200"]["headers"])
    add = paths["/movies"]["post"]["responses"]
    assert "Location" in add["201"]["headers"]
    assert "Location" in add["409"]["headers"]
    assert "Retry-After" in add["429"]["headers"]
    assert (
        "WWW-Authenticate" in paths["/movies/{movie_id}"]["delete"]["responses"]["401"]["headers"]
    )
    assert "304" in paths["/movies/{movie_id}"]["get"]["responses"]


def test_the_examples_are_a_real_movie_and_a_real_page(document: Document) -> None:
    schemas = document["components"]["schemas"]
    movie = schemas["MovieOut"]["properties"]
    assert movie["id"]["examples"] == ["tt0133093"]
    assert movie["title"]["examples"] == ["The Matrix"]
    page = schemas["MoviePage"]["properties"]
    assert page["page"]["examples"][0] >= 1
    assert page["limit"]["examples"][0] >= 1
    links = schemas["PageLinks"]["properties"]
    assert all(link["examples"][0].startswith("/movies?") for link in links.values())


def test_the_problem_types_are_listed(document: Document) -> None:
    problem = document["components"]["schemas"]["ProblemOut"]["properties"]["type"]
    for kind in ("validation-error", "movie-not-found", "movie-exists", "omdb-timeout"):
        assert f"/problems/{kind}" in problem["description"]


def _kinds_the_code_sends() -> set[str]:
    """Every problem type named in the source: ``kind="…"`` and the service-error table."""
    source = Path(movies_api.__file__).parent
    named = {kind for path in source.rglob("*.py") for kind in _KIND.findall(path.read_text())}
    # "internal" answers a service error no entry maps: a bug to fix, not an outcome to document.
    return (named | {slug for _, slug in problems._STATUS.values()}) - {"internal"}


def test_every_problem_type_the_code_sends_is_documented(document: Document) -> None:
    kinds = _kinds_the_code_sends()
    assert {"unauthorised", "rate-limited", "not-ready", "omdb-failed"} <= kinds
    described = document["components"]["schemas"]["ProblemOut"]["properties"]["type"]
    reference = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    for kind in sorted(kinds):
        assert f"`/problems/{kind}`" in described["description"], kind
        assert f"`/problems/{kind}`" in reference, kind
        assert problem_example(kind)["type"] == f"/problems/{kind}"
