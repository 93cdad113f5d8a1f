"""``movies-api keys``: create, list and revoke API keys (contract §4)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, TypeVar

import orjson
import typer

from movies_api.services.keys import DEFAULT_SCOPES, SCOPES, ApiKeyError, KeyService
from movies_api.services.ports import StoredKey

keys_app = typer.Typer(help="Manage API keys (stored only as hashes).", no_args_is_help=True)
T = TypeVar("T")


def _with_keys(action: Callable[[KeyService], Awaitable[T]]) -> T:
    """Run ``action`` against a migrated database, closing everything afterwards."""
    from movies_api.bootstrap import build_container
    from movies_api.cli.main import load_settings
    from movies_api.db.schema import SchemaBehind, ensure_schema

    async def run() -> T:
        settings = load_settings()
        container = build_container(settings)
        try:
            await ensure_schema(container.engine, migrate_if_behind=settings.migrate_on_start)
            return await action(container.keys)
        finally:
            await container.aclose()

    try:
        return asyncio.run(run())
    except (ApiKeyError, ValueError, SchemaBehind) as error:
        typer.echo(f"movies-api: {error}", err=True)
        raise typer.Exit(1) from None


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def _document(key: StoredKey) -> dict[str, object]:
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "scopes": list(key.scopes),
        "created_at": _iso(key.created_at),
        "last_used_at": _iso(key.last_used_at),
        "revoked_at": _iso(key.revoked_at),
    }


@keys_app.command("create")
def create(
    name: Annotated[str, typer.Option(help="who or what the key is for")],
    scope: Annotated[
        list[str] | None,
        typer.Option(help=f"repeatable; one of {', '.join(SCOPES)} (default {DEFAULT_SCOPES[0]})"),
    ] = None,
) -> None:
    """Create a key and print it once: the key alone is the last line of stdout."""
    stored, key = _with_keys(lambda keys: keys.create(name=name, scopes=scope or DEFAULT_SCOPES))
    typer.echo(f"created key {stored.id} ({stored.name}, scopes: {' '.join(stored.scopes)})")
    typer.echo("store it now: it is shown only this once")
    typer.echo(key)


@keys_app.command("list")
def list_keys(
    as_json: Annotated[
        bool, typer.Option("--json", help="a JSON array instead of a table")
    ] = False,
) -> None:
    """List keys: prefixes only, never the keys themselves."""
    stored = _with_keys(lambda keys: keys.list())
    if as_json:
        typer.echo(orjson.dumps([_document(key) for key in stored]).decode())
        return
    # Imported here: rich costs every command's start-up (``serve`` included) ~20 ms.
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "name", "prefix", "scopes", "created", "last used", "revoked")
    for key in stored:
        table.add_row(
            str(key.id),
            key.name,
            key.prefix,
            " ".join(key.scopes),
            _iso(key.created_at),
            _iso(key.last_used_at) or "never",
            _iso(key.revoked_at) or "",
        )
    Console().print(table)


@keys_app.command("revoke")
def revoke(key_id: Annotated[int, typer.Argument(metavar="ID", help="the key's id")]) -> None:
    """Revoke a key: its next request is refused."""
    revoked = _with_keys(lambda keys: keys.revoke(key_id))
    typer.echo(f"revoked key {revoked.id} ({revoked.name}) at {_iso(revoked.revoked_at)}")
