"""Operational routes: liveness, readiness with the seed's progress, Prometheus metrics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import orjson
from fastapi import APIRouter
from starlette.responses import Response

from movies_api.http.conditional import JSON
from movies_api.http.metrics import RequestStats, exposition
from movies_api.http.problems import Problem
from movies_api.http.schemas import Health, ProblemOut, Ready

_HEALTHY = orjson.dumps({"status": "ok"})


def build_router(
    *,
    ping: Callable[[], Awaitable[None]],
    seed_status: Callable[[], Mapping[str, object]],
    stats: RequestStats,
) -> APIRouter:
    """Routes that tell Cloud Run and operators how the process is doing."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", response_model=Health, summary="The process is up")
    async def healthz() -> Response:
        return Response(_HEALTHY, media_type=JSON)

    @router.get(
        "/readyz",
        response_model=Ready,
        summary="The database answers; the seed's state",
        responses={503: {"model": ProblemOut, "content": {"application/problem+json": {}}}},
    )
    async def readyz() -> Response:
        seed = dict(seed_status())
        try:
            await ping()
        except Exception:
            raise Problem(
                503, "the database does not answer", kind="not-ready", seed=seed
            ) from None
        return Response(orjson.dumps({"status": "ready", "seed": seed}), media_type=JSON)

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        body, content_type = exposition(stats)
        return Response(body, headers={"Content-Type": content_type})

    return router
