"""Log lines: one JSON object a line with Cloud Logging's fields, or plain text for people."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import orjson
import pytest

from movies_api.logs import (
    PER_REQUEST_LOGGERS,
    QUIET_LOGGERS,
    TRACE_FIELD,
    JsonFormatter,
    TextFormatter,
    configure,
)


def _record(
    level: int = logging.INFO, message: str = "hello %s", args: tuple[object, ...] = ("world",)
) -> logging.LogRecord:
    return logging.LogRecord("movies_api.test", level, __file__, 1, message, args, None)


@pytest.mark.parametrize(
    ("level", "severity"),
    [
        (logging.DEBUG, "DEBUG"),
        (logging.INFO, "INFO"),
        (logging.WARNING, "WARNING"),
        (logging.ERROR, "ERROR"),
        (logging.CRITICAL, "CRITICAL"),
    ],
)
def test_json_line_carries_cloud_logging_severity(level: int, severity: str) -> None:
    line = JsonFormatter().format(_record(level))
    assert "\n" not in line
    document = orjson.loads(line)
    assert document["severity"] == severity
    assert document["message"] == "hello world"
    assert document["logger"] == "movies_api.test"
    assert document["time"].endswith("+00:00")


def test_json_line_passes_http_request_and_trace_through() -> None:
    record = _record()
    record.httpRequest = {"requestMethod": "GET", "status": 200}
    record.__dict__[TRACE_FIELD] = "projects/p/traces/abc"
    document = orjson.loads(JsonFormatter().format(record))
    assert document["httpRequest"] == {"requestMethod": "GET", "status": 200}
    assert document[TRACE_FIELD] == "projects/p/traces/abc"


def test_json_line_leaves_out_what_the_record_does_not_carry() -> None:
    document = orjson.loads(JsonFormatter().format(_record()))
    assert set(document) == {"severity", "message", "time", "logger"}


def test_json_line_holds_the_exception_inside_the_one_line() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = _record(logging.ERROR, "failed", ())
        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    assert line.count("\n") == 0
    assert "RuntimeError: boom" in orjson.loads(line)["exception"]


def test_json_line_survives_values_json_cannot_spell() -> None:
    record = _record()
    record.httpRequest = {"odd": object()}
    assert "object object" in orjson.loads(JsonFormatter().format(record))["httpRequest"]["odd"]


def test_text_line_reads_like_a_log_line() -> None:
    line = TextFormatter().format(_record(logging.WARNING))
    assert line.endswith("WARNING movies_api.test: hello world")


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    others = [
        (logging.getLogger(n), logging.getLogger(n).handlers[:], logging.getLogger(n).level)
        for n in ("uvicorn", *QUIET_LOGGERS, *PER_REQUEST_LOGGERS)
    ]
    try:
        yield
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        for logger, handlers, logger_level in others:
            logger.handlers[:] = handlers
            logger.setLevel(logger_level)


@pytest.mark.usefixtures("restored_logging")
@pytest.mark.parametrize(
    ("json_lines", "formatter"), [(True, JsonFormatter), (False, TextFormatter)]
)
def test_configure_sends_everything_to_stdout_in_the_chosen_format(
    json_lines: bool, formatter: type[logging.Formatter], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdout = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stdout)
    logging.getLogger("uvicorn.error").addHandler(logging.NullHandler())
    configure(json_lines=json_lines)
    root = logging.getLogger()
    assert len(root.handlers) == 1
    assert isinstance(root.handlers[0].formatter, formatter)
    assert root.level == logging.INFO
    assert logging.getLogger("uvicorn.error").handlers == []
    assert logging.getLogger("uvicorn.error").propagate is True
    logging.getLogger("uvicorn.error").warning("trouble")
    assert "trouble" in stdout.getvalue()


@pytest.mark.usefixtures("restored_logging")
def test_libraries_say_nothing_at_info(monkeypatch: pytest.MonkeyPatch) -> None:
    stdout = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stdout)
    configure(json_lines=False)
    logging.getLogger("alembic.runtime.plugins").info("setup plugin alembic.autogenerate")
    logging.getLogger("alembic.runtime.migration").info("Running upgrade  -> 0001")
    logging.getLogger("uvicorn.error").info("Waiting for application startup.")
    logging.getLogger("httpx").info('HTTP Request: GET http://omdb/?i=tt1 "HTTP/1.1 200 OK"')
    logging.getLogger("httpcore.connection").debug("connect_tcp.started")
    logging.getLogger("movies_api").info("ours")
    logging.getLogger("alembic.runtime.migration").warning("theirs, but a problem")
    lines = stdout.getvalue().splitlines()
    assert [line.split(maxsplit=3)[-1] for line in lines] == [
        "movies_api: ours",
        "alembic.runtime.migration: theirs, but a problem",
    ]


@pytest.mark.usefixtures("restored_logging")
def test_at_debug_each_omdb_request_gets_a_line(monkeypatch: pytest.MonkeyPatch) -> None:
    stdout = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stdout)
    configure(json_lines=False, level=logging.DEBUG)
    logging.getLogger("httpx").info('HTTP Request: GET http://omdb/?i=tt1 "HTTP/1.1 200 OK"')
    logging.getLogger("alembic.runtime.plugins").info("setup plugin alembic.autogenerate")
    assert len(stdout.getvalue().splitlines()) == 1
    assert "HTTP Request: GET http://omdb/?i=tt1" in stdout.getvalue()
