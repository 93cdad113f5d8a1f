"""``movies-api keys``: create, list and revoke API keys (contract §4)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, TypeVar

import orjson
import typer

from movies_api.cli.help import DATABASE, HelpGroup, reads
from movies_api.services.keys import DEFAULT_SCOPES, SCOPES, ApiKeyError, KeyService
from movies_api.services.ports import StoredKey

keys_app = typer.Typer(
    cls=HelpGroup, help="Manage API keys (stored only as hashes).", no_args_is_help=True
)
T = TypeVar("T")


def _with_keys(action: Callable[[KeyService], Awaitable[T]]) -> tuple[T, str]:
    """Run ``action`` against a migrated database, closing everything afterwards; its
    result and the database it used, as people may see it."""
    from movies_api.bootstrap import build_container
    from movies_api.cli.main import load_settings, startup_failures
    from movies_api.db.schema import SchemaBehind, ensure_schema
    from movies_api.startup import database_shown, using_database

    settings = load_settings()

    async def run() -> T:
        container = build_container(settings)
        try:
            await ensure_schema(container.engine, migrate_if_behind=settings.migrate_on_start)
            return await action(container.keys)
        finally:
            await container.aclose()

    try:
        with startup_failures(), using_database(settings):
            return asyncio.run(run()), database_shown(settings)
    except (ApiKeyError, ValueError, SchemaBehind) as error:
        typer.echo(f"movies-api: {error}", err=True)
        raise typer.Exit(1) from None


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def _minute(moment: datetime | None) -> str:
    """A moment as a person scans it in a table: UTC to the minute."""
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


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


@keys_app.command("create", cls=reads(*DATABASE))
def create(
    name: Annotated[str, typer.Option(help="who or what the key is for")],
    scope: Annotated[
        list[str] | None,
        typer.Option(help=f"repeatable; one of {', '.join(SCOPES)} (default {DEFAULT_SCOPES[0]})"),
    ] = None,
) -> None:
    """Create a key and print it once: the key alone is the last line of stdout."""
    (stored, key), where = _with_keys(
        lambda keys: keys.create(name=name, scopes=scope or DEFAULT_SCOPES)
    )
    typer.echo(
        f"created key {stored.id} ({stored.name}, scopes: {' '.join(stored.scopes)}) in {where}"
    )
    typer.echo("store it now: it is shown only this once")
    typer.echo(key)


@keys_app.command("list", cls=reads(*DATABASE))
def list_keys(
    as_json: Annotated[
        bool, typer.Option("--json", help="a JSON array instead of a table")
    ] = False,
) -> None:
    """List keys: prefixes only, never the keys themselves."""
    stored, where = _with_keys(lambda keys: keys.list())
    if as_json:
        typer.echo(orjson.dumps([_document(key) for key in stored]).decode())
        return
    # Imported here: rich costs every command's start-up (``serve`` included) ~20 ms.
    from rich import box
    from rich.console import Console
    from rich.table import Table

    # At 80 columns the id (what revoke takes), the prefix (what a person recognises a
    # key by) and the scopes stay whole; a time wraps to date over time (UTC), and the
    # name takes what is left, wrapping as it must.
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column("id", no_wrap=True, justify="right")
    table.add_column("name", overflow="fold")
    table.add_column("prefix", no_wrap=True, min_width=12)
    table.add_column("scopes", no_wrap=True)
    for header in ("created", "last used", "revoked"):
        table.add_column(header, min_width=10)
    for key in stored:
        table.add_row(
            str(key.id),
            key.name,
            key.prefix,
            "\n".join(key.scopes),
            _minute(key.created_at),
            _minute(key.last_used_at) or "never",
            _minute(key.revoked_at),
        )
    console = Console(highlight=False)
    console.print(f"API keys in {where}", overflow="fold")  # the whole path, however long
    console.print(table)


@keys_app.command("revoke", cls=reads(*DATABASE))
def revoke(key_id: Annotated[int, typer.Argument(metavar="ID", help="the key's id")]) -> None:
    """Revoke a key: its next request is refused."""
    revoked, where = _with_keys(lambda keys: keys.revoke(key_id))
    typer.echo(
        f"revoked key {revoked.id} ({revoked.name}) at {_iso(revoked.revoked_at)} in {where}"
    )
