"""The lookup's knobs (contract §5): MOVIES_LOOKUP_RATE_LIMIT and MOVIES_LOOKUP_CACHE_SECONDS."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from movies_api.settings import Settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("MOVIES_"):
            monkeypatch.delenv(name)


def test_defaults_are_60_a_minute_and_ten_minutes() -> None:
    settings = Settings()
    assert settings.lookup_rate_limit == "60/minute"
    assert settings.lookup_cache_seconds == 600
    assert (settings.lookup_limit.amount, settings.lookup_limit.seconds) == (60, 60)


def test_the_environment_sets_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOVIES_LOOKUP_RATE_LIMIT", " 5 / second ")
    monkeypatch.setenv("MOVIES_LOOKUP_CACHE_SECONDS", "0")
    settings = Settings()
    assert settings.lookup_rate_limit == "5/second"
    assert settings.lookup_cache_seconds == 0


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MOVIES_LOOKUP_RATE_LIMIT", "60/day"),
        ("MOVIES_LOOKUP_RATE_LIMIT", "0/minute"),
        ("MOVIES_LOOKUP_CACHE_SECONDS", "-1"),
        ("MOVIES_LOOKUP_CACHE_SECONDS", "ten"),
    ],
)
def test_nonsense_stops_the_service_at_start(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError):
        Settings()
