"""The framework floor: one FastAPI route returning the precomputed bytes as a Response.

No query parameters, no dependencies, no middleware of its own: the least a FastAPI
service can do per request. Served like the service (uvloop, httptools, one worker,
no access log).

    python benchmarks/refs/fastapi_floor.py BODY_FILE PORT
"""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from starlette.responses import Response

BODY = Path(sys.argv[1]).read_bytes() if __name__ == "__main__" else b"{}"

app = FastAPI()


@app.get("/movies")
async def movies() -> Response:
    return Response(BODY, media_type="application/json")


if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[2]),
        loop="uvloop",
        http="httptools",
        ws="none",
        access_log=False,
        log_level="warning",
        server_header=False,
    )
