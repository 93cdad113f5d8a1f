"""Request metrics and access logs as plain ASGI middleware.

Starlette's ``BaseHTTPMiddleware`` would add a task and a stream per request; this
wraps ``send`` and costs a few microseconds on the hot path.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from movies_api.logs import TRACE_FIELD

access_log = logging.getLogger("movies_api.access")


class RequestMetrics:
    """The Prometheus series the service exports about its HTTP traffic."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "movies_api_http_requests",
            "HTTP requests answered",
            ("method", "route", "status"),
            registry=registry,
        )
        self.latency = Histogram(
            "movies_api_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ("method", "route"),
            registry=registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )


class ObserveRequests:
    """Counts, times and logs every HTTP request once its response has started."""

    def __init__(
        self, app: ASGIApp, *, metrics: RequestMetrics, project: str | None, access_logs: bool
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.project = project
        self.access_logs = access_logs

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self._observe(scope, status, time.perf_counter() - started)

    def _observe(self, scope: Scope, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", "unmatched")
        method = scope["method"]
        self.metrics.requests.labels(method, route, str(status)).inc()
        self.metrics.latency.labels(method, route).observe(seconds)
        if not self.access_logs:
            return
        path = scope["path"]
        if scope.get("query_string"):
            path += "?" + scope["query_string"].decode("latin-1")
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
        for name, value in scope["headers"]:
            if name == b"x-cloud-trace-context":
                trace_id = value.decode("latin-1").split("/", 1)[0].strip()
                return f"projects/{self.project}/traces/{trace_id}" if trace_id else None
        return None
