"""Everything the service knows about OMDb, and nothing about the service.

``errors`` (typed failures, importable without httpx), ``client`` (``OmdbClient``),
``normalise`` (raw record to ``MovieDetails``) and ``simulator`` (a local OMDb).
Nothing is imported here, so importing one part never pays for the others.
"""
