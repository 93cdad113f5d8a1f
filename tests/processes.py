"""Real processes for integration tests: ``movies-api serve`` and ``movies-api omdb-sim``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

from tests.conftest import free_port


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

    def wait_ready(self, path: str = "/healthz", timeout: float = 20.0) -> Process:
        """Wait until ``path`` answers 200; raise with the process's output if it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"process exited with {self.popen.returncode}:\n{self.output()}")
            try:
                if httpx.get(self.url + path, timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"{self.url}{path} not ready in {timeout}s:\n{self.output()}")

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


def start_server(
    tmp_path: Path, env: Mapping[str, str], *, port: int | None = None, wait: bool = True
) -> Process:
    """``movies-api serve`` in ``tmp_path`` with ``env`` (MOVIES_* variables)."""
    port = port or free_port()
    process = Process(
        ["serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        log=tmp_path / f"serve-{port}.log",
        port=port,
    )
    return process.wait_ready() if wait else process


def start_simulator(tmp_path: Path, *options: str, port: int | None = None) -> Process:
    """``movies-api omdb-sim`` with command-line knobs such as ``--latency-ms 5``."""
    port = port or free_port()
    process = Process(
        ["omdb-sim", "--port", str(port), *options],
        cwd=tmp_path,
        log=tmp_path / f"omdb-sim-{port}.log",
        port=port,
    )
    return process.wait_ready("/__sim/stats")
