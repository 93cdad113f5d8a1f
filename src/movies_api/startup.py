"""Start-up: what a command checks before it serves or touches data, the one-line errors
those checks end in, and the one line ``serve`` logs about what it runs on.

The failures people meet in their first minutes (a database that cannot be reached or is
misconfigured, an SQLite path whose directory is missing or read-only, a port already
taken) each become a :class:`StartupError` whose message names the variable or path to
fix. The CLI prints it as one line and exits non-zero: nobody has to read a traceback.
Bad values of the variables themselves are refused earlier, by ``Settings``.
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit

from movies_api import __version__
from movies_api.settings import DEFAULT_SQLITE_FILE, Settings

if TYPE_CHECKING:
    from movies_api.bootstrap import Container

DATABASE_VARIABLE = "MOVIES_DATABASE_URL"
# Connections that arrive before the server accepts wait in this queue (uvicorn's default).
BACKLOG = 2048


class StartupError(Exception):
    """A failure before serving; its message is one line that says what to fix."""


def redacted(url: str) -> str:
    """``url`` safe to print: a password (in the authority or a ``password`` query
    parameter) shows as ``***``."""
    parts = urlsplit(url)
    shown = url
    if parts.password:
        user = parts.netloc.rpartition("@")[0].split(":", 1)[0]
        host = parts.netloc.rpartition("@")[2]
        shown = shown.replace(parts.netloc, f"{user}:***@{host}", 1)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if any(name.lower() == "password" for name, _ in pairs):
        hidden = [(name, "***" if name.lower() == "password" else value) for name, value in pairs]
        shown = shown.replace(parts.query, urlencode(hidden, safe="/*"), 1)
    return shown


def database_shown(settings: Settings) -> str:
    """The database a command will use, as people may see it (no password)."""
    return redacted(settings.resolved_database_url)


def database_source(settings: Settings) -> str:
    """Where the database comes from: the variable, or the default when it is not set."""
    if settings.database_url:
        return DATABASE_VARIABLE
    return f"{DATABASE_VARIABLE} (not set, so {DEFAULT_SQLITE_FILE} in the working directory)"


def check_sqlite_location(settings: Settings) -> None:
    """Refuse an SQLite database that is not a file, or whose directory is missing or
    cannot be written.

    SQLite would create a missing file, so a typo in the path would otherwise serve from
    a new, empty database; a read-only location would fail only at the first write.
    """
    from sqlalchemy.engine import make_url

    from movies_api.db.urls import sqlite_file

    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() != "sqlite":
        return
    source, path = database_source(settings), sqlite_file(url)
    if path is None:
        raise StartupError(
            f"{source}: an in-memory SQLite database cannot be shared by the service's "
            "connections; name a file, as in sqlite:///path/movies.db"
        )
    path = Path.cwd() / path
    directory = path.parent
    if not directory.is_dir():
        state = "is not a directory" if directory.exists() else "does not exist"
        raise StartupError(
            f"{source}: the directory {directory} {state}; create it or correct the path"
        )
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise StartupError(f"{source}: {path} is read-only; the service must write to it")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise StartupError(
            f"{source}: the directory {directory} is read-only; SQLite must create "
            f"{path.name} and its journal files there"
        )


@contextmanager
def using_database(settings: Settings) -> Iterator[None]:
    """Check the SQLite location, then turn a failure to reach or use the database inside
    the block into a :class:`StartupError` naming the variable and the (redacted) URL."""
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    check_sqlite_location(settings)
    try:
        yield
    except (OSError, SQLAlchemyError) as error:
        reason = str(error.orig) if isinstance(error, DBAPIError) else _os_reason(error)
        first_line = reason.strip().splitlines()[0] if reason.strip() else type(error).__name__
        raise StartupError(
            f"{database_source(settings)}: cannot use the database {database_shown(settings)}: "
            f"{first_line}"
        ) from None


def _os_reason(error: BaseException) -> str:
    if isinstance(error, socket.gaierror):
        return f"unknown host ({error.strerror})"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error)


def listening_socket(host: str, port: int, *, chosen_by: str) -> socket.socket:
    """A socket bound to ``host:port`` and listening, made before anything slow happens.

    Binding first makes a taken port fail in milliseconds, before a migration or a seed
    starts. Listening at once (early connections wait in the backlog until the server
    accepts them) leaves no moment in which a second process could bind the port too.
    ``chosen_by`` names where the port came from, for the message.
    """
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        raise StartupError(f"cannot listen on {host!r}: {error.strerror} (--host)") from None
    listener = socket.socket(family, kind, protocol)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(BACKLOG)
    except OSError as error:
        listener.close()
        if error.errno == errno.EADDRINUSE:
            raise StartupError(
                f"port {port} on {host} is already in use ({chosen_by}): stop what listens "
                "there, or choose another port"
            ) from None
        raise StartupError(
            f"cannot listen on {host}:{port} ({chosen_by}): {error.strerror}"
        ) from None
    return listener


@dataclass(frozen=True)
class Prepared:
    """What ``serve`` learnt of its database before answering."""

    schema: str | None
    migrated_from: str | None
    migrated: bool
    needs_seed: bool


async def prepare(settings: Settings, container: Container) -> Prepared:
    """Reach the database, make its schema usable by this release, and learn whether it
    needs a seed: what ``serve`` does before it answers, so that each of these failures is
    one line instead of a failed application start-up.

    The schema rules are ``db.schema.ensure_schema``'s: behind is migrated (or, with
    ``MOVIES_MIGRATE_ON_START`` off, refused); newer than this release (a rollback) is
    served as it is, with one warning.
    """
    from movies_api.db.schema import (
        SCHEMA_HEAD,
        SchemaBehind,
        current_revision,
        ensure_schema,
        is_known,
    )
    from movies_api.services.seeding import SeedState

    with using_database(settings):
        await container.ping()  # unreachable is told apart from "never migrated"
        before = await current_revision(container.sessions)
        try:
            migrated = await ensure_schema(
                container.sessions, migrate_if_behind=settings.migrate_on_start
            )
        except SchemaBehind as behind:
            raise StartupError(f"{database_source(settings)}: {behind}") from None
        await container.seeder.refresh()
        return Prepared(
            schema=SCHEMA_HEAD if is_known(before) else str(before),
            migrated_from=before,
            migrated=migrated,
            needs_seed=container.seeder.state is SeedState.PENDING,
        )


def summary(settings: Settings, prepared: Prepared, address: str) -> str:
    """The one line ``serve`` logs at start: where it listens and what it runs on."""
    schema = f"schema {prepared.schema}"
    if prepared.migrated:
        schema += f", migrated from {prepared.migrated_from or 'nothing'}"
    omdb = "key set" if settings.omdb_api_key else "no key: MOVIES_OMDB_API_KEY is not set"
    return (
        f"movies-api {__version__} serving {address}; "
        f"database {database_shown(settings)} ({schema}); "
        f"cache {_cache(settings)}; "
        f"OMDb {settings.omdb_base_url} ({omdb}); "
        f"seed {_seed(settings, prepared)}"
    )


def _cache(settings: Settings) -> str:
    if not settings.cache_entries:
        return "off (MOVIES_CACHE_ENTRIES=0)"
    local = f"in-process, {settings.cache_entries} responses"
    if settings.redis_url is None:
        return local
    return f"{local}, shared with rate limits through Redis {redacted(settings.redis_url)}"


def _seed(settings: Settings, prepared: Prepared) -> str:
    if not prepared.needs_seed:
        return "done (the catalogue was seeded or holds movies)"
    if not settings.seed_on_startup:
        return "off (MOVIES_SEED_ON_STARTUP=false) and the catalogue is empty"
    if settings.omdb_api_key is None:
        return "pending, but it cannot run without MOVIES_OMDB_API_KEY"
    source = settings.seed_ids_file or (
        f"searches for {', '.join(settings.seed_search)}" if settings.seed_search else "bundled ids"
    )
    return f"starting: {settings.seed_count} movies from OMDb ({source}) in the background"
