"""OmdbClient against scripted transports: every verdict, every retry path, the key kept secret."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import traceback
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import httpx
import pytest

from movies_api.domain.movie import MovieSummary
from movies_api.omdb.client import OmdbClient, SearchPage
from movies_api.omdb.errors import (
    OmdbError,
    OmdbInvalidKey,
    OmdbNotConfigured,
    OmdbNotFound,
    OmdbQuotaReached,
    OmdbTimeout,
    OmdbUnavailable,
)
from tests.conftest import free_port

KEY = "k3y-sup3r-s3cret"
BASE_URL = "https://omdb.test/"
MATRIX = {"Title": "The Matrix", "Year": "1999", "imdbID": "tt0133093", "Response": "True"}

Answer = httpx.Response | Exception
Handler = Callable[[httpx.Request], Coroutine[Any, Any, httpx.Response]]


def ok(payload: object = MATRIX, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=payload)


def refusal(error: str, status: int = 200) -> httpx.Response:
    return ok({"Response": "False", "Error": error}, status)


class Script:
    """A transport handler that plays ``answers`` in order (the last one forever) and
    records every request it receives."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def params(self, index: int = 0) -> dict[str, str]:
        return dict(self.requests[index].url.params)


class Sleeps(list[float]):
    """Records backoff delays instead of sleeping them."""

    async def __call__(self, delay: float) -> None:
        self.append(delay)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def client_for(handler: Handler, sleeps: Sleeps | None = None, **options: Any) -> OmdbClient:
    settings: dict[str, Any] = {"api_key": KEY, "base_url": BASE_URL, "jitter": lambda: 1.0}
    settings.update(options)
    return OmdbClient(
        transport=httpx.MockTransport(handler),
        sleep=sleeps if sleeps is not None else Sleeps(),
        **settings,
    )


# --- successes ---------------------------------------------------------------------------


async def test_get_by_id_sends_id_full_plot_json_and_key() -> None:
    script = Script(ok())
    async with client_for(script) as client:
        record = await client.get_by_id("tt0133093")
    assert record == MATRIX
    assert script.params() == {"i": "tt0133093", "plot": "full", "r": "json", "apikey": KEY}
    assert str(script.requests[0].url).startswith(BASE_URL)


async def test_get_by_title_sends_title_year_type_and_plot() -> None:
    script = Script(ok())
    async with client_for(script) as client:
        record = await client.get_by_title("The Matrix", year=1999, type="movie", plot="short")
    assert record == MATRIX
    assert script.params() == {
        "t": "The Matrix",
        "y": "1999",
        "type": "movie",
        "plot": "short",
        "r": "json",
        "apikey": KEY,
    }


async def test_get_by_title_without_year_or_type_sends_neither() -> None:
    script = Script(ok())
    async with client_for(script) as client:
        await client.get_by_title("Face/Off")
    params = script.params()
    assert params["t"] == "Face/Off"
    assert "y" not in params
    assert "type" not in params


async def test_titles_with_reserved_characters_arrive_intact() -> None:
    script = Script(ok())
    async with client_for(script) as client:
        for title in ("100% Wolf", "Mr. & Mrs. Smith", "What? #1+2", "Amélie", "8½"):
            await client.get_by_title(title)
    assert [dict(r.url.params)["t"] for r in script.requests] == [
        "100% Wolf",
        "Mr. & Mrs. Smith",
        "What? #1+2",
        "Amélie",
        "8½",
    ]


async def test_search_returns_hits_as_summaries_and_the_total() -> None:
    page = {
        "Search": [
            {
                "Title": "Love Actually",
                "Year": "2003",
                "imdbID": "tt0314331",
                "Type": "movie",
                "Poster": "https://m.media-amazon.com/images/M/love.jpg",
            },
            {
                "Title": "Crazy, Stupid, Love.",
                "Year": "2011\u20132012",
                "imdbID": "tt1570728",
                "Type": "series",
                "Poster": "N/A",
            },
        ],
        "totalResults": "42",
        "Response": "True",
    }
    script = Script(ok(page))
    async with client_for(script) as client:
        found = await client.search("love", page=3)
    assert found == SearchPage(
        items=(
            MovieSummary(
                "tt0314331",
                "Love Actually",
                2003,
                "movie",
                "https://m.media-amazon.com/images/M/love.jpg",
            ),
            MovieSummary("tt1570728", "Crazy, Stupid, Love.", 2011, "series", None),
        ),
        total_results=42,
    )
    assert found.ids == ("tt0314331", "tt1570728")
    assert script.params() == {
        "s": "love",
        "page": "3",
        "type": "movie",
        "r": "json",
        "apikey": KEY,
    }


async def test_search_with_year_and_any_type() -> None:
    script = Script(ok({"Search": [], "totalResults": "0", "Response": "True"}))
    async with client_for(script) as client:
        await client.search("night", type=None, year=1994)
    params = script.params()
    assert params["y"] == "1994"
    assert "type" not in params


async def test_search_skips_junk_entries_and_repeats() -> None:
    page = {
        "Search": [
            {"Title": "Love", "imdbID": "tt0314331"},
            {"Title": "Love again", "imdbID": "tt0314331"},
            {"Title": "bad id", "imdbID": "not-an-id"},
            {"Title": "no id"},
            {"imdbID": "tt0000001"},
            "junk",
            {"Title": "Loved", "imdbID": "tt1570728", "Poster": "javascript:alert(1)"},
        ],
        "totalResults": "many",
        "Response": "True",
    }
    async with client_for(Script(ok(page))) as client:
        found = await client.search("love")
    assert found == SearchPage(
        items=(
            MovieSummary("tt0314331", "Love", None, "movie", None),
            MovieSummary("tt1570728", "Loved", None, "movie", None),
        ),
        total_results=2,
    )


async def test_search_without_a_result_list_is_an_empty_page() -> None:
    async with client_for(Script(ok({"Response": "True"}))) as client:
        assert await client.search("love") == SearchPage(items=(), total_results=0)


@pytest.mark.parametrize("error", ["Movie not found!", "Incorrect IMDb ID."])
async def test_search_without_hits_is_an_empty_page_not_an_error(error: str) -> None:
    script = Script(refusal(error))
    async with client_for(script) as client:
        assert await client.search("zzzzqqq") == SearchPage(items=(), total_results=0)
    assert len(script.requests) == 1


# --- OMDb's verdicts: typed, final, never retried ----------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (refusal("Movie not found!"), OmdbNotFound),
        (refusal("Incorrect IMDb ID."), OmdbNotFound),
        (refusal("Error getting data."), OmdbNotFound),
        (refusal("Series or episode not found!"), OmdbNotFound),
        (refusal("Invalid API key!", 401), OmdbInvalidKey),
        (refusal("No API key provided.", 401), OmdbInvalidKey),
        (refusal("Request limit reached!", 401), OmdbQuotaReached),
        (refusal("Something went wrong."), OmdbUnavailable),
        (ok({"Response": "False"}), OmdbUnavailable),
        (httpx.Response(404, text="<html>Not Found</html>"), OmdbUnavailable),
        (ok(MATRIX, status=403), OmdbUnavailable),
    ],
)
async def test_verdicts_map_to_typed_errors_without_retry(
    answer: httpx.Response, expected: type[OmdbError], sleeps: Sleeps
) -> None:
    script = Script(answer)
    async with client_for(script, sleeps) as client:
        with pytest.raises(expected) as raised:
            await client.get_by_id("tt0133093")
    assert type(raised.value) is expected
    assert len(script.requests) == 1
    assert sleeps == []


async def test_not_found_names_what_was_asked() -> None:
    async with client_for(Script(refusal("Movie not found!"))) as client:
        with pytest.raises(OmdbNotFound, match=r"title 'Nope' \(2001\): Movie not found!"):
            await client.get_by_title("Nope", year=2001)


@pytest.mark.parametrize("api_key", [None, "", "   "])
async def test_without_a_key_nothing_is_sent(api_key: str | None) -> None:
    script = Script(ok())
    async with client_for(script, api_key=api_key) as client:
        with pytest.raises(OmdbNotConfigured):
            await client.get_by_id("tt0133093")
        with pytest.raises(OmdbNotConfigured):
            await client.get_by_title("The Matrix")
        with pytest.raises(OmdbNotConfigured):
            await client.search("love")
    assert script.requests == []


# --- transient failures: retried with backoff ---------------------------------------------


def _transient_answers(request: httpx.Request) -> list[Answer]:
    return [
        httpx.ReadTimeout("timed out", request=request),
        httpx.ConnectTimeout("timed out", request=request),
        httpx.ConnectError("connection refused", request=request),
        httpx.RemoteProtocolError("peer closed connection", request=request),
        httpx.Response(500, text="Internal Server Error"),
        httpx.Response(503, text="Service Unavailable"),
        httpx.Response(429, text="Too Many Requests"),
        refusal("Movie not found!", 502),
        httpx.Response(200, text='{"Title": "The Ma'),
        httpx.Response(200, content=b"\xff\xfe\xfa"),
        ok(["not", "an", "object"]),
        ok({"Title": "no verdict"}),
    ]


TRANSIENT_KINDS = range(len(_transient_answers(httpx.Request("GET", BASE_URL))))


@pytest.mark.parametrize("kind", TRANSIENT_KINDS)
async def test_transient_failure_is_retried_then_succeeds(kind: int, sleeps: Sleeps) -> None:
    failure = _transient_answers(httpx.Request("GET", BASE_URL))[kind]
    script = Script(failure, ok())
    async with client_for(script, sleeps) as client:
        assert await client.get_by_id("tt0133093") == MATRIX
    assert len(script.requests) == 2
    assert sleeps == [0.2]


async def test_timeouts_on_every_attempt_raise_omdb_timeout(sleeps: Sleeps) -> None:
    script = Script(httpx.ReadTimeout("timed out"))
    async with client_for(script, sleeps, attempts=3) as client:
        with pytest.raises(OmdbTimeout, match="3 attempts"):
            await client.get_by_id("tt0133093")
    assert len(script.requests) == 3
    assert len(sleeps) == 2


async def test_last_failure_decides_between_timeout_and_unavailable(sleeps: Sleeps) -> None:
    to_unavailable = Script(httpx.ReadTimeout("t"), httpx.ReadTimeout("t"), httpx.Response(500))
    to_timeout = Script(httpx.Response(500), httpx.Response(500), httpx.ReadTimeout("t"))
    async with client_for(to_unavailable, sleeps) as client:
        with pytest.raises(OmdbUnavailable, match="HTTP 500; 3 attempts"):
            await client.get_by_id("tt0133093")
    async with client_for(to_timeout, sleeps) as client:
        with pytest.raises(OmdbTimeout):
            await client.get_by_id("tt0133093")


async def test_a_hanging_omdb_costs_one_timeout_in_all_not_one_per_attempt() -> None:
    attempts = 0

    async def hang(_request: httpx.Request) -> httpx.Response:
        nonlocal attempts
        attempts += 1
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async with client_for(hang, timeout=0.2, attempts=3) as client:
        with pytest.raises(OmdbTimeout, match=r"within 0\.2 s"):
            await client.get_by_id("tt0133093")
    assert attempts == 1


async def test_no_retry_starts_that_could_not_finish_within_the_timeout(sleeps: Sleeps) -> None:
    script = Script(httpx.Response(503))
    async with client_for(script, sleeps, timeout=1, backoff_base=5, backoff_cap=5) as client:
        with pytest.raises(OmdbUnavailable, match="HTTP 503; 1 attempt"):
            await client.get_by_id("tt0133093")
    assert len(script.requests) == 1
    assert sleeps == []


async def test_waiting_for_a_slot_counts_against_the_timeout() -> None:
    entered, release = asyncio.Event(), asyncio.Event()

    async def held(_request: httpx.Request) -> httpx.Response:
        entered.set()
        await release.wait()
        return ok()

    async with client_for(held, max_in_flight=1, timeout=0.2) as client:
        holder = asyncio.create_task(client.get_by_id("tt0000001"))
        await entered.wait()  # the holder has the only slot
        with pytest.raises(OmdbTimeout):
            await client.get_by_id("tt0000002")  # never gets the slot before its time is up
        release.set()
        with pytest.raises(OmdbTimeout):
            await holder  # its own budget ran out meanwhile too


async def test_a_single_attempt_means_no_retry(sleeps: Sleeps) -> None:
    script = Script(httpx.ConnectError("refused"))
    async with client_for(script, sleeps, attempts=1) as client:
        with pytest.raises(OmdbUnavailable, match=r"connection failed: ConnectError; 1 attempt\)"):
            await client.get_by_id("tt0133093")
    assert len(script.requests) == 1
    assert sleeps == []


async def test_backoff_doubles_up_to_the_cap_scaled_by_jitter(sleeps: Sleeps) -> None:
    script = Script(httpx.Response(503))
    options = {"attempts": 5, "backoff_base": 0.5, "backoff_cap": 1.5}
    async with client_for(script, sleeps, **options) as client:
        with pytest.raises(OmdbUnavailable):
            await client.get_by_id("tt0133093")
    assert sleeps == [0.5, 1.0, 1.5, 1.5]

    halves = Sleeps()
    async with client_for(script, halves, jitter=lambda: 0.5, **options) as client:
        with pytest.raises(OmdbUnavailable):
            await client.get_by_id("tt0133093")
    assert halves == [0.25, 0.5, 0.75, 0.75]


async def test_backoff_sleeps_for_real_by_default() -> None:
    script = Script(httpx.Response(503), ok())
    client = OmdbClient(
        api_key=KEY,
        base_url=BASE_URL,
        transport=httpx.MockTransport(script),
        backoff_base=0.001,
    )
    async with client:
        assert await client.get_by_id("tt0133093") == MATRIX


async def test_a_closed_local_port_is_a_connection_failure() -> None:
    async with OmdbClient(
        api_key=KEY, base_url=f"http://127.0.0.1:{free_port()}/", attempts=2, backoff_base=0
    ) as client:
        with pytest.raises(OmdbUnavailable, match="connection failed: ConnectError"):
            await client.get_by_id("tt0133093")


# --- concurrency ----------------------------------------------------------------------------


async def test_in_flight_requests_never_exceed_max_in_flight() -> None:
    in_flight = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.005)
        in_flight -= 1
        return ok()

    async with client_for(handler, max_in_flight=3) as client:
        await asyncio.gather(*(client.get_by_id("tt0133093") for _ in range(30)))
    assert peak == 3


async def test_backoff_sleep_gives_its_slot_to_others() -> None:
    """With one slot, a request waiting to retry must not block a fresh one."""
    other_done = asyncio.Event()
    backing_off = asyncio.Event()

    async def sleep(delay: float) -> None:
        backing_off.set()
        await other_done.wait()

    script = Script(httpx.Response(500), ok())
    client = OmdbClient(
        api_key=KEY,
        base_url=BASE_URL,
        max_in_flight=1,
        transport=httpx.MockTransport(script),
        sleep=sleep,
    )
    async with client:
        retrying = asyncio.create_task(client.get_by_id("tt0000001"))
        await backing_off.wait()
        # Deadlocks (and times out) if the retrying request still held the only slot.
        assert await asyncio.wait_for(client.get_by_id("tt0000002"), 2) == MATRIX
        other_done.set()
        assert await retrying == MATRIX
    assert [dict(r.url.params)["i"] for r in script.requests] == [
        "tt0000001",
        "tt0000002",
        "tt0000001",
    ]


# --- the key stays secret ---------------------------------------------------------------


def _chain(error: BaseException | None) -> Iterator[BaseException]:
    while error is not None:
        yield error
        error = error.__cause__ or error.__context__


def _leaky_answers(request: httpx.Request) -> list[Answer]:
    """Failures whose own text holds the full URL, key included."""
    url = str(request.url)
    return [
        httpx.ConnectError(f"cannot reach {url}", request=request),
        httpx.ReadTimeout(f"no answer from {url}", request=request),
        refusal(f"Unknown key {KEY} for {url}"),
        httpx.Response(502, text=url),
    ]


@pytest.mark.parametrize("kind", range(4))
async def test_the_key_is_in_no_error_and_no_log_record(
    kind: int, caplog: pytest.LogCaptureFixture
) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.params["apikey"] == KEY
        answer = _leaky_answers(request)[kind]
        if isinstance(answer, Exception):
            raise answer
        return answer

    caplog.set_level(logging.DEBUG)
    async with client_for(handler, attempts=2) as client:
        with pytest.raises(OmdbError) as raised:
            await client.get_by_id("tt0133093")
    error = raised.value
    assert KEY not in "".join(traceback.format_exception(error))
    for link in _chain(error):  # even what a traceback would not print
        assert KEY not in str(link)
        assert KEY not in repr(link)
        assert not isinstance(link, httpx.HTTPError)
    assert caplog.records, "httpx's request log and the retry warning are expected"
    for record in caplog.records:
        assert KEY not in record.getMessage()
        assert "apikey" not in record.getMessage()


async def test_retries_are_logged_as_warnings_without_the_query_string(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="movies_api.omdb")
    async with client_for(Script(httpx.Response(503), ok())) as client:
        await client.get_by_title("The Matrix")
    [warning] = [r for r in caplog.records if r.name == "movies_api.omdb"]
    assert warning.levelno == logging.WARNING
    message = warning.getMessage()
    assert "HTTP 503" in message
    assert "attempt 2 of 3" in message
    assert "?" not in message


async def test_httpx_logs_the_url_without_the_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="httpx")
    async with client_for(Script(ok())) as client:
        await client.get_by_id("tt0133093")
    [line] = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert "i=tt0133093" in line
    assert KEY not in line


def test_repr_shows_no_key() -> None:
    client = client_for(Script(ok()))
    assert KEY not in repr(client)
    assert "configured=True" in repr(client)
    assert "configured=False" in repr(client_for(Script(ok()), api_key=None))


# --- construction and closing --------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"timeout": 0},
        {"max_in_flight": 0},
        {"attempts": 0},
        {"backoff_base": -1},
        {"backoff_cap": -0.1},
    ],
)
def test_nonsense_settings_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must"):
        OmdbClient(api_key=KEY, **options)


async def test_closing_the_client_closes_its_transport() -> None:
    class Transport(httpx.MockTransport):
        closed = False

        async def aclose(self) -> None:
            self.closed = True

    transport = Transport(Script(ok()))
    async with OmdbClient(api_key=KEY, transport=transport) as client:
        await client.get_by_id("tt0133093")
    assert transport.closed


def test_errors_and_normalise_import_without_the_http_stack() -> None:
    """The service maps OMDb errors on every request path; that must not cost an httpx import."""
    probe = (
        "import sys, movies_api.omdb, movies_api.omdb.errors, movies_api.omdb.normalise;"
        "print(sorted(m for m in ('httpx', 'starlette', 'uvicorn') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
