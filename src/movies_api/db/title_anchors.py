"""Deep pages of the title order without reading the movies before them (issue: a million).

``page=N`` means "skip (N-1) x limit movies". OFFSET reads every skipped row, so the
last page of a million movies cost seconds. Instead the title order is cut into
stretches of a few hundred movies, each named by its first position and holding an
exact count (``title_anchors``). A page sums the counts to find its stretch, seeks to
its first position through the title index, and skips at most one stretch's worth.

Every add and delete adjusts the count of the stretch it falls in, in its own
transaction, after taking the catalogue's write lock (``db.movie_repository``); a
stretch that grows past ``SPLIT_AT`` is cut in two, one that shrinks below
``MERGE_BELOW`` joins the one before it. Readers cache the stretches per catalogue
version, so a deep page costs one indexed seek.
"""

from __future__ import annotations

import bisect
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Final

from sqlalchemy import (
    Integer,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    tuple_,
    update,
)
from sqlalchemy.engine import Connection

from movies_api.db.models import MOVIES, TITLE_ANCHORS

Key = tuple[str, int, str]
ANCHOR_SIZE: Final = 512
SPLIT_AT: Final = 2 * ANCHOR_SIZE
MERGE_BELOW: Final = ANCHOR_SIZE // 4
# Before every position: an empty title key with a year key below every real one.
FIRST: Final[Key] = ("", 0, "")

_ANCHORS = TITLE_ANCHORS
_MOVIES = MOVIES
_LOWER = (_ANCHORS.c.title_key, _ANCHORS.c.year_key, _ANCHORS.c.movie_id)
_ORDER = (_MOVIES.c.title_key, _MOVIES.c.year_key, _MOVIES.c.id)
_ALL = select(*_LOWER, _ANCHORS.c.size).order_by(*_LOWER)


def _bound(key: Key) -> tuple[object, ...]:
    return tuple(literal(value, column.type) for value, column in zip(key, _ORDER, strict=True))


@dataclass(frozen=True, slots=True)
class Stretches:
    """The stretches of one catalogue version: first positions and running totals."""

    lowers: tuple[Key, ...]
    starts: tuple[int, ...]  # how many movies come before each stretch

    @classmethod
    def read(cls, connection: Connection) -> Stretches:
        rows = connection.execute(_ALL).all()
        lowers = tuple((row[0], row[1], row[2]) for row in rows)
        starts = tuple(accumulate((row[3] for row in rows), initial=0))[:-1]
        return cls(lowers, starts)

    def locate(self, offset: int) -> tuple[Key, int]:
        """The stretch holding the movie at ``offset``, and how far into it that movie is."""
        at = max(0, bisect.bisect_right(self.starts, offset) - 1)
        return self.lowers[at], offset - self.starts[at]


class StretchCache:
    """The stretches of the latest catalogue version this process read, shared by requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: str | None = None
        self._stretches: Stretches | None = None

    def get(self, connection: Connection, version: str) -> Stretches:
        with self._lock:
            if self._version == version and self._stretches is not None:
                return self._stretches
        stretches = Stretches.read(connection)
        with self._lock:
            self._version, self._stretches = version, stretches
        return stretches


def anchor_for(connection: Connection, key: Key) -> Key:
    """The first position of the stretch ``key`` falls in."""
    row = connection.execute(
        select(*_LOWER)
        .where(tuple_(*_LOWER) <= tuple_(*_bound(key)))
        .order_by(*(column.desc() for column in _LOWER))
        .limit(1)
    ).one()
    return (row[0], row[1], row[2])


def _anchors_of(connection: Connection, keys: Sequence[Key]) -> Counter[Key]:
    if len(keys) <= 32:
        return Counter(anchor_for(connection, key) for key in keys)
    lowers = [
        (row[0], row[1], row[2]) for row in connection.execute(select(*_LOWER).order_by(*_LOWER))
    ]
    return Counter(lowers[bisect.bisect_right(lowers, key) - 1] for key in keys)


_RESIZE = (
    update(_ANCHORS)
    .where(tuple_(*_LOWER) == tuple_(bindparam("t"), bindparam("y", type_=Integer), bindparam("i")))
    .values(size=_ANCHORS.c.size + bindparam("delta", type_=Integer))
    .returning(_ANCHORS.c.size)
)


def moved(
    connection: Connection, *, added: Sequence[Key] = (), removed: Sequence[Key] = ()
) -> None:
    """Count movies just stored (``added``) or deleted (``removed``) in their stretches, and
    split or merge the stretches that left their bounds. Call with the write lock held."""
    deltas: Counter[Key] = _anchors_of(connection, added)
    deltas.subtract(_anchors_of(connection, removed))
    for lower, delta in sorted(deltas.items()):
        if delta == 0:
            continue
        size = connection.execute(
            _RESIZE, {"t": lower[0], "y": lower[1], "i": lower[2], "delta": delta}
        ).scalar_one()
        if size >= SPLIT_AT:
            _split(connection, lower, size)
        elif size < MERGE_BELOW and lower != FIRST:
            _merge(connection, lower, size)


def _split(connection: Connection, lower: Key, size: int) -> None:
    half = size // 2
    middle = connection.execute(
        select(*_ORDER)
        .where(tuple_(*_ORDER) >= tuple_(*_bound(lower)))
        .order_by(*_ORDER)
        .offset(half)
        .limit(1)
    ).one()
    connection.execute(
        update(_ANCHORS).where(tuple_(*_LOWER) == tuple_(*_bound(lower))).values(size=half)
    )
    connection.execute(
        insert(_ANCHORS).values(
            title_key=middle[0], year_key=middle[1], movie_id=middle[2], size=size - half
        )
    )


def _merge(connection: Connection, lower: Key, size: int) -> None:
    previous = connection.execute(
        select(*_LOWER)
        .where(tuple_(*_LOWER) < tuple_(*_bound(lower)))
        .order_by(*(column.desc() for column in _LOWER))
        .limit(1)
    ).one()
    connection.execute(delete(_ANCHORS).where(tuple_(*_LOWER) == tuple_(*_bound(lower))))
    connection.execute(
        update(_ANCHORS)
        .where(tuple_(*_LOWER) == tuple_(*_bound((previous[0], previous[1], previous[2]))))
        .values(size=_ANCHORS.c.size + size)
    )


def rebuild(connection: Connection) -> None:
    """Cut the whole title order into stretches afresh (migrations, bulk loads)."""
    connection.execute(delete(_ANCHORS))
    numbered = select(*_ORDER, func.row_number().over(order_by=_ORDER).label("n")).subquery()
    firsts = connection.execute(
        select(numbered.c.title_key, numbered.c.year_key, numbered.c.id, numbered.c.n)
        .where((numbered.c.n - 1) % ANCHOR_SIZE == 0)
        .order_by(numbered.c.n)
    ).all()
    total = connection.execute(select(func.count()).select_from(_MOVIES)).scalar_one()
    rows = []
    for index, first in enumerate(firsts):
        size = min(ANCHOR_SIZE, total - (first.n - 1))
        key = FIRST if index == 0 else (first[0], first[1], first[2])
        rows.append({"title_key": key[0], "year_key": key[1], "movie_id": key[2], "size": size})
    if not rows:
        rows.append({"title_key": "", "year_key": 0, "movie_id": "", "size": 0})
    connection.execute(insert(_ANCHORS), rows)
