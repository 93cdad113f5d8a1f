"""Limits on what one connection may cost, enforced where requests are parsed.

uvicorn's httptools protocol reads request heads of any size (a 33 MB head was answered
200) and has no deadline for a request to arrive: a connection that sends nothing, or a
byte now and then, stays open for ever and holds a file descriptor (issue 10). These limits
belong below the ASGI app, since the app only sees a request once its head is complete;
this protocol adds them to uvicorn's own, and ``movies-api serve`` runs with it:

- the request line's target is at most ``MAX_TARGET_BYTES`` (else 414), the header
  fields at most ``MAX_HEADER_BYTES`` in all (else 431), both answered as problems and the
  connection closed, without keeping more of the head than that;
- a request must arrive whole (head and body) within ``REQUEST_SECONDS`` of the moment the
  server started waiting for it; a connection that sent nothing by then is closed, one that
  sent part of a head gets a 408 first, and one whose app already runs sees its client go
  away (the app's ``receive`` reports a disconnect). uvicorn's ``timeout_keep_alive``
  still closes a kept-alive connection idle after a response sooner.
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from movies_api.http.problems import PROBLEM_JSON, problem_body

if TYPE_CHECKING:
    from uvicorn.config import Config
    from uvicorn.server import ServerState

MAX_HEADER_BYTES: Final = 16 * 1024
# Longer than any URL a client of this API builds; shorter ones reach the app and get
# its own answer (a 422 names the parameter), as a client fuzzing the API expects.
MAX_TARGET_BYTES: Final = 64 * 1024
# A head still incomplete after this many bytes can hold no acceptable request: a header
# value being received is not yet counted field by field (httptools holds it until whole).
MAX_HEAD_BYTES: Final = MAX_HEADER_BYTES + MAX_TARGET_BYTES + 4096
REQUEST_SECONDS: Final = 10.0
KEEP_ALIVE_SECONDS: Final = 5


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with bounded request heads and a deadline per request."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._reading_head = True
        self._head_bytes = 0  # raw bytes of the head being received
        self._header_bytes = 0  # names and values of its complete header fields
        self._refused = False
        self._deadline: asyncio.TimerHandle | None = None

    # -- connection events --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._reading_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._reading_head and not self._refused and self._head_bytes > MAX_HEAD_BYTES:
            self._refuse(431, f"the request's header fields are over {MAX_HEADER_BYTES} bytes")

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and not self.pipeline:
            self._arm()  # the next request has REQUEST_SECONDS to arrive

    # -- parser callbacks ---------------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self._refused:
            return
        super().on_message_begin()
        self._header_bytes = 0

    def on_url(self, url: bytes) -> None:
        if self._refused:
            return
        super().on_url(url)
        if len(self.url) > MAX_TARGET_BYTES:
            self._refuse(414, f"the request target is over {MAX_TARGET_BYTES} bytes")

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._refused:
            return
        self._header_bytes += len(name) + len(value)
        if self._header_bytes > MAX_HEADER_BYTES:
            self._refuse(431, f"the request's header fields are over {MAX_HEADER_BYTES} bytes")
            return
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self._refused:
            return
        self._reading_head = False
        self._head_bytes = 0
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refused:
            return
        super().on_message_complete()
        self._disarm()  # all of it arrived; the app may take its time answering
        self._reading_head = True

    # -- limits -------------------------------------------------------------------------------

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(REQUEST_SECONDS, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self._reading_head and self._head_bytes:
            self._refuse(408, f"the request did not arrive within {REQUEST_SECONDS:g} s")
        else:
            self.transport.close()

    def _refuse(self, status: int, detail: str) -> None:
        """Answer ``status`` as a problem (unless a response is under way) and hang up."""
        self._refused = True
        self._disarm()
        if self.cycle is None or self.cycle.response_complete:
            self.transport.write(_problem_response(status, detail))
        self.transport.close()


def _problem_response(status: int, detail: str) -> bytes:
    body = problem_body(status, detail)
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        f"content-type: {PROBLEM_JSON}\r\n"
        f"content-length: {len(body)}\r\n"
        "x-content-type-options: nosniff\r\n"
        "cache-control: no-store\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body
