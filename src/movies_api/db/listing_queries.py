"""SQL for listings (contract §2): filters, orders, keyset seeks, tiers, capped counts.

Every order is an index whose columns are the order's position (``db.movie_rows``
makes the keys non-null and ascending), so "the movies after this one" is a seek on
that index and a page costs the same at any depth. A position is the values of those
columns for the last movie a client saw; relevance puts its tier in front.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    and_,
    exists,
    func,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement as Column
from sqlalchemy.sql import Select

from movies_api.db import search_index
from movies_api.db.models import MOVIE_GENRES, MOVIE_PEOPLE, MOVIES
from movies_api.domain.listing import Listed, Listing, Position, Sort, SortField

_MOVIES, _GENRES, _PEOPLE = MOVIES, MOVIE_GENRES, MOVIE_PEOPLE
M = _MOVIES.c

YEAR_LAST: Final = 9999
RATING_LAST: Final = 10.0
TITLE_ORDER: Final = (M.title_key, M.year_key, M.id)


@dataclass(frozen=True, slots=True)
class Order:
    """An order as index columns; only ``-title`` reads its first column downwards."""

    columns: tuple[Column[Any], ...]
    first_descending: bool = False

    def order_by(self) -> list[Column[Any]]:
        first, *rest = self.columns
        return [first.desc() if self.first_descending else first, *rest]

    def after(self, position: Position, *, inclusive: bool = False) -> ColumnElement[bool]:
        """The movies after (or at) ``position`` in this order: one seek on its index."""
        values = [
            literal(value, column.type)
            for value, column in zip(position, self.columns, strict=True)
        ]
        if not self.first_descending:
            here = tuple_(*self.columns)
            return here >= tuple_(*values) if inclusive else here > tuple_(*values)
        assert not inclusive, "only ascending orders are entered at a position"
        first, *rest = self.columns
        later = tuple_(*rest) > tuple_(*values[1:])
        return and_(first <= values[0], or_(first < values[0], later))


ORDERS: Final = {
    Sort(SortField.TITLE): Order(TITLE_ORDER),
    Sort(SortField.TITLE, descending=True): Order(TITLE_ORDER, first_descending=True),
    Sort(SortField.YEAR): Order((M.year_key, M.title_key, M.id)),
    Sort(SortField.YEAR, descending=True): Order((M.year_desc_key, *TITLE_ORDER)),
    Sort(SortField.RATING): Order((M.rating_key, *TITLE_ORDER)),
    Sort(SortField.RATING, descending=True): Order((M.rating_desc_key, *TITLE_ORDER)),
    Sort(SortField.ADDED): Order((M.added_key, *TITLE_ORDER)),
    Sort(SortField.ADDED, descending=True): Order((M.added_desc_key, *TITLE_ORDER)),
    # Within a tier, relevance is title order; the tier is the position's first value.
    Sort(SortField.RELEVANCE): Order(TITLE_ORDER),
}


Person = tuple[str, str]  # a role (d, a) and a folded name


def people_of(listing: Listing) -> list[Person]:
    """The people ``listing`` is narrowed to, directors first."""
    named = (("d", listing.director), ("a", listing.actor))
    return [(role, name) for role, name in named if name is not None]


def filters(listing: Listing, *, driver: Person | None = None) -> list[ColumnElement[bool]]:
    """Conditions for every filter of ``listing`` (its words aside): on ``movies``, except
    when a person's filmography ``driver`` leads the query, whose years are then checked
    on that filmography's own rows."""
    found: list[ColumnElement[bool]] = []
    year = _PEOPLE.c.year_key if driver else M.year_key
    for genre in listing.genres:
        found.append(exists().where(_GENRES.c.movie_id == M.id, _GENRES.c.genre_key == genre))
    for role, name in people_of(listing):
        if (role, name) != driver:
            found.append(
                M.id.in_(
                    select(_PEOPLE.c.movie_id).where(
                        _PEOPLE.c.role == role, _PEOPLE.c.name_key == name
                    )
                )
            )
    if listing.type is not None:
        found.append(M.type == listing.type)
    if listing.year is not None:
        found.append(year == listing.year)
    if listing.year_min is not None or listing.year_max is not None:
        low = listing.year_min if listing.year_min is not None else 0
        high = listing.year_max if listing.year_max is not None else YEAR_LAST
        found.append(year.between(low, high))  # the missing-year sentinel is past 9999
    if listing.rating_min is not None:
        found.append(M.rating_key.between(listing.rating_min, RATING_LAST))
    return found


class ListingQuery:
    """The rows of one listing on one connection's database."""

    def __init__(self, connection: Connection, listing: Listing) -> None:
        self._connection = connection
        self._listing = listing
        self._order = ORDERS[listing.sort]
        self._sqlite = connection.dialect.name == "sqlite"
        self._filters = filters(listing)
        # A person's filmography is a few thousand movies at most: walked in title order on
        # its own key, it beats walking the whole catalogue (or fetching every film to sort).
        people = people_of(listing)
        title_order = listing.sort == Sort(SortField.TITLE)
        self._driver = people[0] if people and title_order and not listing.words else None
        self._terms: search_index.Terms | None = None

    def _fts_terms(self) -> search_index.Terms:
        """The search as FTS5 is asked for it, looked up once per listing query."""
        if self._terms is None:
            self._terms = search_index.Terms.of(self._connection, self._listing.words)
        return self._terms

    def rows(
        self,
        *,
        limit: int,
        offset: int = 0,
        after: Position | None = None,
        start: Position | None = None,
    ) -> list[Listed]:
        """Up to ``limit`` movies in the listing's order: those after ``after``, or else
        ``offset`` movies on from ``start`` (the beginning when None)."""
        if self._listing.sort.field is not SortField.RELEVANCE:
            return self._rows(None, limit=limit, offset=offset, after=after, start=start)
        assert start is None
        tier = int(after[0]) if after else 0
        within = tuple(after[1:]) if after else None
        found: list[Listed] = []
        for current in range(tier, len(search_index.TIERS)):
            if offset:
                skipped = self.count(cap=offset, tier=current)
                if skipped < offset:  # the whole tier lies before the page
                    offset -= skipped
                    continue
            rows = self._rows(current, limit=limit - len(found), offset=offset, after=within)
            found.extend(Listed(r.document, (current, *r.position)) for r in rows)
            offset, within = 0, None
            if len(found) == limit:
                break
        return found

    def count(self, *, cap: int, tier: int | None = None) -> int:
        """How many movies the listing holds (in ``tier`` when given), counting at most ``cap``."""
        words = self._listing.words
        if words and not self._filters and tier is None:
            # The word counts settle a common word (at least ``cap``) or an absent one (0)
            # without reading a single match.
            least, most = search_index.word_bounds(self._connection, words)
            if least >= cap or most == 0:
                return min(least, cap)
        alone = self._one_junction()
        if alone is not None:  # one genre or one person: their own index holds the answer
            statement = alone
        elif self._sqlite and words and not self._filters:
            # Words alone: FTS5 counts its own matches, no row of either table read.
            fts = search_index.MOVIE_FTS
            statement = select(literal(1)).select_from(fts)
            statement = statement.where(search_index.fts_match(self._fts_terms(), tier))
        else:
            statement = self._select(select(literal(1)), tier).order_by(None)
        statement = statement.limit(cap)
        return self._connection.execute(
            select(func.count()).select_from(statement.subquery())
        ).scalar_one()

    def _one_junction(self) -> Select[Any] | None:
        """The movies of the listing from one junction table's key alone, when a single
        genre, or a single person and years, are all that narrow it: an index-only count."""
        listing = self._listing
        if listing.words or listing.type is not None or listing.rating_min is not None:
            return None
        people = people_of(listing)
        years = (listing.year, listing.year_min, listing.year_max)
        if len(listing.genres) == 1 and not people and years == (None, None, None):
            return select(literal(1)).where(_GENRES.c.genre_key == listing.genres[0])
        if len(people) == 1 and not listing.genres:  # with its years, on its own key
            ((role, name),) = people
            person = [_PEOPLE.c.role == role, _PEOPLE.c.name_key == name]
            return select(literal(1)).where(*person, *filters(listing, driver=people[0]))
        return None

    def _rows(
        self,
        tier: int | None,
        *,
        limit: int,
        offset: int,
        after: Position | None,
        start: Position | None = None,
    ) -> list[Listed]:
        if limit <= 0:
            return []
        columns = self._order.columns
        statement = self._select(select(M.document, *columns), tier, after=after, start=start)
        statement = statement.limit(limit).offset(offset or None)
        return [
            Listed(bytes(row[0]), tuple(row[1:])) for row in self._connection.execute(statement)
        ]

    def _select(
        self,
        statement: Select[Any],
        tier: int | None,
        *,
        after: Position | None = None,
        start: Position | None = None,
    ) -> Select[Any]:
        words = self._listing.words
        conditions = list(self._filters)
        if self._driver is not None:
            return self._person_ordered(statement, self._driver, after, start)
        if (
            words
            and self._sqlite
            and self._order.columns == TITLE_ORDER
            and not self._order.first_descending
        ):
            return self._fts_ordered(statement, tier, conditions, after)
        if words:
            conditions.append(self._matching(words, tier))
        if after is not None:
            conditions.append(self._order.after(after))
        if start is not None:
            conditions.append(self._order.after(start, inclusive=True))
        return statement.select_from(_MOVIES).where(*conditions).order_by(*self._order.order_by())

    def _matching(self, words: Sequence[str], tier: int | None) -> ColumnElement[bool]:
        if not self._sqlite:
            return search_index.postgres_match(words, tier)
        return M.id.in_(
            select(search_index.MOVIE_SEARCH.c.movie_id)
            .select_from(search_index.MOVIE_FTS)
            .join(
                search_index.MOVIE_SEARCH,
                search_index.MOVIE_SEARCH.c.seq == search_index.MOVIE_FTS.c.rowid,
            )
            .where(search_index.fts_match(self._fts_terms(), tier))
        )

    def _person_ordered(
        self,
        statement: Select[Any],
        driver: Person,
        after: Position | None,
        start: Position | None,
    ) -> Select[Any]:
        """In title order along one person's filmography: its key holds the title-order
        keys, so only the movies of the page are read."""
        role, name = driver
        conditions = [
            _PEOPLE.c.role == role,
            _PEOPLE.c.name_key == name,
            *filters(self._listing, driver=driver),
        ]
        order = Order((_PEOPLE.c.title_key, _PEOPLE.c.year_key, _PEOPLE.c.movie_id))
        if after is not None:
            conditions.append(order.after(after))
        if start is not None:
            conditions.append(order.after(start, inclusive=True))
        return (
            statement.select_from(_PEOPLE.join(_MOVIES, M.id == _PEOPLE.c.movie_id))
            .where(*conditions)
            .order_by(*order.order_by())
        )

    def _fts_ordered(
        self,
        statement: Select[Any],
        tier: int | None,
        conditions: list[ColumnElement[bool]],
        after: Position | None,
    ) -> Select[Any]:
        """SQLite in title order: FTS5 hands matches over by rowid, which is title order."""
        fts, indexed = search_index.MOVIE_FTS, search_index.MOVIE_SEARCH
        conditions.append(search_index.fts_match(self._fts_terms(), tier))
        if after is not None:
            conditions.append(fts.c.rowid > search_index.seq_at_or_before(after))
        return (
            statement.select_from(fts)
            .join(indexed, indexed.c.seq == fts.c.rowid)
            .join(_MOVIES, M.id == indexed.c.movie_id)
            .where(*conditions)
            .order_by(fts.c.rowid)
        )
