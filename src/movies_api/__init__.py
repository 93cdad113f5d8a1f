"""Movies API: a catalogue of movies filled from OMDb, served over REST.

This is the code reference, one page per module. The packages, from the entry points
inward (``docs/architecture.md`` in the repository follows a request through them):

- ``movies_api.http`` — the FastAPI app: routes, wire schemas, problem responses, keys,
  rate limits, and the fast path for cached reads.
- ``movies_api.cli`` — the ``movies-api`` commands, calling the same services.
- ``movies_api.services`` — the rules: the catalogue, OMDb look-ups, seeding, imports,
  refreshes, API keys. They reach storage through ``movies_api.services.ports`` and OMDb
  through ``movies_api.services.upstream`` only.
- ``movies_api.cache`` — responses kept under the catalogue version, in process and in Redis.
- ``movies_api.db`` — tables, repositories, the unit of work, migrations, locks.
- ``movies_api.omdb`` — the OMDb client, the normaliser and the simulator.
- ``movies_api.domain`` — the movie, listings and title keys every layer shares.
- ``movies_api.bootstrap`` builds all of it once; ``movies_api.settings`` reads every setting.
"""

__version__ = "0.1.0"
