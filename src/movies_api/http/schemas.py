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


def field_examples(model: type[BaseModel]) -> dict[str, Any]:
    """The first example of each of ``model``'s fields: a whole example object, for OpenAPI."""
    return {name: field.examples[0] for name, field in model.model_fields.items() if field.examples}


class RatingOut(BaseModel):
    """One source's rating of the movie, as OMDb gives it."""

    source: str = Field(
        description="Who rated it: `Internet Movie Database`, `Rotten Tomatoes`, `Metacritic`.",
        examples=["Rotten Tomatoes"],
    )
    value: str = Field(
        description="The rating in that source's own notation (`8.7/10`, `83%`, `73/100`).",
        examples=["83%"],
    )


class MovieOut(BaseModel):
    """A movie with every detail OMDb gives, normalised: OMDb's `N/A` is null (or [] for a
    list), and a malformed value is null for that field alone."""

    id: str = Field(
        pattern=MOVIE_ID_PATTERN,
        description="The IMDb id: `tt` and 7 to 10 digits.",
        examples=["tt0133093"],
    )
    title: str = Field(description="The title as OMDb spells it.", examples=["The Matrix"])
    year: int | None = Field(
        description="The (first) year: a series running from 2011 to 2019 gives 2011.",
        examples=[1999],
    )
    type: str = Field(
        description="OMDb's kind of title: `movie`, `series`, `episode`, …", examples=["movie"]
    )
    rated: str | None = Field(description="The age certificate.", examples=["R"])
    released: date | None = Field(description="The release date.", examples=["1999-03-31"])
    runtime_minutes: int | None = Field(description="Running time in minutes.", examples=[136])
    genres: list[str] = Field(
        description="Genres, in OMDb's order.", examples=[["Action", "Sci-Fi"]]
    )
    directors: list[str] = Field(
        description="Directors' names.", examples=[["Lana Wachowski", "Lilly Wachowski"]]
    )
    writers: list[str] = Field(
        description="Writers' names.", examples=[["Lilly Wachowski", "Lana Wachowski"]]
    )
    actors: list[str] = Field(
        description="The leading actors' names.",
        examples=[["Keanu Reeves", "Laurence Fishburne", "Carrie-Anne Moss"]],
    )
    plot: str | None = Field(
        description="A short plot.",
        examples=[
            "When a beautiful stranger leads computer hacker Neo to a forbidding underworld, "
            "he discovers the shocking truth--the life he knows is the elaborate deception "
            "of an evil cyber-intelligence."
        ],
    )
    languages: list[str] = Field(description="Spoken languages.", examples=[["English"]])
    countries: list[str] = Field(
        description="Countries of production.", examples=[["United States", "Australia"]]
    )
    awards: str | None = Field(
        description="Awards, in OMDb's words.",
        examples=["Won 4 Oscars. 42 wins & 52 nominations total"],
    )
    poster_url: str | None = Field(
        description="The poster image at OMDb's image host.",
        examples=[
            "https://m.media-amazon.com/images/M/MV5BN2NmN2VhMTQtMDNiOS00NDlhLTliMjgtODE2ZTY0ODQyNDRhXkEyXkFqcGc@._V1_SX300.jpg"
        ],
    )
    ratings: list[RatingOut] = Field(
        description="Ratings by source.",
        examples=[
            [
                {"source": "Internet Movie Database", "value": "8.7/10"},
                {"source": "Rotten Tomatoes", "value": "83%"},
                {"source": "Metacritic", "value": "73/100"},
            ]
        ],
    )
    metascore: int | None = Field(description="Metacritic's score, 0 to 100.", examples=[73])
    imdb_rating: float | None = Field(description="IMDb users' rating, 0 to 10.", examples=[8.7])
    imdb_votes: int | None = Field(
        description="How many IMDb users rated it.", examples=[2_131_421]
    )
    dvd: date | None = Field(description="The DVD release date.", examples=["1999-09-21"])
    box_office_usd: int | None = Field(
        description="Box office takings in US dollars.", examples=[172_076_928]
    )
    production: str | None = Field(
        description="The production company.", examples=["Warner Bros. Pictures"]
    )
    website: str | None = Field(
        description="The official website.", examples=["http://www.whatisthematrix.com"]
    )
    added_at: datetime = Field(
        description="When the movie was stored (ISO 8601, UTC).",
        examples=["2026-12-01T09:30:00.000000Z"],
    )
    refreshed_at: datetime = Field(
        description="When its details last came from OMDb; equal to added_at until a refresh.",
        examples=["2026-12-01T09:30:00.000000Z"],
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

    items: list[MovieOut] = Field(
        description="The movies of this page, in the listing's order; [] past the last page."
    )
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
    links: PageLinks = Field(
        description="Links to this page, the first, the one before and after, and the last."
    )
    next_cursor: str | None = Field(
        description="Opaque: send it as `cursor` (with the same search, filters and sort) for "
        "the movies after this page, at the same cost at any depth; null when none follow.",
        examples=["WzEsIjNhZjAiLFsiYW1lbGllIiwxOTk5LCJ0dDkwMDAwMDEiXV0.kq3v1lS0YgkGm1bD"],
    )


class ProblemOut(BaseModel):
    """RFC 9457 problem details, sent as `application/problem+json` with
    `Cache-Control: no-store`; some types add members (`errors`, `candidates`, `id`, `seed`)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(
        description="What went wrong, as a URI on this host: `/problems/validation-error` "
        "(422, with `errors`), `/problems/ambiguous-title` (300, with `candidates`), "
        "`/problems/movie-not-found` (404), `/problems/poster-not-found` (404), "
        "`/problems/movie-exists` (409, with `id`), "
        "`/problems/unauthorised` (401), `/problems/forbidden` (403), "
        "`/problems/rate-limited` (429), `/problems/omdb-title-not-found` (404), "
        "`/problems/omdb-failed` (502), `/problems/omdb-timeout` (504), "
        "`/problems/omdb-unavailable` (503), `/problems/database-unavailable` (503), "
        "`/problems/not-ready` (503, with `seed`); `about:blank` when the status says it "
        "all (an unknown route, a method not allowed).",
        examples=["/problems/movie-not-found"],
    )
    title: str = Field(description="The status's reason phrase.", examples=["Not Found"])
    status: int = Field(description="The HTTP status code.", examples=[404])
    detail: str = Field(
        description="What went wrong with this request, in words.",
        examples=["no movie with id tt0133093"],
    )


class Candidate(BaseModel):
    """One of the movies a title matches."""

    id: str = Field(description="Its IMDb id: ask for it by id.", examples=["tt0087182"])
    title: str = Field(description="Its title.", examples=["Dune"])
    year: int | None = Field(description="Its year: add it to the title query.", examples=[1984])


class AmbiguousProblem(ProblemOut):
    """Several movies match the title (remakes): a 300 with the movies to choose from."""

    candidates: list[Candidate] = Field(
        description="Every matching movie, in title order.",
        examples=[
            [
                {"id": "tt0087182", "title": "Dune", "year": 1984},
                {"id": "tt1160419", "title": "Dune", "year": 2021},
            ]
        ],
    )


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
    id: str | None = Field(
        default=None,
        pattern=MOVIE_ID_PATTERN,
        description="Exactly this IMDb id (from `GET /omdb/search`); not with `title`.",
        examples=["tt0133093"],
    )
    title: Title | None = Field(
        default=None,
        validate_default=True,
        description="The title to ask OMDb for, 1 to 300 characters; not with `id`.",
        examples=["The Matrix"],
    )
    year: StrictInt | None = Field(
        default=None,
        ge=1800,
        le=9999,
        description="Narrows the title to this year (only with `title`).",
        examples=[1999],
    )
    type: Literal["movie", "series", "episode"] | None = Field(
        default=None,
        description="Narrows the title to this kind (only with `title`).",
        examples=["movie"],
    )

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

    id: str = Field(
        pattern=MOVIE_ID_PATTERN,
        description='The IMDb id: add it with `POST /movies` and `{"id": …}`.',
        examples=["tt0087182"],
    )
    title: str = Field(description="The title as OMDb spells it.", examples=["Dune"])
    year: int | None = Field(description="The (first) year.", examples=[1984])
    type: str = Field(description="`movie`, `series` or `episode`.", examples=["movie"])
    poster_url: str | None = Field(
        description="The poster image at OMDb's image host, or null.",
        examples=[
            "https://m.media-amazon.com/images/M/MV5BMGJlMGM3NDAtOWNhMy00MWExLWI2MzEtMDQ0ZDIzZDY5ZGQ1XkEyXkFqcGc@._V1_SX300.jpg"
        ],
    )
    stored: bool = Field(
        description="Whether the catalogue holds this id at the moment of the answer.",
        examples=[True],
    )


class LookupPage(BaseModel):
    """A page of OMDb's search hits (10 at most): pick one and add it by id."""

    items: list[LookupItem] = Field(description="The hits of this page; [] when none match.")
    page: int = Field(description="OMDb's page number, 1 to 100.", examples=[1])
    total: int = Field(description="How many hits OMDb has for the search.", examples=[3])


class SeedStatus(BaseModel):
    """The seed's progress. Shown for information: only `state` is always there."""

    model_config = ConfigDict(extra="allow")

    state: Literal["pending", "running", "done", "failed"] = Field(
        description="`pending` (seeding on start is off and the catalogue is empty), "
        "`running`, `done` (also when the database needed no seed) or `failed` (retried "
        "with backoff).",
        examples=["done"],
    )
    target: int | None = Field(
        default=None, description="How many movies the seed fetches.", examples=[100]
    )
    fetched: int | None = Field(
        default=None, description="How many it has fetched so far.", examples=[100]
    )
    attempts: int | None = Field(
        default=None, description="How many tries it has taken.", examples=[1]
    )
    detail: str | None = Field(
        default=None,
        description="Present while another instance seeds the same database.",
        examples=["another instance is seeding this database"],
    )
    error: str | None = Field(
        default=None,
        description="Why the last try failed (state `failed`).",
        examples=["OMDb did not answer title 'The Matrix' within 10 s"],
    )


class Ready(BaseModel):
    """The database answers; the seed's state."""

    status: Literal["ready"] = Field(description="Always `ready`.", examples=["ready"])
    seed: SeedStatus = Field(description="The seed's state and progress.")


class Health(BaseModel):
    """The process is up."""

    status: Literal["ok"] = Field(description="Always `ok`.", examples=["ok"])
