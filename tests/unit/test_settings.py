"""Configuration (contract §5): names, defaults, Cloud Run defaults, and refusals at start."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from movies_api.settings import RateLimit, Settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts from an environment that configures nothing."""
    for name in list(os.environ):
        if name.startswith("MOVIES_") or name in ("PORT", "K_SERVICE", "GOOGLE_CLOUD_PROJECT"):
            monkeypatch.delenv(name)


def test_defaults_follow_the_contract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'movies.db'}"
    assert settings.omdb_api_key is None
    assert settings.omdb_base_url == "https://www.omdbapi.com/"
    assert settings.seed_count == 100
    assert settings.seed_on_startup is True
    assert settings.omdb_timeout == 10
    assert settings.add_rate_limit == "30/minute"
    assert settings.log_format == "text"
    assert settings.json_logs is False
    assert settings.require_key_for_add is False
    assert settings.redis_url is None
    assert settings.port == 8000
    assert settings.trust_forwarded_for is False


def test_environment_variables_configure_the_service(monkeypatch: pytest.MonkeyPatch) -> None:
    environment = {
        "MOVIES_DATABASE_URL": " postgresql://u:p@db:5432/movies ",
        "MOVIES_OMDB_API_KEY": "abc123",
        "MOVIES_OMDB_BASE_URL": "http://127.0.0.1:9000/",
        "MOVIES_SEED_COUNT": "7",
        "MOVIES_SEED_ON_STARTUP": "false",
        "MOVIES_OMDB_TIMEOUT": "2.5",
        "MOVIES_ADD_RATE_LIMIT": " 5 / second ",
        "MOVIES_LOG_FORMAT": "json",
        "MOVIES_REQUIRE_KEY_FOR_ADD": "true",
        "MOVIES_REDIS_URL": "redis://127.0.0.1:6379/0",
        "PORT": "8080",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.resolved_database_url == "postgresql://u:p@db:5432/movies"
    assert settings.omdb_api_key is not None
    assert settings.omdb_api_key.get_secret_value() == "abc123"
    assert "abc123" not in repr(settings)
    assert settings.omdb_base_url == "http://127.0.0.1:9000/"
    assert settings.seed_count == 7
    assert settings.seed_on_startup is False
    assert settings.omdb_timeout == 2.5
    assert settings.add_rate_limit == "5/second"
    assert settings.json_logs is True
    assert settings.require_key_for_add is True
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.port == 8080


def test_on_cloud_run_logs_are_json_and_forwarded_for_is_trusted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("K_SERVICE", "movies-api")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "my-project")
    settings = Settings()
    assert settings.log_format == "json"
    assert settings.json_logs is True
    assert settings.trust_forwarded_for is True
    assert settings.google_cloud_project == "my-project"


def test_explicit_choices_win_over_cloud_run_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("K_SERVICE", "movies-api")
    monkeypatch.setenv("MOVIES_LOG_FORMAT", "text")
    monkeypatch.setenv("MOVIES_TRUST_FORWARDED_FOR", "false")
    settings = Settings()
    assert settings.json_logs is False
    assert settings.trust_forwarded_for is False


@pytest.mark.parametrize("blank", ["", "   "])
def test_blank_redis_url_and_omdb_key_mean_none(
    monkeypatch: pytest.MonkeyPatch, blank: str
) -> None:
    monkeypatch.setenv("MOVIES_REDIS_URL", blank)
    monkeypatch.setenv("MOVIES_OMDB_API_KEY", blank)
    settings = Settings()
    assert settings.redis_url is None
    assert settings.omdb_api_key is None


def test_seed_search_words_are_split_on_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOVIES_SEED_SEARCH", " star , ,war,  love ")
    assert Settings().seed_search == ("star", "war", "love")


def test_seed_search_accepts_a_sequence_in_code() -> None:
    assert Settings(seed_search=("night", "day")).seed_search == ("night", "day")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MOVIES_DATABASE_URL", "mysql://root@localhost/movies"),
        ("MOVIES_ADD_RATE_LIMIT", "30 per minute"),
        ("MOVIES_ADD_RATE_LIMIT", "0/minute"),
        ("MOVIES_ADD_RATE_LIMIT", "5/day"),
        ("MOVIES_OMDB_BASE_URL", "ftp://omdb.example/"),
        ("MOVIES_OMDB_TIMEOUT", "0"),
        ("MOVIES_SEED_COUNT", "0"),
        ("MOVIES_LOG_FORMAT", "xml"),
        ("MOVIES_LOG_LEVEL", "chatty"),
        ("MOVIES_REDIS_URL", "http://x"),
        ("MOVIES_REDIS_URL", "localhost:6379"),
        ("MOVIES_DATABASE_URL", "postgresql://u@h:notaport/db"),
        ("MOVIES_SEED_IDS_FILE", "/nonexistent/ids.txt"),
        ("PORT", "70000"),
    ],
)
def test_invalid_configuration_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError):
        Settings()


@pytest.mark.parametrize(
    ("text", "amount", "period", "seconds"),
    [
        ("30/minute", 30, "minute", 60),
        ("1/second", 1, "second", 1),
        ("100 / hour", 100, "hour", 3600),
    ],
)
def test_rate_limit_is_parsed_once(text: str, amount: int, period: str, seconds: int) -> None:
    limit = RateLimit(text)
    assert (limit.amount, limit.period, limit.seconds) == (amount, period, seconds)
    assert str(limit) == f"{amount}/{period}"


def test_settings_expose_the_parsed_rate_limit() -> None:
    limit = Settings(add_rate_limit="12/hour").rate_limit
    assert (limit.amount, limit.seconds) == (12, 3600)


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.seed_count = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/0", "rediss://:pw@cache:6380", "unix:///r.sock"]
)
def test_redis_urls_of_every_redis_scheme_are_accepted(url: str) -> None:
    assert Settings(redis_url=f" {url} ").redis_url == url


@pytest.mark.parametrize(("given", "level"), [("DEBUG", 10), ("info", 20), (" Warning ", 30)])
def test_log_level_is_read_in_any_case(
    monkeypatch: pytest.MonkeyPatch, given: str, level: int
) -> None:
    monkeypatch.setenv("MOVIES_LOG_LEVEL", given)
    assert Settings().log_level_number == level


def test_a_seed_ids_file_is_taken_when_it_exists(tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("tt0133093\n")
    assert Settings(seed_ids_file=ids).seed_ids_file == ids


def test_every_field_has_its_variable() -> None:
    variables = Settings.variables()
    assert "MOVIES_DATABASE_URL" in variables
    assert "PORT" in variables  # read without the prefix, as Cloud Run sets it
    assert "K_SERVICE" in variables
    assert len(variables) == len(Settings.model_fields)
