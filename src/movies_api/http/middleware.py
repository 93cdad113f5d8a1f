"""Request metrics and access logs as plain ASGI middleware.

Starlette's ``BaseHTTPMiddleware`` would add a task and a stream per request; this
wraps ``send`` and costs a few microseconds on the hot path.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from movies_api.http.metrics import RequestStats
from movies_api.http.problems import PROBLEM_JSON, problem_body
from movies_api.logs import TRACE_FIELD

access_log = logging.getLogger("movies_api.access")
# A key sent in the query string (by mistake: the API reads keys from headers) must not be
# written to the logs with the rest of the URL.
_SECRET_QUERY = re.compile(r"(?<![^&])(api_?key|key|token|access_token)=[^&]*", re.I)


class ObserveRequests:
    """Counts, times and logs every HTTP request once its response has started."""

    def __init__(
        self, app: ASGIApp, *, stats: RequestStats, project: str | None, access_logs: bool
    ) -> None:
        self.app = app
        self.stats = stats
        self.project = project
        self.access_logs = access_logs

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        responded = False

        async def send_and_note(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status, responded = message["status"], True
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except asyncio.CancelledError:
            # Shutdown cancels what still runs after its grace period (contract §2), rolling
            # it back; answer that as a 503 problem, not uvicorn's bare 500 and a traceback.
            if responded:
                raise
            status = 503
            await _send_cancelled(send)
        finally:
            self._observe(scope, status, time.perf_counter() - started)

    def _observe(self, scope: Scope, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", "unmatched")
        method = scope["method"]
        self.stats.observe(method, route, status, seconds)
        if not self.access_logs:
            return
        path = scope["path"]
        if scope.get("query_string"):
            path += "?" + _SECRET_QUERY.sub(r"\1=***", scope["query_string"].decode("latin-1"))
        extra: dict[str, Any] = {
            "httpRequest": {
                "requestMethod": method,
                "requestUrl": path,
                "status": status,
                "latency": f"{seconds:.6f}s",
            }
        }
        trace = self._trace(scope)
        if trace:
            extra[TRACE_FIELD] = trace
        access_log.info("%s %s %d %.1fms", method, path, status, seconds * 1000, extra=extra)

    def _trace(self, scope: Scope) -> str | None:
        if self.project is None:
            return None
        context = scope_header(scope, b"x-cloud-trace-context")
        trace_id = context.split("/", 1)[0].strip() if context else ""
        return f"projects/{self.project}/traces/{trace_id}" if trace_id else None


def scope_header(scope: Scope, name: bytes) -> str | None:
    """The first header called ``name`` (lower case), as Starlette's ``Headers.get`` finds it,
    read straight from the scope where building a ``Request`` would cost more."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _send_cancelled(send: Send) -> None:
    body = problem_body(503, "the server is shutting down; the request was cancelled")
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", b"1"),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})
