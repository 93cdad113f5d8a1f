"""What ``movies-api --help`` and ``--version`` tell a person before anything runs: each
command's environment variables and the database it would use, flags without a type,
and one version everywhere."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner

from movies_api import __version__
from movies_api.cli.main import app
from movies_api.settings import Settings

DATABASE_COMMANDS = [
    ["serve"],
    ["migrate"],
    ["seed"],
    ["keys", "create"],
    ["keys", "list"],
    ["keys", "revoke"],
]


def help_of(command: list[str], env: dict[str, str]) -> str:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "80", **env})
    assert result.exit_code == 0, result.output
    return result.stdout


def squeezed(text: str) -> str:
    """Text without white space: the help wraps long values across lines."""
    return "".join(text.split())


@pytest.mark.parametrize("command", DATABASE_COMMANDS, ids=" ".join)
def test_help_names_the_variables_and_the_database_it_would_use(
    command: list[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/chosen.db"

    shown = help_of(command, {"MOVIES_DATABASE_URL": url})

    assert "Environment: MOVIES_DATABASE_URL, MOVIES_DATABASE_PASSWORD" in " ".join(shown.split())
    assert squeezed(f"Database: {url} (from MOVIES_DATABASE_URL).") in squeezed(shown)


def test_help_without_the_variable_shows_the_default_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MOVIES_DATABASE_URL", raising=False)

    shown = squeezed(help_of(["keys", "create"], {}))

    assert squeezed(f"Database: sqlite:///{tmp_path}/movies.db") in shown
    assert squeezed("MOVIES_DATABASE_URL (not set, so movies.db in the working directory)") in shown


def test_help_never_shows_a_password() -> None:
    url = "postgresql://movies:s3cret@db.internal:5432/movies"

    shown = help_of(["migrate"], {"MOVIES_DATABASE_URL": url})

    assert "s3cret" not in shown
    assert "postgresql://movies:***@db.internal:5432/movies" in squeezed(shown)


def test_serve_help_lists_every_setting_it_reads() -> None:
    shown = squeezed(help_of(["serve"], {}))

    for variable in Settings.variables():
        assert variable in shown


def test_seed_help_names_the_omdb_and_seed_variables() -> None:
    shown = squeezed(help_of(["seed"], {}))

    for variable in ("MOVIES_OMDB_API_KEY", "MOVIES_SEED_COUNT", "MOVIES_SEED_IDS_FILE"):
        assert variable in shown


def test_omdb_sim_help_says_it_reads_no_variable_and_uses_no_database() -> None:
    shown = help_of(["omdb-sim"], {})

    assert "Environment: none (everything is an option)." in " ".join(shown.split())
    assert "Database:" not in shown


@pytest.mark.parametrize("command", [[], ["keys"], ["keys", "list"], ["serve"]], ids=repr)
def test_flags_have_no_type_in_help(command: list[str]) -> None:
    assert "<bool>" not in help_of(command, {})


def test_version_is_the_package_version() -> None:
    result = CliRunner().invoke(app, ["--version"])

    assert result.exit_code == 0
    assert result.stdout == f"movies-api {__version__}\n"
    assert version("movies-api") == __version__
