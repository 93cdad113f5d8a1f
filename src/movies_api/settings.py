"""The one place configuration is read (contract §5), validated at start, not at first use."""

from __future__ import annotations

import logging
import re
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

if TYPE_CHECKING:
    from movies_api.db.engine import Limits

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour)\s*$")
_PERIOD_SECONDS = {"second": 1, "minute": 60, "hour": 3600}
DEFAULT_SQLITE_FILE = "movies.db"
_REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})


class RateLimit:
    """``N/second|minute|hour`` parsed once, so a typo stops the service at start."""

    __slots__ = ("amount", "period", "seconds")

    def __init__(self, text: str) -> None:
        match = _RATE.match(text)
        if match is None or int(match.group(1)) < 1:
            msg = f"expected 'N/second', 'N/minute' or 'N/hour' with N ≥ 1, got {text!r}"
            raise ValueError(msg)
        self.amount = int(match.group(1))
        self.period = match.group(2)
        self.seconds = _PERIOD_SECONDS[self.period]

    def __str__(self) -> str:
        return f"{self.amount}/{self.period}"


class Settings(BaseSettings):
    """Every knob the service has; names and defaults follow contract §5."""

    model_config = SettingsConfigDict(
        env_prefix="MOVIES_", extra="ignore", frozen=True, validate_default=True
    )

    database_url: str = Field(default="", description="sqlite:///… or postgresql://…")
    database_password: SecretStr | None = Field(
        default=None,
        description="Put into the password slot of database_url, so the URL itself is no secret.",
    )
    omdb_api_key: SecretStr | None = None
    omdb_base_url: str = "https://www.omdbapi.com/"
    omdb_timeout: float = Field(default=10.0, gt=0, le=120)
    omdb_max_in_flight: int = Field(default=8, ge=1, le=10)
    seed_count: int = Field(default=100, ge=1, le=1000)
    seed_on_startup: bool = True
    seed_search: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="Comma-separated search words; when set, the seed searches instead of "
        "taking the bundled list of IMDb ids.",
    )
    seed_ids_file: Path | None = Field(
        default=None,
        description="A file of IMDb ids, one a line, seeded instead of the bundled list "
        "(the offline demo's seed).",
    )
    add_rate_limit: str = "30/minute"
    lookup_rate_limit: str = Field(
        default="60/minute", description="OMDb searches (GET /omdb/search) per client."
    )
    lookup_cache_seconds: int = Field(
        default=600, ge=0, le=7 * 86400, description="How long an identical search is reused."
    )
    log_format: Literal["text", "json"] | None = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    require_key_for_add: bool = False
    redis_url: str | None = None
    cache_entries: int = Field(default=4096, ge=0, le=1_000_000)
    cache_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=0,
        description="The most memory the in-process response cache may hold, in bytes.",
    )
    poster_cache_bytes: int = Field(
        default=32 * 1024 * 1024,
        ge=0,
        description="The most memory fetched poster images may hold in process, in bytes; "
        "0 fetches a poster on every request.",
    )
    db_pool_size: int = Field(default=10, ge=1, le=100)
    db_max_overflow: int = Field(default=10, ge=0, le=100)
    db_statement_timeout: float = Field(
        default=5.0, gt=0, le=600, description="Seconds a database statement may run."
    )
    db_pool_timeout: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="Seconds a request waits for a free database connection before a 503.",
    )
    access_log: bool = True
    metrics_token: SecretStr | None = Field(
        default=None,
        description="When set, GET /metrics needs 'Authorization: Bearer <this token>'; "
        "unset, the metrics are public (for a local scraper).",
    )
    migrate_on_start: bool = True
    trust_forwarded_for: bool | None = Field(
        default=None, description="Take the client address from X-Forwarded-For (on Cloud Run)."
    )
    port: int = Field(default=8000, ge=1, le=65535, validation_alias="PORT")
    k_service: str | None = Field(default=None, validation_alias="K_SERVICE")
    google_cloud_project: str | None = Field(default=None, validation_alias="GOOGLE_CLOUD_PROJECT")

    @classmethod
    def variable(cls, field: str) -> str:
        """The environment variable that sets ``field`` (a few are read without the prefix)."""
        alias = cls.model_fields[field].validation_alias
        return alias if isinstance(alias, str) else f"MOVIES_{field.upper()}"

    @classmethod
    def variables(cls) -> tuple[str, ...]:
        """Every environment variable the service reads."""
        return tuple(cls.variable(field) for field in cls.model_fields)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return value
        if not value.startswith(("sqlite", "postgresql", "postgres")):
            msg = "must start with sqlite:/// or postgresql://"
            raise ValueError(msg)
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(value)
        except (ArgumentError, ValueError):
            msg = "is not a database URL: expected sqlite:///path/file.db or postgresql://…"
            raise ValueError(msg) from None
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        # redis-py would only refuse the URL at the first cache read, deep in a request.
        if value is not None and urlsplit(value.strip()).scheme not in _REDIS_SCHEMES:
            msg = "must be a redis://, rediss:// or unix:// URL"
            raise ValueError(msg)
        return None if value is None else value.strip()

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_level(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("seed_ids_file")
    @classmethod
    def _readable_ids_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            msg = f"no such file: {value}"
            raise ValueError(msg)
        return value

    @field_validator("add_rate_limit", "lookup_rate_limit")
    @classmethod
    def _valid_rate(cls, value: str) -> str:
        return str(RateLimit(value))

    @field_validator("seed_search", mode="before")
    @classmethod
    def _split_words(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(word.strip() for word in value.split(",") if word.strip())
        return value

    @field_validator("redis_url", "omdb_api_key", "metrics_token", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("omdb_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            msg = "must be an http:// or https:// URL"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _cloud_run_defaults(self) -> Settings:
        if self.log_format is None:
            object.__setattr__(self, "log_format", "json" if self.k_service else "text")
        if self.trust_forwarded_for is None:
            object.__setattr__(self, "trust_forwarded_for", self.k_service is not None)
        return self

    @cached_property
    def rate_limit(self) -> RateLimit:
        """The add rate limit, parsed."""
        return RateLimit(self.add_rate_limit)

    @cached_property
    def lookup_limit(self) -> RateLimit:
        """The OMDb search rate limit, parsed."""
        return RateLimit(self.lookup_rate_limit)

    @property
    def resolved_database_url(self) -> str:
        """The URL as given, or an SQLite file in the working directory."""
        return self.database_url or f"sqlite:///{Path.cwd() / DEFAULT_SQLITE_FILE}"

    @property
    def db_limits(self) -> Limits:
        """How long the service waits on its database (``db.engine.Limits``)."""
        from movies_api.db.engine import Limits

        return Limits(self.db_statement_timeout, self.db_pool_timeout)

    @property
    def log_level_number(self) -> int:
        """``log_level`` as the logging module counts levels."""
        return logging.getLevelNamesMapping()[self.log_level.upper()]

    @property
    def json_logs(self) -> bool:
        """Whether log lines are JSON objects for Cloud Logging."""
        return self.log_format == "json"
