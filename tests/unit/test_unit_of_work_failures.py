"""A database that fails mid-request is ``StorageUnavailable`` (a 503), never a raw driver
error (a 500): also when the connection dies under the rollback that closing a unit of work
runs (issue 10 row 11)."""

from __future__ import annotations

import logging
from typing import Any, cast

import pytest
from sqlalchemy.exc import InterfaceError, OperationalError, PendingRollbackError

from movies_api.db.engine import Sessions
from movies_api.db.unit_of_work import SqlUnitOfWork
from movies_api.logs import Throttle
from movies_api.services.errors import MovieNotFound, StorageUnavailable
from tests.unit.app_with_fakes import client, make_app


def dropped() -> InterfaceError:
    return InterfaceError("ROLLBACK", {}, ConnectionResetError("connection was closed"))


class DeadSession:
    """A session whose server went away: closing it (its rollback) fails."""

    closed = False

    async def close(self) -> None:
        self.closed = True
        raise dropped()


class OneSession:
    def __init__(self, session: Any = None, *, refuse: Exception | None = None) -> None:
        self.session = session or DeadSession()
        self.refuse = refuse
        self.stretches = None

    async def open(self) -> Any:
        if self.refuse is not None:
            raise self.refuse
        return self.session


def unit_of_work(sessions: OneSession) -> SqlUnitOfWork:
    return SqlUnitOfWork(cast(Sessions, sessions))


async def test_work_that_finished_is_not_undone_by_a_failed_close() -> None:
    sessions = OneSession()
    async with unit_of_work(sessions):
        pass
    assert sessions.session.closed


@pytest.mark.parametrize(
    "failure",
    [
        OperationalError("SELECT 1", {}, OSError("disk I/O error")),
        PendingRollbackError("Can't reconnect until invalid transaction is rolled back"),
        ConnectionRefusedError(111, "Connection refused"),
    ],
)
async def test_a_storage_failure_inside_is_storage_unavailable_even_if_close_fails(
    failure: Exception,
) -> None:
    with pytest.raises(StorageUnavailable) as raised:
        async with unit_of_work(OneSession()):
            raise failure
    assert raised.value.__cause__ is failure


async def test_a_service_error_inside_stays_itself_when_close_fails() -> None:
    with pytest.raises(MovieNotFound):
        async with unit_of_work(OneSession()):
            raise MovieNotFound("no movie with id tt0000001")


@pytest.mark.parametrize("refusal", [dropped(), TimeoutError("pool"), ConnectionRefusedError()])
async def test_a_connection_that_cannot_be_opened_is_storage_unavailable(
    refusal: Exception,
) -> None:
    with pytest.raises(StorageUnavailable):
        async with unit_of_work(OneSession(refuse=refusal)):
            pass


# --- what an outage writes to the log ---------------------------------------------------------


def test_a_throttle_lets_one_line_a_period_through_and_counts_the_rest() -> None:
    now = [0.0]
    throttle = Throttle(10, clock=lambda: now[0])
    assert throttle.allow("db") == 0
    assert [throttle.allow("db") for _ in range(5)] == [None] * 5
    assert throttle.allow("redis") == 0  # another kind has its own budget
    now[0] = 10.0
    assert throttle.allow("db") == 5
    assert throttle.allow("db") is None


class FailingRepositories:
    """A unit of work whose database is gone: every unit fails as the real one does."""

    async def __aenter__(self) -> FailingRepositories:
        raise StorageUnavailable("the database is unavailable") from OperationalError(
            "SELECT secret_column", {"p": "s3cret"}, ConnectionRefusedError("refused")
        )

    async def __aexit__(self, *_exc: object) -> None:
        return None


async def test_an_outage_logs_its_cause_once_not_once_per_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, container = make_app()
    container.catalogue._uow = FailingRepositories  # type: ignore[assignment]
    with caplog.at_level(logging.WARNING, "movies_api.http"):
        async with client(app) as http:
            statuses = [(await http.get("/movies/tt0133093")).status_code for _ in range(20)]
    assert set(statuses) == {503}
    (line,) = [r.getMessage() for r in caplog.records if r.name == "movies_api.http"]
    assert "ConnectionRefusedError: refused" in line
    assert "s3cret" not in line
    assert "secret_column" not in line
