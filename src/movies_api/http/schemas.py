"""Pydantic models of the wire format: they document the API in OpenAPI and validate input.

Responses are serialised straight from the domain dataclasses by orjson (see
``representation``); these models describe the same shape for clients.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from movies_api.domain.movie import MOVIE_ID_PATTERN
from movies_api.http.problems import PROBLEM_JSON


class RatingOut(BaseModel):
    source: str = Field(examples=["Internet Movie Database"])
    value: str = Field(examples=["8.7/10"])


class MovieOut(BaseModel):
    """A movie with every detail OMDb gives (contract §1)."""

    id: str = Field(pattern=MOVIE_ID_PATTERN, examples=["tt0133093"])
    title: str = Field(examples=["The Matrix"])
    year: int | None = Field(examples=[1999])
    type: str = Field(examples=["movie"])
    rated: str | None
    released: date | None
    runtime_minutes: int | None
    genres: list[str]
    directors: list[str]
    writers: list[str]
    actors: list[str]
    plot: str | None
    languages: list[str]
    countries: list[str]
    awards: str | None
    poster_url: str | None
    ratings: list[RatingOut]
    metascore: int | None
    imdb_rating: float | None
    imdb_votes: int | None
    dvd: date | None
    box_office_usd: int | None
    production: str | None
    website: str | None
    added_at: datetime
    refreshed_at: datetime = Field(
        description="when the details last came from OMDb; equal to added_at until a refresh"
    )


class PageLinks(BaseModel):
    """Links that keep the listing's search, filters and sort (also in the ``Link`` header)."""

    self: str = Field(
        description="This page: the request in its canonical spelling.",
        examples=["/movies?page=2&limit=10"],
    )
    first: str = Field(description="Page 1.", examples=["/movies?page=1&limit=10"])
    prev: str | None = Field(
        description="The page before; null on page 1 and on pages reached by cursor. Past "
        "the end it points at the last page.",
        examples=["/movies?page=1&limit=10"],
    )
    next: str | None = Field(
        description="The page after (by number, or by cursor on pages reached by cursor); "
        "null on the last page.",
        examples=["/movies?page=3&limit=10"],
    )
    last: str | None = Field(
        description="The last page; null when the listing is empty and on pages reached by cursor.",
        examples=["/movies?page=10&limit=10"],
    )


class MoviePage(BaseModel):
    """A page of a listing: the movies, how many there are, and how to walk on."""

    items: list[MovieOut] = Field(description="The movies of this page, in the listing's order.")
    page: int | None = Field(
        description="The page number; null on a page reached by cursor.", examples=[2]
    )
    limit: int = Field(description="Movies per page.", examples=[10])
    total: int = Field(
        description="How many movies the listing holds: exact for the whole catalogue; a "
        "search or filter stops counting past 10,000 (see total_exact).",
        examples=[100],
    )
    total_exact: bool = Field(
        description="False when counting stopped at 10,000 matches; total, pages and last "
        "then refer to that count.",
        examples=[True],
    )
    pages: int | None = Field(
        description="How many pages of this size; null on a page reached by cursor.",
        examples=[10],
    )
    links: PageLinks
    next_cursor: str | None = Field(
        description="Opaque: send it as `cursor` (with the same search, filters and sort) for "
        "the movies after this page, at the same cost at any depth; null when none follow.",
        examples=["WzEsIjNhZjAiLFsiYW1lbGllIiwxOTk5LCJ0dDkwMDAwMDEiXV0.kq3v1lS0YgkGm1bD"],
    )


class ProblemOut(BaseModel):
    """RFC 9457 problem details; some problems add members (``errors``, ``candidates``, ``id``)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for error statuses, each a problem document."""
    return {status: {"model": ProblemOut, "content": {PROBLEM_JSON: {}}} for status in statuses}


class Candidate(BaseModel):
    id: str
    title: str
    year: int | None


class AmbiguousProblem(ProblemOut):
    candidates: list[Candidate]


# No control characters: no title has one, and a NUL would still cost an OMDb request.
Title = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=300, pattern=r"^[^\x00-\x1f\x7f]*$"
    ),
]


class AddMovie(BaseModel):
    """What a client asks for: a title (narrowed by ``year`` and ``type``) or exactly one IMDb
    ``id``, as ``GET /omdb/search`` finds them; OMDb supplies everything else."""

    model_config = ConfigDict(
        extra="ignore",
        # The validators' rule, told to clients and fuzzers: a title (with year and type as
        # they like) or an id (alone), never both.
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["title"],
                    "properties": {"title": {"type": "string"}, "id": {"type": "null"}},
                },
                {
                    "required": ["id"],
                    "properties": {
                        "id": {"type": "string"},
                        "title": {"type": "null"},
                        "year": {"type": "null"},
                        "type": {"type": "null"},
                    },
                },
            ]
        },
    )

    # Declared before the title so the checks below see it: errors then name the member.
    id: str | None = Field(default=None, pattern=MOVIE_ID_PATTERN, examples=["tt0133093"])
    title: Title | None = Field(default=None, validate_default=True, examples=["The Matrix"])
    year: StrictInt | None = Field(default=None, ge=1800, le=9999, examples=[1999])
    type: Literal["movie", "series", "episode"] | None = None

    @field_validator("title")
    @classmethod
    def _title_or_id(cls, title: str | None, info: ValidationInfo) -> str | None:
        if "id" not in info.data:  # the id was invalid: that error says it all
            return title
        if title is None and info.data["id"] is None:
            raise ValueError("give a title, or an IMDb id in 'id'")
        if title is not None and info.data["id"] is not None:
            raise ValueError("give a title or an id, not both")
        return title

    @field_validator("year", "type")
    @classmethod
    def _only_with_a_title(cls, value: object, info: ValidationInfo) -> object:
        if value is not None and info.data.get("id") is not None:
            raise ValueError(f"{info.field_name} narrows a title; an id needs none")
        return value


class LookupItem(BaseModel):
    """One OMDb search hit."""

    id: str = Field(pattern=MOVIE_ID_PATTERN, examples=["tt0087182"])
    title: str = Field(examples=["Dune"])
    year: int | None = Field(examples=[1984])
    type: str = Field(examples=["movie"])
    poster_url: str | None
    stored: bool = Field(
        description="whether the catalogue holds this id at the moment of the answer"
    )


class LookupPage(BaseModel):
    """A page of OMDb's search hits (10 at most): pick one and add it by id."""

    items: list[LookupItem]
    page: int = Field(examples=[1])
    total: int = Field(description="how many hits OMDb has for the search", examples=[3])


class SeedStatus(BaseModel):
    model_config = ConfigDict(extra="allow")

    state: Literal["pending", "running", "done", "failed"]


class Ready(BaseModel):
    status: Literal["ready"]
    seed: SeedStatus


class Health(BaseModel):
    status: Literal["ok"]
