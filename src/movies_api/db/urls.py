"""Turn the plain URLs of contract §5 into the async driver URLs SQLAlchemy needs."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url


def async_url(raw: str, password: str | None = None) -> URL:
    """``sqlite:///f`` → aiosqlite, ``postgresql://`` or ``postgres://`` → asyncpg.

    Cloud SQL's ``?host=/cloudsql/…`` socket form passes through untouched (asyncpg
    reads it); libpq's ``sslmode`` becomes asyncpg's ``ssl``. A separately supplied
    password fills the URL's password slot so the URL itself can live in plain config.
    """
    url = make_url(raw)
    backend = url.get_backend_name()
    if backend == "sqlite":
        url = url.set(drivername="sqlite+aiosqlite")
    elif backend in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+asyncpg")
        if "sslmode" in url.query:
            query = dict(url.query)
            query["ssl"] = query.pop("sslmode")
            url = url.set(query=query)
    else:
        msg = f"unsupported database {backend!r}: use sqlite:/// or postgresql://"
        raise ValueError(msg)
    if password is not None:
        url = url.set(password=password)
    return url


def sqlite_file(url: URL) -> Path | None:
    """The database file of an SQLite URL, None for in-memory or other backends."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)
