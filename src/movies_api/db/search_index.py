"""Full-text search (contract §2 ``q``) in each database's own machinery.

Both backends index the words ``domain.titles.words`` made, never their own parsers'
output, so they agree on what a word is. Relevance ranks three groups — title, then
people and genres, then plot — as *tiers*: tier 0 matches every word within the title,
tier 1 within title, people and genres (and is not tier 0), tier 2 anywhere (and is
neither). ``None`` stands for "anywhere", the union of the tiers.

PostgreSQL: ``movies.search_vector`` is a ``tsvector`` built from a literal, one lexeme
per word with a position per group it occurs in: weight A for the title, B for people
and genres, D for the plot. A tier is a ``tsquery`` whose lexemes carry the weights it
allows; the GIN index finds candidates, and the planner chooses between it and walking
an order's index while testing each row.

SQLite: FTS5 over ``movie_search`` (an external-content table kept in step by
triggers), columns ``title``, ``people``, ``plot`` of space-separated words and the
``ascii`` tokenizer, which splits exactly at those spaces. The FTS rowid (``seq``)
follows title order: FTS5 returns matches by rowid, so a search in title order (or by
relevance, tier by tier) reads one page of matches and stops, at any depth and however
common the word. ``seq`` is sparse; an insertion takes the middle of the gap between its
neighbours, and on the rare exhausted gap relabels a window of rows after it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    tuple_,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select

from movies_api.db.models import MOVIES, SEARCH_TERMS, insert_into
from movies_api.db.movie_rows import SearchWords

TIERS: Final = (0, 1, 2)

# --- PostgreSQL ------------------------------------------------------------------------

_GROUP_POSITIONS: Final = ("1A", "2B", "3")  # title, people and genres, plot (weight D)
_TIER_WEIGHTS: Final = {0: "A", 1: "AB", 2: "", None: ""}


def vector_literal(found: SearchWords) -> str:
    """The ``tsvector`` literal of a movie's words: each lexeme with a position per group.

    Words are runs of letters and digits, so the single quotes need no escaping inside.
    """
    positions: dict[str, list[str]] = {}
    for position, group in zip(
        _GROUP_POSITIONS, (found.title, found.people, found.plot), strict=True
    ):
        for word in group:
            positions.setdefault(word, []).append(position)
    return " ".join(f"'{word}':{','.join(at)}" for word, at in positions.items())


def tsquery(search: Sequence[str], within: int | None) -> str:
    """The ``tsquery`` for every word of ``search`` within the groups of tiers up to
    ``within`` (anywhere when None); the last word also as a prefix."""
    weights = _TIER_WEIGHTS[within]
    last = len(search) - 1
    terms = []
    for at, word in enumerate(search):
        flags = ("*" if at == last else "") + weights
        terms.append(f"'{word}':{flags}" if flags else f"'{word}'")
    return " & ".join(terms)


def postgres_match(search: Sequence[str], tier: int | None) -> ColumnElement[bool]:
    """Movies matching ``search`` in exactly ``tier`` (anywhere when None)."""

    from sqlalchemy.dialects.postgresql import TSQUERY  # only ever compiled for PostgreSQL

    def within(at: int | None) -> ColumnElement[bool]:
        query = cast(literal(tsquery(search, at), Text), TSQUERY)
        return MOVIES.c.search_vector.op("@@", return_type=Boolean)(query)

    if tier is None or tier == 0:
        return within(tier)
    return within(tier if tier == 1 else None) & ~within(tier - 1)


# --- SQLite ----------------------------------------------------------------------------

MOVIE_SEARCH: Final = Table(
    "movie_search",
    MetaData(),
    Column("seq", Integer, primary_key=True),
    Column("movie_id", String(12)),
    Column("title", Text),
    Column("people", Text),
    Column("plot", Text),
)
SQLITE_SCHEMA: Final = (
    """CREATE TABLE movie_search (
        seq INTEGER PRIMARY KEY,
        movie_id VARCHAR(12) NOT NULL UNIQUE REFERENCES movies (id) ON DELETE CASCADE,
        title TEXT NOT NULL,
        people TEXT NOT NULL,
        plot TEXT NOT NULL
    )""",
    """CREATE VIRTUAL TABLE movie_fts USING fts5(
        title, people, plot,
        content='movie_search', content_rowid='seq', tokenize='ascii', prefix='2 3'
    )""",
    """CREATE TRIGGER movie_search_ai AFTER INSERT ON movie_search BEGIN
        INSERT INTO movie_fts (rowid, title, people, plot)
        VALUES (new.seq, new.title, new.people, new.plot);
    END""",
    """CREATE TRIGGER movie_search_ad AFTER DELETE ON movie_search BEGIN
        INSERT INTO movie_fts (movie_fts, rowid, title, people, plot)
        VALUES ('delete', old.seq, old.title, old.people, old.plot);
    END""",
)
SQLITE_DROP: Final = (
    "DROP TRIGGER movie_search_ad",
    "DROP TRIGGER movie_search_ai",
    "DROP TABLE movie_fts",
    "DROP TABLE movie_search",
)

SEQ_SPACING: Final = 2**32  # between neighbours stored in a row: 32 halvings of room
SEQ_MAX: Final = 2**62
_RELABEL_WINDOW: Final = 16
# The FTS5 table as queries see it: its rowid is ``movie_search.seq``.
MOVIE_FTS: Final = Table("movie_fts", MetaData(), Column("rowid", Integer))
_TIER_COLUMNS: Final = {0: "{title} : ", 1: "{title people} : ", 2: "", None: ""}
_TITLE_ORDER: Final = (MOVIES.c.title_key, MOVIES.c.year_key, MOVIES.c.id)
_INDEXED: Final = MOVIES.join(MOVIE_SEARCH, MOVIE_SEARCH.c.movie_id == MOVIES.c.id)


# Past every code point a word can hold: the end of a prefix's range of words.
_AFTER_PREFIX: Final = "\U0010ffff"
# The most stored words a last word's prefix is spelled out as (see ``Terms``).
SPELLED_OUT_MAX: Final = 64


@dataclass(frozen=True, slots=True)
class Terms:
    """The words of a search as FTS5 is asked for them.

    FTS5 reads a prefix its ``prefix`` index does not hold (four letters and more) by
    merging the whole doclist of every word it begins before handing back the first
    match: for a common word, a hundred thousand entries read for a page of ten. The
    same words asked for as ``"love" OR "lover" OR …`` are merged lazily, in rowid
    order, and a page stops after its last match. So the last word is spelled out as the
    stored words it begins (``search_terms`` lists them, in the same snapshot) when there
    are few enough; otherwise, or when none is stored, it stays a prefix.
    """

    words: tuple[str, ...]
    completions: tuple[str, ...] = ()

    @classmethod
    def of(cls, connection: Connection, search: Sequence[str]) -> Terms:
        *_, last = search
        column = SEARCH_TERMS.c.word
        found = connection.execute(
            select(column)
            .where(column >= last, column < last + _AFTER_PREFIX)
            .order_by(column)
            .limit(SPELLED_OUT_MAX + 1)
        ).scalars()
        completions = tuple(found)
        if len(completions) > SPELLED_OUT_MAX:
            completions = ()
        return cls(tuple(search), completions)

    def expression(self, tier: int | None) -> str:
        """The FTS5 query for every word in exactly ``tier`` (anywhere when None)."""

        def within(at: int | None) -> str:
            *exact, last = self.words
            phrases = [f'"{word}"' for word in exact]
            if self.completions:
                spelled = " OR ".join(f'"{word}"' for word in self.completions)
                phrases.append(f"({spelled})")
            else:
                phrases.append(f'"{last}"*')
            return f"{_TIER_COLUMNS[at]}({' AND '.join(phrases)})"

        if tier is None or tier == 0:
            return within(tier)
        return f"{within(tier if tier == 1 else None)} NOT {within(tier - 1)}"


def fts_match(terms: Terms, tier: int | None) -> ColumnElement[bool]:
    """The FTS5 condition for movies matching in ``tier``; ``MOVIE_FTS.c.rowid`` is their seq."""
    return text("movie_fts MATCH :fts").bindparams(fts=terms.expression(tier))  # type: ignore[return-value]


def seq_at_or_before(key: Sequence[object]) -> ColumnElement[int]:
    """The ``seq`` of the last movie at or before ``key`` in title order (0 before all):
    where a walk that stopped at ``key`` resumes, even if that movie is gone since. A
    subquery, so the seek and the walk read one snapshot."""
    return func.coalesce(_neighbour(key, before=True, inclusive=True).scalar_subquery(), 0)


def _neighbour(key: Sequence[object], *, before: bool, inclusive: bool = False) -> Select[Any]:
    """The ``seq`` of the nearest indexed movie before (or after) ``key`` in title order."""
    position = tuple_(*_TITLE_ORDER)
    bound = tuple_(
        *(literal(value, column.type) for value, column in zip(key, _TITLE_ORDER, strict=True))
    )
    statement = select(MOVIE_SEARCH.c.seq).select_from(_INDEXED).limit(1)
    if before:
        where = position <= bound if inclusive else position < bound
        return statement.where(where).order_by(*(column.desc() for column in _TITLE_ORDER))
    return statement.where(position > bound).order_by(*_TITLE_ORDER)


def _neighbour_at_key(*, before: bool) -> Select[Any]:
    """``_neighbour`` with the key as bound parameters: built and compiled once, since a
    write runs it twice for every movie it stores."""
    key = [bindparam(f"key_{at}", type_=column.type) for at, column in enumerate(_TITLE_ORDER)]
    position, bound = tuple_(*_TITLE_ORDER), tuple_(*key)
    statement = select(MOVIE_SEARCH.c.seq).select_from(_INDEXED).limit(1)
    if before:
        return statement.where(position < bound).order_by(*(c.desc() for c in _TITLE_ORDER))
    return statement.where(position > bound).order_by(*_TITLE_ORDER)


_SEQ_BEFORE: Final = _neighbour_at_key(before=True)
_SEQ_AFTER: Final = _neighbour_at_key(before=False)
_INSERT_SEARCH: Final = insert(MOVIE_SEARCH)
_ANY_SEARCH_ROW: Final = select(MOVIE_SEARCH.c.seq).limit(1)


def sqlite_store(
    connection: Connection, rows: Sequence[tuple[tuple[str, int, str], SearchWords]]
) -> None:
    """Index movies already in ``movies`` (``rows`` in title order), each at the ``seq`` its
    title-order key calls for.

    Into an empty index (a seed's case) they go in one statement, ``SEQ_SPACING`` apart:
    the places the general case would give them, without its two seeks per movie. Else
    one at a time: each takes the gap between neighbours that already have a ``seq``, the
    movies stored before it in this call included.
    """
    if len(rows) * SEQ_SPACING < SEQ_MAX and connection.execute(_ANY_SEARCH_ROW).first() is None:
        spaced = [
            search_row(key[2], found, SEQ_SPACING * place)
            for place, (key, found) in enumerate(rows, start=1)
        ]
        if spaced:
            connection.execute(_INSERT_SEARCH, spaced)
        return
    for key, found in rows:
        at = {f"key_{i}": value for i, value in enumerate(key)}
        low = connection.execute(_SEQ_BEFORE, at).scalar_one_or_none()
        high = connection.execute(_SEQ_AFTER, at).scalar_one_or_none()
        seq = _between(low, high)
        if seq is None:
            assert low is not None
            seq = _relabel_after(connection, low)
        connection.execute(_INSERT_SEARCH, search_row(key[2], found, seq))


def search_row(movie_id: str, found: SearchWords, seq: int) -> dict[str, Any]:
    """A movie's search-table row: its words by field, at place ``seq`` in title order."""
    return {
        "seq": seq,
        "movie_id": movie_id,
        "title": " ".join(found.title),
        "people": " ".join(found.people),
        "plot": " ".join(found.plot),
    }


def sqlite_remove(connection: Connection, movie_ids: Sequence[str]) -> None:
    """Drop movies' search rows (the FTS trigger follows). Deleting a movie cascades here
    by itself; a refresh calls this before storing the new words at their new place."""
    connection.execute(delete(MOVIE_SEARCH).where(MOVIE_SEARCH.c.movie_id.in_(movie_ids)))


def _between(low: int | None, high: int | None) -> int | None:
    if low is None:
        low = 0
        if high is not None and high > SEQ_SPACING:
            return high - SEQ_SPACING
    if high is None:
        if low + SEQ_SPACING < SEQ_MAX:
            return low + SEQ_SPACING
        high = SEQ_MAX
    return low + (high - low) // 2 if high - low >= 2 else None


def _relabel_after(connection: Connection, low: int) -> int:
    """Spread the rows right after ``low`` evenly over a wider gap, leaving the first
    slot free, and return it: the window doubles until its gap has room for everyone."""
    count = _RELABEL_WINDOW
    window = select(MOVIE_SEARCH).where(MOVIE_SEARCH.c.seq > low).order_by(MOVIE_SEARCH.c.seq)
    while True:
        rows = connection.execute(window.limit(count + 1)).all()
        moved, rest = rows[:count], rows[count:]
        ceiling = rest[0].seq if rest else SEQ_MAX
        step = (ceiling - low) // (len(moved) + 2)
        if step >= 2 or not rest:
            break
        count *= 2
    # Deleted and inserted again rather than updated: the FTS rows move with them, and no
    # intermediate state ever holds two rows on one seq.
    connection.execute(
        delete(MOVIE_SEARCH).where(MOVIE_SEARCH.c.seq.in_([row.seq for row in moved]))
    )
    relabelled = [{**row._asdict(), "seq": low + step * (i + 2)} for i, row in enumerate(moved)]
    if relabelled:
        connection.execute(insert(MOVIE_SEARCH), relabelled)
    return low + step


# --- how many movies hold each word (both backends) -----------------------------------


def count_words(connection: Connection, added: Counter[str], removed: Counter[str]) -> None:
    """Adjust the word counts by the words of movies just stored and just deleted."""
    delta = Counter(added)
    delta.subtract(removed)
    changed: list[dict[str, Any]] = [{"word": w, "movies": n} for w, n in delta.items() if n]
    if not changed:
        return
    upsert = insert_into(connection, SEARCH_TERMS)
    upsert = upsert.on_conflict_do_update(
        index_elements=["word"],
        set_={"movies": SEARCH_TERMS.c.movies + upsert.excluded.movies},
    )
    connection.execute(upsert, changed)
    gone = [row["word"] for row in changed if row["movies"] < 0]
    if gone:
        connection.execute(
            delete(SEARCH_TERMS).where(SEARCH_TERMS.c.word.in_(gone), SEARCH_TERMS.c.movies <= 0)
        )


def word_bounds(connection: Connection, search: Sequence[str]) -> tuple[int, int]:
    """Bounds on how many movies hold every word of ``search`` (the last as a prefix),
    from the word counts alone: one short index read per word.

    A word counts exactly; a prefix at least as many as its commonest word and at most
    as many as all its words together. So one word gives both bounds, several words an
    upper bound (the rarest of them).
    """
    low, high = 0, None
    for at, word in enumerate(search):
        if at < len(search) - 1:
            found = connection.execute(
                select(SEARCH_TERMS.c.movies).where(SEARCH_TERMS.c.word == word)
            ).scalar_one_or_none()
            least = most = found or 0
        else:
            # >= and <, not BETWEEN: PostgreSQL's grammar takes no COLLATE in BETWEEN's bounds.
            column = SEARCH_TERMS.c.word
            in_range = (column >= word) & (column < word + _AFTER_PREFIX)
            least, most = connection.execute(
                select(
                    func.coalesce(func.max(SEARCH_TERMS.c.movies), 0),
                    func.coalesce(func.sum(SEARCH_TERMS.c.movies), 0),
                ).where(in_range)
            ).one()
        high = most if high is None else min(high, most)
        if len(search) == 1:
            low = least
    return int(low), int(high or 0)
