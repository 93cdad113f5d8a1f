"""The hardened edge of a real ``movies-api serve`` process, attacked over raw sockets
(contract §2, issue 10): oversized bodies and heads, idle and trickling connections, aborted
uploads, forged log lines, Host-built redirects, forged ``X-Forwarded-For`` lines.

Nothing here races a clock: a test waits for the server to answer or hang up, with
``WAIT_SECONDS`` only as the bound that turns a real hang into a failure.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.live_service import Simulator, serve
from tests.processes import Process, start_simulator, wait_until

WAIT_SECONDS = 120.0
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    process = start_simulator(tmp_path_factory.mktemp("omdb-sim"))
    yield Simulator(process)
    process.terminate()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, simulator: Simulator) -> Iterator[Process]:
    """One server trusting ``X-Forwarded-For`` (as on Cloud Run): each test names its own
    client address, so adds refused by one test never use up another's budget."""
    home = tmp_path_factory.mktemp("serve")
    process = serve(
        home,
        f"sqlite:///{home}/movies.db",
        simulator,
        env={
            "MOVIES_TRUST_FORWARDED_FOR": "true",
            "MOVIES_ADD_RATE_LIMIT": "2/minute",
            "MOVIES_OMDB_TIMEOUT": "2",
        },
    )
    yield process
    process.terminate()


@pytest.fixture
def omdb(simulator: Simulator) -> Iterator[Simulator]:
    """The module's simulator, its knobs put back after the test."""
    yield simulator
    simulator.restore()


def connect(server: Process) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=WAIT_SECONDS)
    connection.settimeout(WAIT_SECONDS)
    return connection


def read_until_closed(connection: socket.socket) -> bytes:
    """Everything the server sends until it hangs up (a reset counts as hanging up)."""
    received = b""
    with connection:
        while True:
            try:
                chunk = connection.recv(65536)
            except ConnectionResetError:
                return received
            if not chunk:
                return received
            received += chunk


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def send_ignoring_hangup(connection: socket.socket, data: bytes) -> bool:
    """Send ``data``; False once the server has closed the connection."""
    try:
        connection.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        return False
    return True


def rss_bytes(process: Process) -> int:
    status = Path(f"/proc/{process.popen.pid}/status").read_text()
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    assert found is not None
    return int(found.group(1)) * 1024


def statuses_counted(server: Process) -> list[str]:
    text = httpx.get(server.url + "/metrics", timeout=WAIT_SECONDS).text
    return re.findall(r'^movies_api_http_requests_total\{.*status="(\d+)"\}', text, re.MULTILINE)


def still_serves(server: Process) -> bool:
    return httpx.get(server.url + "/healthz", timeout=WAIT_SECONDS).status_code == 200


def post_head(length: int | None, address: str, content_type: str = "application/json") -> bytes:
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    return (
        f"POST /movies HTTP/1.1\r\nHost: movies\r\nContent-Type: {content_type}\r\n"
        f"X-Forwarded-For: {address}\r\n{framing}\r\n\r\n"
    ).encode()


# --- bodies -----------------------------------------------------------------------------------


def test_a_declared_gigabyte_is_refused_413_before_a_byte_of_it_is_sent(server: Process) -> None:
    connection = connect(server)
    connection.sendall(post_head(1024 * MIB, "198.51.100.1"))
    response = read_until_closed(connection)  # answered and closed with no body sent at all
    assert status_of(response) == 413
    assert b"connection: close" in response.lower()
    assert still_serves(server)


def test_a_streamed_upload_is_cut_off_at_the_bound_and_never_held(server: Process) -> None:
    before = rss_bytes(server)
    connection = connect(server)
    connection.sendall(post_head(None, "198.51.100.2"))
    chunk = b"%x\r\n%s\r\n" % (MIB, b"x" * MIB)
    sent = 0
    while sent < 256 and send_ignoring_hangup(connection, chunk):
        sent += 1
    response = read_until_closed(connection)
    assert status_of(response) == 413
    assert sent < 256  # the server hung up long before the 256 MiB were through
    assert rss_bytes(server) - before < 32 * MIB


def test_a_form_post_is_415(server: Process) -> None:
    response = httpx.post(
        server.url + "/movies",
        data={"title": "The Matrix"},
        headers={"X-Forwarded-For": "198.51.100.3"},
        timeout=WAIT_SECONDS,
    )
    assert response.status_code == 415
    assert response.headers["cache-control"] == "no-store"


def test_an_aborted_upload_is_no_5xx_and_no_error_in_the_log(server: Process) -> None:
    before = server.output().count("POST /movies 499")
    connection = connect(server)
    connection.sendall(post_head(5000, "198.51.100.4") + b'{"title": "The Ma')
    connection.close()  # before the app reads the body, or while it waits for the rest
    wait_until(
        lambda: server.output().count("POST /movies 499") > before,
        what="the 499 access line",
        process=server,
    )
    assert not [status for status in statuses_counted(server) if status.startswith("5")]
    output = server.output()
    assert "Traceback" not in output
    assert " ERROR " not in output
    assert output.count("POST /movies 499") == before + 1
    assert still_serves(server)


# --- heads ----------------------------------------------------------------------------------


def test_a_flood_of_headers_is_431_and_the_server_keeps_serving(server: Process) -> None:
    connection = connect(server)
    fields = b"".join(b"X-Flood-%d: %s\r\n" % (i, b"a" * 64) for i in range(20_000))
    send_ignoring_hangup(connection, b"GET /healthz HTTP/1.1\r\nHost: m\r\n" + fields)
    response = read_until_closed(connection)
    assert response == b"" or status_of(response) == 431  # 431, or at least hung up
    assert still_serves(server)


def test_one_endless_header_value_is_431(server: Process) -> None:
    connection = connect(server)
    connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: m\r\nX-Endless: ")
    for _ in range(1024):
        if not send_ignoring_hangup(connection, b"a" * 1024):
            break
    assert status_of(read_until_closed(connection)) == 431


def test_headers_just_under_the_bound_are_served(server: Process) -> None:
    response = httpx.get(
        server.url + "/healthz", headers={"X-Padding": "a" * 12_000}, timeout=WAIT_SECONDS
    )
    assert response.status_code == 200


def test_a_very_long_url_is_a_414_problem(server: Process) -> None:
    connection = connect(server)
    connection.sendall(b"GET /movies?q=" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: m\r\n\r\n")
    response = read_until_closed(connection)
    assert status_of(response) == 414
    assert b"application/problem+json" in response


# --- slow and idle connections --------------------------------------------------------------


def test_a_connection_that_sends_nothing_is_closed(server: Process) -> None:
    assert read_until_closed(connect(server)) == b""


def test_a_kept_alive_connection_left_idle_is_closed(server: Process) -> None:
    connection = connect(server)
    connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: m\r\n\r\n")
    assert status_of(read_until_closed(connection)) == 200


def test_a_head_trickled_a_line_at_a_time_gets_408_and_is_closed(server: Process) -> None:
    connection = connect(server)
    connection.sendall(b"GET /healthz HTTP/1.1\r\n")
    connection.settimeout(1)
    response = b""
    hang = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < hang:  # one header line a second, until the server hangs up
        if not send_ignoring_hangup(connection, b"X-Slow: a\r\n"):
            break
        try:
            response = connection.recv(65536)
        except TimeoutError:
            continue
        break
    connection.settimeout(WAIT_SECONDS)
    response += read_until_closed(connection)
    assert status_of(response) == 408


def test_a_body_trickled_a_byte_at_a_time_is_cut_off_without_a_5xx(server: Process) -> None:
    connection = connect(server)
    connection.sendall(post_head(1000, "198.51.100.5") + b'{"title": ')
    connection.settimeout(1)
    hang = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < hang:  # a byte a second, until the server hangs up
        if not send_ignoring_hangup(connection, b" "):
            break
        try:
            if connection.recv(65536) == b"":
                break
        except TimeoutError:
            continue
        except ConnectionResetError:
            break
    connection.close()
    wait_until(
        lambda: "POST /movies 499" in server.output() or "POST /movies 408" in server.output(),
        what="the access line of the cut-off upload",
        process=server,
    )
    assert not [status for status in statuses_counted(server) if status.startswith("5")]
    assert still_serves(server)


def test_slow_clients_do_not_stop_others(server: Process) -> None:
    idle = [connect(server) for _ in range(50)]
    try:
        assert still_serves(server)
    finally:
        for connection in idle:
            connection.close()


# --- what reaches the log and the links ----------------------------------------------------


def test_a_newline_in_the_path_cannot_forge_a_log_line(server: Process) -> None:
    connection = connect(server)
    connection.sendall(
        b"GET /movies/tt1%0A2026-01-01%20INFO%20forged%1B[2J HTTP/1.1\r\nHost: m\r\n"
        b"Connection: close\r\n\r\n"
    )
    assert status_of(read_until_closed(connection)) == 422
    wait_until(lambda: "forged" in server.output(), what="the access line", process=server)
    (line,) = [line for line in server.output().splitlines() if "forged" in line]
    assert "GET /movies/tt1\\n2026-01-01 INFO forged\\x1b[2J 422" in line
    assert "\x1b" not in server.output()


def test_a_trailing_slash_is_not_redirected_to_the_host_header(server: Process) -> None:
    connection = connect(server)
    connection.sendall(b"GET /movies/ HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
    response = read_until_closed(connection)
    assert status_of(response) == 404
    assert b"evil.example" not in response
    assert b"\r\nlocation:" not in response.lower()


def test_head_over_the_wire_has_gets_headers_and_no_body(server: Process) -> None:
    got = httpx.get(server.url + "/healthz", timeout=WAIT_SECONDS)
    head = httpx.head(server.url + "/healthz", timeout=WAIT_SECONDS)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(got.content))
    assert head.headers["x-content-type-options"] == "nosniff"
    assert still_serves(server)


def test_options_lists_every_method_of_the_path(server: Process) -> None:
    response = httpx.options(server.url + "/movies", timeout=WAIT_SECONDS)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, POST"


def test_only_the_last_forwarded_for_entry_names_the_client(server: Process) -> None:
    # Each add asks for a title OMDb lacks (404, nothing stored); the budget is 2 a minute.
    statuses = []
    for forged in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        connection = connect(server)
        body = b'{"title": "No Such Film"}'
        connection.sendall(
            b"POST /movies HTTP/1.1\r\nHost: m\r\nContent-Type: application/json\r\n"
            b"X-Forwarded-For: " + forged.encode() + b"\r\n"
            b"X-Forwarded-For: 203.0.113.77\r\nConnection: close\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        statuses.append(status_of(read_until_closed(connection)))
    assert statuses == [404, 404, 429]


def test_a_hanging_omdb_is_one_attempt_within_the_timeout_then_504(
    server: Process, omdb: Simulator
) -> None:
    omdb.configure(hang_rate=1)
    before = omdb.requests()
    response = httpx.post(
        server.url + "/movies",
        json={"title": "The Matrix"},
        headers={"X-Forwarded-For": "198.51.100.9"},
        timeout=WAIT_SECONDS,
    )
    assert response.status_code == 504
    assert response.json()["type"] == "/problems/omdb-timeout"
    # The 2 s budget went to the first attempt: no retry was started after it ran out.
    assert omdb.requests() - before == 1
