"""Runtime configuration at unit level: the database password slotted into the engine's
URL (contract §5) and bad configuration named by the variable an operator sets (§4)."""

from __future__ import annotations

import pytest
import typer

from movies_api.bootstrap import database_engine
from movies_api.cli.main import load_settings
from movies_api.settings import Settings

SOCKET_URL = "postgresql://movies@/catalogue?host=/cloudsql/proj:europe-west1:db"


async def test_database_password_from_the_environment_fills_the_socket_urls_password_slot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MOVIES_DATABASE_URL", SOCKET_URL)
    monkeypatch.setenv("MOVIES_DATABASE_PASSWORD", "p@ss:w/rd?&")
    engine = database_engine(Settings())
    try:
        url = engine.url
        assert url.drivername == "postgresql+asyncpg"
        assert (url.username, url.password, url.host, url.database) == (
            "movies",
            "p@ss:w/rd?&",
            None,
            "catalogue",
        )
        assert url.query["host"] == "/cloudsql/proj:europe-west1:db"
    finally:
        await engine.dispose()


async def test_without_a_separate_password_the_urls_own_password_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MOVIES_DATABASE_URL", "postgresql://movies:inline@db.internal/catalogue")
    monkeypatch.delenv("MOVIES_DATABASE_PASSWORD", raising=False)
    engine = database_engine(Settings())
    try:
        assert engine.url.password == "inline"
        assert engine.url.host == "db.internal"
    finally:
        await engine.dispose()


def test_the_database_password_is_never_shown_in_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MOVIES_DATABASE_PASSWORD", "hunter2-secret")
    assert "hunter2-secret" not in repr(Settings())


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MOVIES_ADD_RATE_LIMIT", "5/day"),
        ("MOVIES_DATABASE_URL", "mysql://x"),
        ("MOVIES_SEED_COUNT", "none"),
        ("PORT", "eighty"),
    ],
)
def test_invalid_configuration_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(typer.Exit) as stopped:
        load_settings()
    assert stopped.value.exit_code != 0
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"movies-api: invalid configuration: {variable}: ")
