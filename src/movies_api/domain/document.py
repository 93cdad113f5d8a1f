"""A movie's JSON document: the bytes the API sends for it (contract §1).

It is computed once, when the movie is stored, and kept beside it; reads concatenate
stored documents instead of rebuilding each movie from its columns. The field names of
``Movie`` are the contract's, so the dataclass serialises as it is.
"""

from __future__ import annotations

import orjson

from movies_api.domain.movie import Movie


def movie_document(movie: Movie) -> bytes:
    """``movie`` as JSON, times in UTC with a ``Z``."""
    return orjson.dumps(movie, option=orjson.OPT_UTC_Z)
