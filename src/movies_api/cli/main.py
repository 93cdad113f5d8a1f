"""``movies-api``: serve, migrate, seed, import, refresh, keys, omdb-sim (contract §4)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import socket
import sys
from collections.abc import Collection, Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from movies_api import __version__
from movies_api.cli.help import DATABASE, HelpGroup, reads
from movies_api.cli.keys import keys_app
from movies_api.cli.omdb_sim import omdb_sim

if TYPE_CHECKING:
    import uvicorn

    from movies_api.bootstrap import Container
    from movies_api.settings import Settings

app = typer.Typer(
    cls=HelpGroup,
    name="movies-api",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(keys_app, name="keys")
app.command(
    "omdb-sim",
    help="Run a local OMDb simulator for offline demos and tests.",
    cls=reads(database=False),
)(omdb_sim)
SEED_VARIABLES = (
    *DATABASE,
    "MOVIES_OMDB_API_KEY",
    "MOVIES_OMDB_BASE_URL",
    "MOVIES_OMDB_TIMEOUT",
    "MOVIES_OMDB_MAX_IN_FLIGHT",
    "MOVIES_SEED_COUNT",
    "MOVIES_SEED_SEARCH",
    "MOVIES_SEED_IDS_FILE",
)


def _print_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"movies-api {__version__}")
        raise typer.Exit


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", is_eager=True, callback=_print_version
        ),
    ] = False,
) -> None:
    """A catalogue of movies filled from OMDb, served over REST."""


def load_settings() -> Settings:
    """Settings, or a one-line error and exit 2: bad configuration stops the command at once."""
    from pydantic import ValidationError

    from movies_api.settings import Settings

    try:
        return Settings()
    except ValidationError as error:
        # Errors name a field, or the alias of one read without the prefix (PORT, K_SERVICE).
        aliases = {f.validation_alias for f in Settings.model_fields.values()}
        problems = "; ".join(
            f"{_variable(str(e['loc'][0]), aliases)}: {e['msg'].removeprefix('Value error, ')}"
            for e in error.errors()
        )
        typer.echo(f"movies-api: invalid configuration: {problems}", err=True)
        raise typer.Exit(2) from None


def _variable(name: str, aliases: Collection[object]) -> str:
    return name if name in aliases else f"MOVIES_{name.upper()}"


@contextlib.contextmanager
def startup_failures() -> Iterator[None]:
    """End the command with the failure's one line on stderr and status 1, no traceback."""
    from movies_api.startup import StartupError

    try:
        yield
    except StartupError as error:
        typer.echo(f"movies-api: {error}", err=True)
        raise typer.Exit(1) from None


@app.command(cls=reads(every_setting=True))
def serve(
    host: Annotated[
        str | None, typer.Option(help="default 0.0.0.0 on Cloud Run, else 127.0.0.1")
    ] = None,
    port: Annotated[int | None, typer.Option(help="default $PORT, else 8000")] = None,
) -> None:
    """Run the HTTP API (migrating the schema and seeding an empty catalogue on start).

    It binds its port first, then reaches the database and migrates it, then serves: a
    port in use or an unusable database stops it at once with one line naming the cause.
    """
    # What start-up builds lives as long as the process, so collecting it is wasted work:
    # with the collector on, cold starts paid ~0.1-0.2 s of full collections, one of them
    # inside the first request. Build with it off, then freeze the survivors so later
    # collections never scan them again (``_serve`` turns it back on).
    gc.disable()
    try:
        from movies_api import logs, startup

        settings = load_settings()
        logs.configure(json_lines=settings.json_logs, level=settings.log_level_number)
        bind_host = host or ("0.0.0.0" if settings.k_service else "127.0.0.1")  # noqa: S104
        bind_port = port or settings.port
        with startup_failures():
            chosen_by = "--port" if port else "PORT" if "PORT" in os.environ else "the default"
            listener = startup.listening_socket(bind_host, bind_port, chosen_by=chosen_by)
            import uvloop

            # One event loop from the database check to the end: a seed started there goes
            # on while the HTTP side is imported and built.
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                runner.run(_serve(settings, listener, bind_host, bind_port))
    finally:
        gc.enable()


async def _serve(settings: Settings, listener: socket.socket, host: str, port: int) -> None:
    """Check the database, start the seed if one is due, then build the app and serve.

    The HTTP side (FastAPI, uvicorn, the routes: most of a cold start) is imported and
    built on a worker thread, so a seed's first OMDb requests go out before it and their
    answers are read meanwhile, instead of the seed starting with the app's lifespan.
    """
    from movies_api import startup
    from movies_api.bootstrap import build_container

    container = build_container(settings)
    try:
        prepared = await startup.prepare(settings, container)
        # Connections to the bound port wait in its backlog until the server accepts them.
        address = f"http://{host}:{port}"
        logging.getLogger("movies_api").info(startup.summary(settings, prepared, address))
        if prepared.needs_seed and settings.seed_on_startup:
            container.omdb.load()
            container.start_seed()
        server = await asyncio.to_thread(_http_server, container, host, port)
    except BaseException:
        await container.aclose()
        raise
    gc.freeze()
    gc.enable()
    # uvicorn re-raises the SIGTERM it handled once it has shut down gracefully; with the
    # default handler that ends the process with status -15. Cloud Run expects 0 (§2).
    signal.signal(signal.SIGTERM, _exit_cleanly)
    await server.serve(sockets=[listener])  # its lifespan closes the container


def _http_server(container: Container, host: str, port: int) -> uvicorn.Server:
    """The app over ``container``, loaded into a uvicorn server that will serve on the
    bound socket, on the running loop (uvloop, from ``serve``)."""
    import uvicorn

    from movies_api.bootstrap import build_app
    from movies_api.http import connection_limits

    config = uvicorn.Config(
        build_app(container=container),
        host=host,
        port=port,
        # httptools with bounded heads and a deadline for each request to arrive
        http=connection_limits.LimitedHttpToolsProtocol,
        timeout_keep_alive=connection_limits.KEEP_ALIVE_SECONDS,
        ws="none",  # no WebSocket routes: skip importing a WebSocket implementation
        lifespan="on",
        access_log=False,
        log_config=None,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=8,
    )
    config.load()
    return uvicorn.Server(config)


def _exit_cleanly(_signal: int, _frame: FrameType | None) -> None:
    # The interpreter's last garbage collection can take a second on this heap, eating
    # into the 10 s Cloud Run allows; what is left is freed when the process ends.
    gc.freeze()
    sys.exit(0)


@app.command(cls=reads(*DATABASE))
def migrate(
    grant_to: Annotated[
        list[str] | None,
        typer.Option(
            "--grant-to",
            metavar="ROLE",
            help="repeatable; PostgreSQL role(s) given read/write access to every table "
            "(no DDL), for a service that does not connect as the schema's owner",
        ),
    ] = None,
) -> None:
    """Bring the database schema to the newest version."""
    from sqlalchemy.exc import DBAPIError

    from movies_api.bootstrap import database_engine
    from movies_api.db.schema import (
        SCHEMA_HEAD,
        UnknownRevision,
        grant_data_access,
        require_roles,
    )
    from movies_api.db.schema import migrate as run_migrations
    from movies_api.startup import database_shown, using_database

    settings = load_settings()

    async def run() -> str | None:
        engine = database_engine(settings)
        try:
            if grant_to:
                require_roles(engine)  # refused before anything changes
            before = await run_migrations(engine)
            if grant_to:
                await grant_data_access(engine, grant_to)
            return before
        finally:
            await engine.dispose()

    try:
        with startup_failures(), using_database(settings):
            before = asyncio.run(run())
    except UnknownRevision as newer:
        # A rollback to an older release: its scripts cannot migrate a newer schema, and
        # the release that wrote it already did (serving it needs no migration).
        typer.echo(f"movies-api: not migrating: {newer}; nothing changed", err=True)
        raise typer.Exit(1) from None
    except (ValueError, DBAPIError) as error:
        reason = error.orig if isinstance(error, DBAPIError) else error
        typer.echo(f"movies-api: migrate failed: {reason}", err=True)
        raise typer.Exit(1) from None
    if before == SCHEMA_HEAD:
        typer.echo(f"schema already at {SCHEMA_HEAD} in {database_shown(settings)}")
    else:
        typer.echo(
            f"schema migrated from {before or 'nothing'} to {SCHEMA_HEAD} "
            f"in {database_shown(settings)}"
        )
    if grant_to:
        typer.echo(f"read/write access to every table granted to {', '.join(grant_to)}")


@app.command(cls=reads(*SEED_VARIABLES))
def seed() -> None:
    """Seed the catalogue now, with a progress bar; a no-op on a seeded database."""
    from movies_api.cli.seed import run_seed

    settings = load_settings()
    with startup_failures():
        status = run_seed(settings)
    sys.exit(status)


@app.command("import", cls=reads(*SEED_VARIABLES))
def import_list(
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE",
            help="one IMDb id or title a line, or a CSV with a title or id column "
            "(and optionally year, type); '-' reads stdin",
        ),
    ],
    report: Annotated[
        Path | None,
        typer.Option(help="write one JSON line per input line: line, input, outcome, id, detail"),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="check the file; ask OMDb nothing, change nothing")
    ] = False,
) -> None:
    """Add many movies from a list, skipping what is stored; run it again to finish a run
    stopped by OMDb's quota. Exit 0 when every line ended added or already stored."""
    from movies_api.cli.imports import run_import

    sys.exit(run_import(load_settings(), file, report=report, dry_run=dry_run))


@app.command(cls=reads(*SEED_VARIABLES))
def refresh(
    older_than: Annotated[
        str, typer.Option(help="refresh movies last refreshed longer ago: 30d, 12h, 90m…")
    ] = "30d",
    limit: Annotated[
        int | None, typer.Option(min=1, help="refresh at most N movies (the stalest)")
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            help="write one JSON line per movie: line, input (its id), outcome, id, detail"
        ),
    ] = None,
) -> None:
    """Fetch stored movies' details again from OMDb, the stalest first."""
    from movies_api.cli.refresh import parse_age, run_refresh

    try:
        age = parse_age(older_than)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--older-than") from None
    sys.exit(run_refresh(load_settings(), older_than=age, limit=limit, report=report))


def main() -> None:
    """Console-script entry point."""
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()
