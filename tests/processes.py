"""Real processes for integration tests: ``movies-api serve`` and ``movies-api omdb-sim``.

Nothing here waits on a deadline a loaded machine could miss: a process is waited for until
it answers or exits. ``HANG_SECONDS`` only turns a real hang into a failure with the
process's output, long before pytest-timeout would stop the test without it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

import httpx

from tests.conftest import free_port

HANG_SECONDS = 240.0
# What ``serve`` and ``omdb-sim`` say when their port is taken (movies_api.startup).
PORT_TAKEN = "is already in use"
_PORT_ATTEMPTS = 3


class Process:
    """A ``movies-api`` subprocess listening on ``url``; output goes to ``log``."""

    def __init__(
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        log: Path,
        port: int,
    ) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.port = port
        self.log = log
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self._out = log.open("ab")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "movies_api", *args],
            env=full_env,
            cwd=cwd,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, path: str = "/healthz") -> Process:
        """Wait until ``path`` answers 200; raise with the process's output if it exits first
        (or hangs for ``HANG_SECONDS``)."""
        wait_until(
            lambda: self._answers(path),
            what=f"{self.url}{path} to answer 200",
            process=self,
        )
        return self

    def _answers(self, path: str) -> bool:
        try:
            return httpx.get(self.url + path, timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def exited(self) -> bool:
        return self.popen.poll() is not None

    def output(self) -> str:
        if not self._out.closed:
            self._out.flush()
        return self.log.read_text(errors="replace")

    def terminate(self, timeout: float = 15.0) -> int:
        """SIGTERM, then wait; SIGKILL if it does not exit in time. Returns the exit code."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._out.close()
        return self.popen.returncode

    def kill(self) -> None:
        """SIGKILL: no cleanup at all, as a crash would leave things."""
        self.popen.kill()
        self.popen.wait()
        self._out.close()


class ProcessExited(RuntimeError):
    """The process ended while a test waited for it."""


class Watched(Protocol):
    """A process a wait gives up on when it exits."""

    def exited(self) -> bool: ...

    def output(self) -> str: ...


def wait_until(condition: Callable[[], bool], *, what: str, process: Watched | None = None) -> None:
    """Poll ``condition`` until it holds; fail at once if ``process`` exits meanwhile."""
    hang = time.monotonic() + HANG_SECONDS
    while not condition():
        if process is not None and process.exited():
            raise ProcessExited(f"process exited while waiting for {what}:\n{process.output()}")
        if time.monotonic() > hang:
            output = process.output() if process is not None else ""
            raise TimeoutError(f"still waiting for {what} after {HANG_SECONDS:.0f} s\n{output}")
        time.sleep(0.05)


def _start_listening(start: Callable[[int], Process], port: int | None, path: str) -> Process:
    """``start`` on ``port``, or on a free port; a free port another process took between
    the probe and the bind (xdist workers probe at once) is retried on a new one."""
    for _ in range(_PORT_ATTEMPTS if port is None else 1):
        process = start(port or free_port())
        try:
            return process.wait_ready(path)
        except ProcessExited:
            process.terminate()
            if port is not None or PORT_TAKEN not in process.output():
                raise
        except BaseException:
            process.terminate()
            raise
    raise RuntimeError(f"no free port found in {_PORT_ATTEMPTS} attempts")


def start_server(
    tmp_path: Path, env: Mapping[str, str], *, port: int | None = None, wait: bool = True
) -> Process:
    """``movies-api serve`` in ``tmp_path`` with ``env`` (MOVIES_* variables)."""

    def start(chosen: int) -> Process:
        return Process(
            ["serve", "--port", str(chosen)],
            env=env,
            cwd=tmp_path,
            log=tmp_path / f"serve-{chosen}.log",
            port=chosen,
        )

    if not wait:
        return start(port or free_port())
    return _start_listening(start, port, "/healthz")


def start_simulator(tmp_path: Path, *options: str, port: int | None = None) -> Process:
    """``movies-api omdb-sim`` with command-line knobs such as ``--latency-ms 5``."""

    def start(chosen: int) -> Process:
        return Process(
            ["omdb-sim", "--port", str(chosen), *options],
            cwd=tmp_path,
            log=tmp_path / f"omdb-sim-{chosen}.log",
            port=chosen,
        )

    return _start_listening(start, port, "/__sim/stats")
