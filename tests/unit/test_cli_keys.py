"""``movies-api keys`` against a real temporary SQLite file: the CLI is the unit here."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner, Result

from movies_api.cli.main import app

CONTRACT_FIELDS = {"id", "name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at"}


class Cli:
    """``movies-api`` with MOVIES_DATABASE_URL pointing at one SQLite file."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.env = {"MOVIES_DATABASE_URL": f"sqlite:///{database}"}
        self.runner = CliRunner()

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(app, list(args), env=self.env)

    def create(self, *args: str) -> tuple[int, str]:
        """``keys create``; the new key's id (from ``keys list``) and the key."""
        result = self("keys", "create", *args)
        assert result.exit_code == 0, result.stderr
        key = result.stdout.splitlines()[-1]
        listed = self.listed()
        return next(k["id"] for k in listed if key.startswith(k["prefix"])), key

    def listed(self) -> list[dict[str, Any]]:
        result = self("keys", "list", "--json")
        assert result.exit_code == 0, result.stderr
        documents: list[dict[str, Any]] = orjson.loads(result.stdout)
        return documents

    def rows(self) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.database) as connection:
            return connection.execute("SELECT * FROM api_keys ORDER BY id").fetchall()


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "movies.db")


# --- create -----------------------------------------------------------------------------------


def test_create_prints_the_key_once_alone_on_the_last_line(cli: Cli) -> None:
    result = cli("keys", "create", "--name", "deploy bot")

    assert result.exit_code == 0
    *before, last = result.stdout.splitlines()
    assert last.startswith("mva_")
    assert last == last.strip()
    assert len(last) >= 4 + 43  # the mark and 32 random bytes, base64url
    assert all(last not in line for line in before)
    assert last not in result.stderr


def test_create_stores_only_the_hash_and_prefix(cli: Cli) -> None:
    key_id, key = cli.create("--name", "ci")

    ((row_id, name, prefix, key_hash, *_rest),) = cli.rows()
    assert (row_id, name) == (key_id, "ci")
    assert prefix == key[:12]
    assert key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert all(key not in str(value) for value in cli.rows()[0])


def test_create_without_scope_gives_movies_delete(cli: Cli) -> None:
    cli.create("--name", "ci")

    assert cli.listed()[0]["scopes"] == ["movies:delete"]


def test_create_with_repeated_scope_keeps_each(cli: Cli) -> None:
    cli.create("--name", "ci", "--scope", "movies:add", "--scope", "movies:delete")

    assert cli.listed()[0]["scopes"] == ["movies:add", "movies:delete"]


def test_create_with_unknown_scope_fails_and_stores_nothing(cli: Cli) -> None:
    result = cli("keys", "create", "--name", "ci", "--scope", "movies:admin")

    assert result.exit_code == 1
    assert "unknown scope 'movies:admin'" in result.stderr
    assert "mva_" not in result.stdout
    assert cli.listed() == []


@pytest.mark.parametrize("name", ["", "   "])
def test_create_with_blank_name_fails_and_stores_nothing(cli: Cli, name: str) -> None:
    result = cli("keys", "create", "--name", name)

    assert result.exit_code == 1
    assert "name" in result.stderr
    assert cli.listed() == []


def test_create_without_name_is_a_usage_error(cli: Cli) -> None:
    result = cli("keys", "create")

    assert result.exit_code == 2
    assert "--name" in result.stderr


def test_bad_configuration_stops_the_command_with_exit_2(cli: Cli) -> None:
    cli.env["MOVIES_DATABASE_URL"] = "mysql://nowhere/db"

    result = cli("keys", "create", "--name", "ci")

    assert result.exit_code == 2
    assert "MOVIES_DATABASE_URL" in result.stderr
    assert "mva_" not in result.stdout


# --- list -------------------------------------------------------------------------------------


def test_list_json_of_an_empty_database_is_an_empty_array(cli: Cli) -> None:
    result = cli("keys", "list", "--json")

    assert result.exit_code == 0
    assert orjson.loads(result.stdout) == []


def test_list_json_has_the_contract_shape(cli: Cli) -> None:
    first_id, first = cli.create("--name", "one")
    second_id, second = cli.create("--name", "two", "--scope", "movies:add")

    listed = cli.listed()

    assert [k["id"] for k in listed] == [first_id, second_id]
    for document, key in zip(listed, (first, second), strict=True):
        assert set(document) == CONTRACT_FIELDS
        assert isinstance(document["id"], int)
        assert 0 < len(document["prefix"]) <= 12
        assert key.startswith(document["prefix"])
        assert document["created_at"].endswith("Z")
        assert document["last_used_at"] is None
        assert document["revoked_at"] is None
    assert [k["name"] for k in listed] == ["one", "two"]
    assert [k["scopes"] for k in listed] == [["movies:delete"], ["movies:add"]]


def test_list_table_shows_prefixes_never_keys(cli: Cli) -> None:
    _id, key = cli.create("--name", "ci")

    result = cli("keys", "list")

    assert result.exit_code == 0
    assert key[:12] in result.stdout
    assert key not in result.stdout
    assert key[12:] not in result.stdout
    assert "never" in result.stdout  # not used yet


def test_list_table_fits_80_columns_with_prefix_and_id_whole(cli: Cli) -> None:
    cli.create("--name", "release bot for the nightly catalogue import")
    revoked_id, _ = cli.create("--name", "ci", "--scope", "movies:delete", "--scope", "movies:add")
    cli("keys", "revoke", str(revoked_id))
    cli.env["COLUMNS"] = "80"

    result = cli("keys", "list")

    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, result.stdout
    for listed in cli.listed():
        row = next(line for line in lines if f" {listed['prefix']} " in f" {line} ")
        assert row.split()[0] == str(listed["id"])
    assert "".join(str(cli.database).split()) in "".join(result.stdout.split())


def test_create_and_revoke_say_which_database_they_used(cli: Cli) -> None:
    created = cli("keys", "create", "--name", "ci")
    key_id = cli.listed()[0]["id"]
    revoked = cli("keys", "revoke", str(key_id))

    assert f"in sqlite:///{cli.database}" in created.stdout.splitlines()[0]
    assert f"in sqlite:///{cli.database}" in revoked.stdout


# --- revoke -----------------------------------------------------------------------------------


def test_revoke_records_when_and_list_shows_it(cli: Cli) -> None:
    key_id, key = cli.create("--name", "ci")
    cli.create("--name", "other")

    result = cli("keys", "revoke", str(key_id))

    assert result.exit_code == 0
    assert f"revoked key {key_id}" in result.stdout
    assert key not in result.stdout
    revoked, kept = cli.listed()
    assert revoked["revoked_at"] is not None
    assert revoked["revoked_at"].endswith("Z")
    assert kept["revoked_at"] is None


def test_revoke_twice_keeps_the_first_revocation_time(cli: Cli) -> None:
    key_id, _key = cli.create("--name", "ci")
    cli("keys", "revoke", str(key_id))
    first = cli.listed()[0]["revoked_at"]

    again = cli("keys", "revoke", str(key_id))

    assert again.exit_code == 0
    assert cli.listed()[0]["revoked_at"] == first


def test_revoke_of_an_unknown_id_fails_with_exit_1(cli: Cli) -> None:
    result = cli("keys", "revoke", "41")

    assert result.exit_code == 1
    assert "no key with id 41" in result.stderr


def test_revoke_of_a_non_integer_id_is_a_usage_error(cli: Cli) -> None:
    result = cli("keys", "revoke", "abc")

    assert result.exit_code == 2
