"""The outermost ASGI layer: what every response carries and what a request body may be.

Pure ASGI (no ``BaseHTTPMiddleware``): it wraps ``send`` to add headers, and wraps
``receive`` only for requests that may carry a body, so cached reads pay a dictionary
look-up and nothing more.

- Every response gets ``X-Content-Type-Options: nosniff``; every error (4xx/5xx) gets
  ``Cache-Control: no-store``, so a shared cache never keeps a 503 or a 429 (contract §2).
- ``HEAD`` is answered wherever ``GET`` is: the request goes on as ``GET`` and the body is
  dropped, so headers (``Content-Length``, ``ETag``) are exactly those ``GET`` sends.
- A request body is read only when a route asks for it (``POST /movies`` reads it after the
  key and the rate limit, contract §2), and then it must be ``application/json`` (else 415)
  and at most ``MAX_BODY_BYTES`` (else 413, decided from ``Content-Length`` before a byte is
  read, or as soon as a streamed body passes the bound). Nothing beyond the bound is kept,
  and the 413 closes the connection, so the rest of an oversized upload is never read.
"""

from __future__ import annotations

from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from movies_api.http.problems import Problem

MAX_BODY_BYTES: Final = 64 * 1024
NOSNIFF: Final = (b"x-content-type-options", b"nosniff")
NO_STORE: Final = (b"cache-control", b"no-store")
_BODILESS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
_JSON: Final = "application/json"


class EdgeGuard:
    """Headers every response needs and the bounds every request body keeps."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        if head:
            # A copy: the server keeps its own scope, and reads "HEAD" there to send no body.
            scope = {**scope, "method": "GET"}
        if scope["method"] not in _BODILESS:
            receive = BoundedBody(scope, receive, self.max_body_bytes)

        async def send_hardened(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                if NOSNIFF[0] not in present:  # a route may have set it already
                    headers.append(NOSNIFF)
                if message["status"] >= 400 and NO_STORE[0] not in present:
                    headers.append(NO_STORE)
                message = {**message, "headers": headers}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, send_hardened)


class BoundedBody:
    """A ``receive`` that checks the body's type and size the first time the app reads it."""

    def __init__(self, scope: Scope, receive: Receive, limit: int) -> None:
        self._scope = scope
        self._receive = receive
        self._limit = limit
        self._checked = False
        self._received = 0

    async def __call__(self) -> Message:
        if not self._checked:
            self._check_head()
            self._checked = True
        message = await self._receive()
        if message["type"] == "http.request":
            self._received += len(message.get("body", b""))
            if self._received > self._limit:
                raise self._too_large()
        return message

    def _check_head(self) -> None:
        content_type = content_length = None
        for name, value in self._scope["headers"]:
            if name == b"content-type":
                content_type = value.decode("latin-1")
            elif name == b"content-length":
                content_length = value
        media_type = (content_type or "").split(";", 1)[0].strip().lower()
        if media_type != _JSON:
            raise Problem(415, f"send the body as {_JSON}", headers={"Accept-Post": _JSON})
        if (
            content_length is not None
            and content_length.isdigit()
            and (int(content_length) > self._limit)
        ):
            raise self._too_large()

    def _too_large(self) -> Problem:
        # Closing is what keeps the rest of the upload unread: on a kept-alive connection
        # the server would have to read (and drop) all of it to find the next request.
        return Problem(
            413,
            f"the request body is over {self._limit // 1024} KiB",
            headers={"Connection": "close"},
        )
