"""Pydantic models of the wire format: they document the API in OpenAPI and validate input.

Responses are serialised straight from the domain dataclasses by orjson (see
``representation``); these models describe the same shape for clients.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from movies_api.domain.movie import MOVIE_ID_PATTERN


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


class PageLinks(BaseModel):
    self: str = Field(examples=["/movies?page=1&limit=10"])
    first: str
    prev: str | None
    next: str | None
    last: str | None


class MoviePage(BaseModel):
    """A page of the catalogue in title order."""

    items: list[MovieOut]
    page: int
    limit: int
    total: int
    pages: int
    links: PageLinks


class ProblemOut(BaseModel):
    """RFC 9457 problem details; some problems add members (``errors``, ``candidates``, ``id``)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str


class Candidate(BaseModel):
    id: str
    title: str
    year: int | None


class AmbiguousProblem(ProblemOut):
    candidates: list[Candidate]


Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class AddMovie(BaseModel):
    """What a client asks for; OMDb supplies everything else."""

    model_config = ConfigDict(extra="ignore")

    title: Title = Field(examples=["The Matrix"])
    year: StrictInt | None = Field(default=None, ge=1800, le=9999, examples=[1999])
    type: Literal["movie", "series", "episode"] | None = None


class SeedStatus(BaseModel):
    model_config = ConfigDict(extra="allow")

    state: Literal["pending", "running", "done", "failed"]


class Ready(BaseModel):
    status: Literal["ready"]
    seed: SeedStatus


class Health(BaseModel):
    status: Literal["ok"]
