"""Operational routes: liveness, readiness with the seed's progress, Prometheus metrics."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Mapping

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from movies_api.http import openapi as doc
from movies_api.http.auth import presented_key, unauthorised
from movies_api.http.conditional import JSON
from movies_api.http.metrics import RequestStats, exposition
from movies_api.http.problems import Problem
from movies_api.http.schemas import Health, Ready

_HEALTHY = orjson.dumps({"status": "ok"})


def build_router(
    *,
    ping: Callable[[], Awaitable[None]],
    seed_status: Callable[[], Mapping[str, object]],
    stats: RequestStats,
    metrics_token: str | None = None,
) -> APIRouter:
    """Routes that tell Cloud Run and operators how the process is doing.

    ``metrics_token`` guards ``/metrics`` on a public deployment, where request counts by
    route and status would otherwise tell anyone how the service is used and probed.
    """
    expected = metrics_token.encode() if metrics_token else None
    router = APIRouter(tags=["operations"])

    @router.get(
        "/healthz",
        response_model=Health,
        summary="The process is up",
        responses=doc.success(
            200, "Always, while the process runs (also while it seeds).", example={"status": "ok"}
        ),
    )
    async def healthz() -> Response:
        return Response(_HEALTHY, media_type=JSON)

    @router.get(
        "/readyz",
        response_model=Ready,
        summary="The database answers; the seed's state",
        responses={
            **doc.success(
                200,
                "The database answers; `seed` says how far seeding is.",
                example={
                    "status": "ready",
                    "seed": {"state": "done", "target": 100, "fetched": 100, "attempts": 1},
                },
            ),
            **doc.problem(503, "The database does not answer; `seed` as in a 200.", "not-ready"),
        },
    )
    async def readyz() -> Response:
        seed = dict(seed_status())
        try:
            await ping()
        except Exception as error:
            # The kind of failure (refused, timed out, disk I/O…) tells a dead server from a
            # full disk; its text, which may name hosts, stays in the server's log.
            cause = getattr(error, "orig", None) or error
            raise Problem(
                503,
                f"the database does not answer ({type(cause).__name__})",
                kind="not-ready",
                seed=seed,
                cause=type(cause).__name__,
            ) from None
        return Response(orjson.dumps({"status": "ready", "seed": seed}), media_type=JSON)

    @router.get(
        "/metrics",
        summary="Prometheus metrics",
        description="Open unless the service has MOVIES_METRICS_TOKEN set; then send "
        "`Authorization: Bearer <token>`.",
        response_class=Response,
        responses={
            200: {
                "description": "The request counts and latencies, in Prometheus text format.",
                "content": {
                    "text/plain": {
                        "example": 'movies_api_http_requests_total{method="GET",'
                        'route="/movies",status="200"} 9.0\n'
                    }
                },
            },
            **doc.problem(
                401,
                "`MOVIES_METRICS_TOKEN` is set and the request does not carry it as "
                "`Authorization: Bearer <token>`.",
                "unauthorised",
                headers={"WWW-Authenticate": doc.WWW_AUTHENTICATE},
            ),
        },
    )
    async def metrics(request: Request) -> Response:
        if expected is not None and not hmac.compare_digest(
            presented_key(request).encode(), expected
        ):
            raise unauthorised("the metrics token is not valid")
        body, content_type = exposition(stats)
        return Response(body, headers={"Content-Type": content_type})

    return router
