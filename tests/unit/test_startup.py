"""What ``serve`` says of itself at start, and how it hides secrets while saying it."""

from __future__ import annotations

import os

import pytest
from pydantic import SecretStr

from movies_api.settings import Settings
from movies_api.startup import Prepared, StartupError, check_sqlite_location, redacted, summary


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings built here see only what the test gives them."""
    for name in list(os.environ):
        if name.startswith("MOVIES_"):
            monkeypatch.delenv(name)


FRESH = Prepared(schema="0001", migrated_from=None, migrated=True, needs_seed=True)
SEEDED = Prepared(schema="0001", migrated_from="0001", migrated=False, needs_seed=False)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://movies:s3cret@db:5432/movies", "postgresql://movies:***@db:5432/movies"),
        (
            "postgresql://movies@/movies?host=/cloudsql/p:r:i",
            "postgresql://movies@/movies?host=/cloudsql/p:r:i",
        ),
        (
            "postgresql://db/movies?user=m&password=s3cret",
            "postgresql://db/movies?user=m&password=***",
        ),
        ("redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0"),
        ("sqlite:////var/lib/movies/movies.db", "sqlite:////var/lib/movies/movies.db"),
    ],
)
def test_redacted_hides_only_the_password(url: str, shown: str) -> None:
    assert redacted(url) == shown


def test_the_start_line_names_database_cache_omdb_and_seed() -> None:
    settings = Settings(
        database_url="postgresql://movies:s3cret@db:5432/movies",
        omdb_api_key=SecretStr("k3y"),
        seed_count=100,
    )

    line = summary(settings, FRESH, "http://127.0.0.1:8000")

    assert line.endswith(
        "serving http://127.0.0.1:8000; "
        "database postgresql://movies:***@db:5432/movies (schema 0001, migrated from nothing); "
        "cache in-process, 4096 responses; "
        "OMDb https://www.omdbapi.com/ (key set); "
        "seed starting: 100 movies from OMDb (bundled ids) in the background"
    )
    assert "s3cret" not in line
    assert "k3y" not in line


@pytest.mark.parametrize(
    ("settings", "prepared", "said"),
    [
        (Settings(seed_on_startup=False), FRESH, "seed off (MOVIES_SEED_ON_STARTUP=false)"),
        (Settings(), FRESH, "seed pending, but it cannot run without MOVIES_OMDB_API_KEY"),
        (Settings(), SEEDED, "seed done (the catalogue was seeded or holds movies)"),
        (
            Settings(omdb_api_key=SecretStr("k"), seed_search=("star", "war")),
            FRESH,
            "(searches for star, war)",
        ),
        (Settings(cache_entries=0), SEEDED, "cache off (MOVIES_CACHE_ENTRIES=0)"),
        (Settings(), SEEDED, "(schema 0001);"),
        (Settings(), SEEDED, "(no key: MOVIES_OMDB_API_KEY is not set)"),
    ],
)
def test_the_start_line_tells_each_state(settings: Settings, prepared: Prepared, said: str) -> None:
    assert said in summary(settings, prepared, "http://127.0.0.1:8000")


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_sqlite_database_is_refused_with_one_line(url: str) -> None:
    with pytest.raises(StartupError, match=r"^MOVIES_DATABASE_URL: an in-memory SQLite"):
        check_sqlite_location(Settings(database_url=url))


def test_a_postgresql_url_needs_no_file_checks() -> None:
    check_sqlite_location(Settings(database_url="postgresql://movies@db/movies"))
