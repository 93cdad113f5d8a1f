"""A numbered page of the whole catalogue in title order, read with one driver statement.

It is the commonest uncached read (``GET /movies?page=N``), and what it needs is small:
the page's JSON documents, the last one's position for ``next_cursor``, and the number
of movies from the state row. One prebuilt statement returns all three (the count as a
scalar subquery on every row), so one statement sees one snapshot and the count cannot
disagree with the rows. It goes to the driver as SQL text compiled once per dialect: no
statement is composed or compiled per request, and the rows are read by position. The
driver runs it directly (stdlib ``sqlite3``, asyncpg); on PostgreSQL that is also outside
a transaction, where BEGIN and ROLLBACK would be two of its three round trips.

Deep pages (from ``title_anchors.SPLIT_AT`` on), cursors and filtered listings are read by
``listing_queries.ListingQuery``, as before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.util import await_

from movies_api.db.listing_queries import TITLE_ORDER
from movies_api.db.models import MOVIES
from movies_api.db.state_repository import STATE, STATE_ROW_ID, read_state
from movies_api.domain.listing import Listed, ListingSlice

_COUNT = select(STATE.c.movie_count).where(STATE.c.id == STATE_ROW_ID)
_PAGE: Final = (
    select(MOVIES.c.document, *TITLE_ORDER, _COUNT.scalar_subquery())
    .order_by(*TITLE_ORDER)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)


@dataclass(frozen=True, slots=True)
class _Compiled:
    """The page's SQL in one dialect, and how to fill in its positional parameters."""

    sql: str
    names: tuple[str, ...]
    fixed: dict[str, Any]

    def parameters(self, **values: Any) -> tuple[Any, ...]:
        given = {**self.fixed, **values}
        return tuple(given[name] for name in self.names)


_COMPILED: dict[str, _Compiled] = {}


def _compiled(dialect: Dialect) -> _Compiled:
    found = _COMPILED.get(dialect.name)
    if found is None:
        compiled = _PAGE.compile(dialect=dialect)
        names = tuple(compiled.positiontup or ())
        found = _COMPILED[dialect.name] = _Compiled(compiled.string, names, compiled.params)
    return found


def statement(dialect: Dialect, *, limit: int, offset: int) -> tuple[str, tuple[Any, ...]]:
    """The SQL that reads ``limit`` rows from ``offset`` on in ``dialect``, and its parameters."""
    page = _compiled(dialect)
    return page.sql, page.parameters(limit=limit, offset=offset)


def read(connection: Connection, *, limit: int, offset: int) -> ListingSlice:
    """Up to ``limit`` movies from ``offset`` on, the catalogue's size, and whether more follow."""
    sql, parameters = statement(connection.dialect, limit=limit + 1, offset=offset)
    rows: Sequence[Sequence[Any]]
    if connection.dialect.name == "sqlite":
        rows = _from_sqlite(connection, sql, parameters)
    else:
        rows = _from_asyncpg(connection, sql, parameters)
    if not rows:  # past the end (or nothing stored): the size comes from the state row
        return ListingSlice((), read_state(connection)[1], True, more=False)
    items = tuple(Listed(bytes(row[0]), (row[1], row[2], row[3])) for row in rows[:limit])
    return ListingSlice(items, rows[0][4], True, more=len(rows) > limit)


def _from_asyncpg(
    connection: Connection, sql: str, parameters: tuple[Any, ...]
) -> Sequence[Sequence[Any]]:
    """The rows of ``sql`` from asyncpg itself, awaited in the session's greenlet: no
    SQLAlchemy execution or result objects, and no BEGIN or ROLLBACK around a lone
    statement (inside a transaction the session opened, it runs in that one).

    Its errors become SQLAlchemy's, as the unit of work expects. On a connection that
    died, the statement goes through SQLAlchemy instead, which fails the same way but
    also sees the disconnect and replaces the pool's older connections.
    """
    driver = connection.connection.driver_connection
    assert driver is not None
    try:
        rows: Sequence[Sequence[Any]] = await_(driver.fetch(sql, *parameters))
    except Exception as error:
        if driver.is_closed():
            return connection.exec_driver_sql(sql, parameters).fetchall()
        raise DBAPIError.instance(sql, parameters, error, Exception) from error
    return rows


def _from_sqlite(
    connection: Connection, sql: str, parameters: tuple[Any, ...]
) -> Sequence[Sequence[Any]]:
    """The rows of ``sql`` from the stdlib driver itself: SQLAlchemy's execution and result
    objects cost twice the query here. Its errors become SQLAlchemy's, as the unit of work
    expects. The driver opens no transaction for a SELECT. The statement timeout's watch
    (``engine._cancel_slow_statements``) does not see it: it never starts more than
    ``SPLIT_AT`` rows into the title index."""
    driver = connection.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    try:
        return driver.execute(sql, parameters).fetchall()
    except sqlite3.Error as error:
        raise DBAPIError.instance(sql, parameters, error, sqlite3.Error) from error
