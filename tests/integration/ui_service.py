"""A real ``serve`` seeded from a real OMDb simulator, for the web UI's integration and
browser tests: a handful of movies chosen for their titles (quotes, ampersands, remakes)
and one without a poster."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.integration.live_service import Simulator, create_key, wait_seeded
from tests.processes import Process, start_server, start_simulator

# The UI's suites listen on their own ports, apart from the ephemeral ones other suites
# probe for, so they never race them for a port.
PORTS = range(18200, 18300)
SEEDED = {
    "tt0133093": "The Matrix",
    "tt0078748": "Alien",
    "tt0090605": "Aliens",
    "tt0090555": '"Crocodile" Dundee',
    "tt0356910": "Mr. & Mrs. Smith",
    "tt0087182": "Dune",
    "tt0080684": "Star Wars: Episode V - The Empire Strikes Back",
    "tt9100014": "Untitled Lost Reel",  # OMDb has no poster for it
}
NO_POSTER = "tt9100014"
ADDABLE = "tt1160419"  # Dune (2021): in the simulator, not seeded


def ui_port() -> int:
    """A port of ``PORTS`` nobody listens on right now."""
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"every port from {PORTS.start} to {PORTS.stop - 1} is taken")


@dataclass(frozen=True)
class UiService:
    server: Process
    simulator: Simulator
    database_url: str
    key: str  # scopes movies:add and movies:delete

    @property
    def url(self) -> str:
        return self.server.url


@contextmanager
def ui_service(home: Path) -> Iterator[UiService]:
    """The simulator, then ``serve`` seeded with ``SEEDED``; both stopped afterwards."""
    ids = home / "seed_ids.txt"
    ids.write_text("\n".join(SEEDED) + "\n")
    database_url = f"sqlite:///{home}/catalogue.db"
    simulator = Simulator(start_simulator(home, port=ui_port()))
    try:
        server = start_server(
            home,
            {
                "MOVIES_DATABASE_URL": database_url,
                "MOVIES_OMDB_BASE_URL": simulator.base_url,
                "MOVIES_OMDB_API_KEY": "ui-test",
                "MOVIES_SEED_IDS_FILE": str(ids),
                "MOVIES_SEED_COUNT": str(len(SEEDED)),
                "MOVIES_REDIS_URL": "",
                "MOVIES_LOG_FORMAT": "text",
            },
            port=ui_port(),
        )
        try:
            wait_seeded(server)
            key = create_key(database_url, "movies:add", "movies:delete", cwd=home).key
            yield UiService(server, simulator, database_url, key)
        finally:
            server.terminate()
    finally:
        simulator.process.terminate()
