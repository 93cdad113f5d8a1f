"""Plain database URLs (contract §5) become the async driver URLs the engine needs."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from movies_api.db.urls import async_url, sqlite_file


def test_sqlite_url_gets_the_aiosqlite_driver() -> None:
    url = async_url("sqlite:////var/data/movies.db")
    assert url.drivername == "sqlite+aiosqlite"
    assert url.database == "/var/data/movies.db"


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_postgres_urls_get_the_asyncpg_driver(scheme: str) -> None:
    url = async_url(f"{scheme}://user:secret@db.internal:5433/movies")
    assert url.drivername == "postgresql+asyncpg"
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "user",
        "secret",
        "db.internal",
        5433,
        "movies",
    )


def test_cloud_sql_unix_socket_host_passes_through() -> None:
    url = async_url("postgresql://user@/movies?host=/cloudsql/proj:region:instance")
    assert url.drivername == "postgresql+asyncpg"
    assert url.host is None
    assert url.query["host"] == "/cloudsql/proj:region:instance"


def test_libpq_sslmode_becomes_asyncpg_ssl() -> None:
    url = async_url("postgresql://user@db/movies?sslmode=require&application_name=api")
    assert "sslmode" not in url.query
    assert url.query["ssl"] == "require"
    assert url.query["application_name"] == "api"


def test_a_separate_password_fills_the_password_slot_even_with_special_characters() -> None:
    url = async_url("postgresql://user@db:5432/movies", "p@ss:w/rd%")
    assert url.password == "p@ss:w/rd%"
    rendered = url.render_as_string(hide_password=False)
    assert make_url(rendered).password == "p@ss:w/rd%"


def test_a_separate_password_replaces_one_in_the_url() -> None:
    assert async_url("postgresql://user:old@db/movies", "new").password == "new"


@pytest.mark.parametrize("raw", ["mysql://root@localhost/movies", "oracle://scott@db/orcl"])
def test_other_databases_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="unsupported database"):
        async_url(raw)


def test_sqlite_file_is_the_path_of_a_file_url() -> None:
    assert sqlite_file(async_url("sqlite:////tmp/x/movies.db")) == Path("/tmp/x/movies.db")
    assert sqlite_file(async_url("sqlite:///relative.db")) == Path("relative.db")


@pytest.mark.parametrize("raw", ["sqlite://", "sqlite:///:memory:", "postgresql://user@db/movies"])
def test_sqlite_file_is_none_for_memory_and_other_backends(raw: str) -> None:
    assert sqlite_file(async_url(raw)) is None
