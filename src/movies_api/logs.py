"""Logging set up once at start: readable text locally, one JSON object a line on Cloud Run."""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Hashable
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson

# Cloud Logging reads these members; see its "structured logging" documentation.
TRACE_FIELD = "logging.googleapis.com/trace"
FLUSH_SECONDS = 0.25
_SEVERITY = {"WARNING": "WARNING", "CRITICAL": "CRITICAL", "ERROR": "ERROR", "INFO": "INFO"}
# Libraries that narrate routine work at INFO (alembic's plugin and migration steps,
# uvicorn's start-up and shut-down steps, httpcore's connections): ``serve`` says what
# matters in one line of its own, so these speak only of problems.
QUIET_LOGGERS = ("alembic", "httpcore", "uvicorn.error")
# httpx logs every request it sends, and only the OMDb client sends any: one line per
# OMDb request (its URL without the key) is wanted at DEBUG, and is noise otherwise.
PER_REQUEST_LOGGERS = ("httpx",)


class JsonFormatter(logging.Formatter):
    """``severity``, ``message``, ``time`` and any ``httpRequest`` or trace the record carries."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "severity": _SEVERITY.get(record.levelname, "DEBUG"),
            "message": record.getMessage(),
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "logger": record.name,
        }
        for name in ("httpRequest", TRACE_FIELD):
            value = record.__dict__.get(name)
            if value is not None:
                document[name] = value
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(document, default=str).decode()


# C0 and C1 control characters and DEL: a request's path or title may hold any of them.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def escape_controls(text: str) -> str:
    """``text`` with control characters written as escapes (``\\n``, ``\\x1b``), never raw:
    a newline from a request would otherwise forge a log line, an escape sequence repaint
    the operator's terminal."""
    return _CONTROL.sub(_escaped, text)


def _escaped(found: re.Match[str]) -> str:
    return found.group().encode("unicode_escape").decode("ascii")


class TextFormatter(logging.Formatter):
    """Plain lines for people; request lines read like an access log.

    A message is one line whatever it quotes (control characters escaped); only a
    traceback, written by the service itself, spans several.
    """

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        # uvicorn ends some messages with a newline of its own: that one is dropped.
        record.message = escape_controls(record.message.rstrip("\n"))
        return super().formatMessage(record)


class Throttle:
    """At most one log line per kind of event every ``seconds``; the next line allowed says
    how many were held back. An outage fails every request alike: thousands of identical
    lines a second would drown the one that says what happened (issue 10)."""

    def __init__(self, seconds: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._seconds = seconds
        self._clock = clock
        self._next: dict[Hashable, float] = {}
        self._held: dict[Hashable, int] = {}

    def allow(self, kind: Hashable) -> int | None:
        """None to hold this line back; else how many of its kind were held back before it."""
        now = self._clock()
        if now < self._next.get(kind, now):
            self._held[kind] = self._held.get(kind, 0) + 1
            return None
        self._next[kind] = now + self._seconds
        return self._held.pop(kind, 0)


class BufferedStdoutHandler(logging.StreamHandler[TextIO]):
    """Lines into a 64 KiB buffer on stdout's descriptor, flushed every ``FLUSH_SECONDS`` by a
    daemon thread, at once for warnings and worse, and at exit.

    Under load a write system call per access-log line cost more than serving a cached
    read; a few hundred milliseconds of delay costs Cloud Logging nothing.
    """

    def __init__(self, descriptor: int) -> None:
        # The stream lives as long as the process; stdout's descriptor stays open after it.
        stream = open(descriptor, "w", buffering=1 << 16, encoding="utf-8", closefd=False)  # noqa: SIM115
        super().__init__(stream)
        # Not "_closed": logging.Handler.close() sets that to True, and the flusher thread,
        # if mid-flush then, would next call .wait() on a bool and die with a traceback.
        self._stopping = threading.Event()
        threading.Thread(target=self._flush_periodically, name="log-flush", daemon=True).start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
            with self.lock:  # type: ignore[union-attr]
                self.stream.write(line)
            if record.levelno >= logging.WARNING:
                self.flush()
        except Exception:
            self.handleError(record)

    def _flush_periodically(self) -> None:
        while not self._stopping.wait(FLUSH_SECONDS):
            self.flush()

    def close(self) -> None:
        self._stopping.set()
        self.flush()
        super().close()


def _stdout_handler() -> logging.Handler:
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # replaced by something without one (tests)
        return logging.StreamHandler(sys.stdout)
    sys.stdout.flush()
    return BufferedStdoutHandler(descriptor)


def configure(*, json_lines: bool, level: int = logging.INFO) -> None:
    """Send every log record to stdout, replacing whatever handlers were there."""
    handler = _stdout_handler()
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    # Neither format shows threads, processes or source lines, so records need not collect
    # them (the logging HOWTO's "Optimization"): with an access log line per request this
    # is ~15 µs of every cached read.
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging._srcfile = None
    root = logging.getLogger()
    for old in root.handlers:
        if isinstance(old, BufferedStdoutHandler):  # ours: stop its flusher thread
            old.close()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    per_request = logging.INFO if level <= logging.DEBUG else logging.WARNING
    for name in PER_REQUEST_LOGGERS:
        logging.getLogger(name).setLevel(per_request)
