"""The examples of the README and of ``docs/api.md``, run as written against ``make demo``
(``scripts/demo.sh``, the recipe itself): a real OMDb simulator, a real ``serve`` on a
fresh ``demo.db``, one for each page.

Every ```` ```sh ```` block of a page that does not call ``make`` is run, in order, in
one bash session in the demo's directory (so ``sqlite:///demo.db`` and ``.venv/bin`` mean
what they mean to a reader at the repository's root), with ``set -euo pipefail``: any
command that fails fails the test. ``curl`` is wrapped to record each answer's status: a
command whose last comment starts with a status code (``# 404: …``) must get exactly that
one, every other ``curl`` a 2xx. Examples added to the README later are run the same way,
with nothing to change here. The only rewrites are the demo's ports, ``127.0.0.1:8000``
and the simulator's ``127.0.0.1:8001``, to free ones; the session starts with the ``KEY``
that ``make demo`` printed, as a reader pastes it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import absent, free_port
from tests.processes import wait_until

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PAGES = [README, ROOT / "docs" / "api.md"]
DEMO_ADDRESS = "127.0.0.1:8000"
SIM_ADDRESS = "127.0.0.1:8001"
_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
_MAKE = re.compile(r"(^|[\s;&|(])make\s")
_STATUS_COMMENT = re.compile(r"\s#\s*([1-5]\d\d)\b[^'\"]*$")
_CURL = re.compile(r"(^|[\s;&|(])curl\s")
_KEY_LINE = re.compile(r"^\s*KEY=(\S+)$", re.MULTILINE)


def runnable_blocks(text: str) -> list[str]:
    """The README's shell blocks that exercise a running service (not ``make`` ones)."""
    return [
        block
        for block in _BLOCK.findall(text)
        if not any(_MAKE.search(command.split(" #")[0]) for command in commands(block))
    ]


def commands(block: str) -> list[str]:
    """A block's commands: continuation lines joined, blank and comment-only lines dropped."""
    joined = re.sub(r"\\\n\s*", " ", block)
    return [
        line for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]


@dataclass(frozen=True)
class Expected:
    command: str
    status: int | None  # None: any 2xx


def expected_answers(blocks: list[str]) -> list[Expected]:
    """One expectation per ``curl`` run, in the order the shell runs them."""
    found = []
    for command in (c for block in blocks for c in commands(block)):
        said = _STATUS_COMMENT.search(command)
        status = int(said.group(1)) if said else None
        found += [Expected(command, status)] * len(_CURL.findall(command))
    return found


def test_the_readme_blocks_are_found_and_annotated() -> None:
    blocks = runnable_blocks(README.read_text())
    expected = expected_answers(blocks)
    assert len(blocks) >= 2
    assert len(expected) >= 15
    assert {e.status for e in expected} >= {None, 300, 304, 201, 409, 404, 401, 204}
    assert not any(c.startswith("make ") for block in blocks for c in commands(block))


class Demo:
    """``scripts/demo.sh`` in its own process group (bash, the simulator, ``serve``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.sim_port = free_port()
        (directory / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
        self.log = directory / "demo.log"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("MOVIES_")},
            "BIN": str(directory / ".venv" / "bin"),
            "DEMO_PORT": str(self.port),
            "SIM_PORT": str(self.sim_port),
            "PYTHONUNBUFFERED": "1",
        }
        with self.log.open("wb") as out:
            self.popen = subprocess.Popen(
                ["bash", str(ROOT / "scripts" / "demo.sh")],
                cwd=directory,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def key(self) -> str:
        """The API key the demo printed (``KEY=…``)."""
        said = _KEY_LINE.search(self.output())
        assert said is not None, self.output()
        return said.group(1)

    def exited(self) -> bool:
        return self.popen.poll() is not None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def seeded(self) -> bool:
        try:
            ready = httpx.get(self.url + "/readyz", timeout=5)
        except httpx.HTTPError:
            return False
        return ready.status_code == 200 and ready.json()["seed"]["state"] == "done"

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    running = Demo(tmp_path)
    try:
        wait_until(running.seeded, what="the demo to be seeded", process=running)
        yield running
    finally:
        running.stop()


def test_make_demo_prints_a_key_that_works_on_the_demo(demo: Demo) -> None:
    key = demo.key()
    missing = f"{demo.url}/movies/tt9999999"
    assert httpx.delete(missing).status_code == 401
    assert httpx.delete(missing, headers={"Authorization": f"Bearer {key}"}).status_code == 404


@pytest.fixture
def curl() -> None:
    if shutil.which("curl") is None:
        absent("curl", " (apt-get install curl)")


@pytest.mark.usefixtures("curl")
@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_example_works_as_written_against_make_demo(demo: Demo, page: Path) -> None:
    blocks = runnable_blocks(page.read_text())
    assert blocks
    statuses = demo.directory / "statuses"
    script = "\n".join(
        [
            "set -euo pipefail",
            # The last -w wins: each curl also appends its status to a file of our own.
            f"curl() {{ command curl \"$@\" -w '%{{stderr}}%{{http_code}}\\n' 2>>{statuses}; }}",
            *blocks,
        ]
    ).replace(DEMO_ADDRESS, f"127.0.0.1:{demo.port}")
    script = script.replace(SIM_ADDRESS, f"127.0.0.1:{demo.sim_port}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOVIES_")}
    env["KEY"] = demo.key()
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=demo.directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"a command failed:\n{done.stdout}\n{done.stderr}"

    got = [int(line) for line in statuses.read_text().split()]
    expected = expected_answers(blocks)
    assert len(got) == len(expected), (got, expected)
    wrong = [
        f"{status} for {e.command}"
        for e, status in zip(expected, got, strict=True)
        if (e.status is None and not 200 <= status < 300)
        or (e.status is not None and status != e.status)
    ]
    assert wrong == [], "\n".join(wrong)
