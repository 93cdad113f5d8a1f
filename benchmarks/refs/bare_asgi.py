"""The ceiling: a bare ASGI function answering every request with precomputed bytes.

Served by uvicorn the way the service is (uvloop, httptools, one worker, no access log),
so the gap between this and the service is what the framework and the service add.

    python benchmarks/refs/bare_asgi.py BODY_FILE PORT
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import uvicorn

BODY = Path(sys.argv[1]).read_bytes() if __name__ == "__main__" else b"{}"
START: dict[str, Any] = {
    "type": "http.response.start",
    "status": 200,
    "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(BODY)).encode()),
    ],
}
BODY_MESSAGE: dict[str, Any] = {"type": "http.response.body", "body": BODY}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send(START)
    await send(BODY_MESSAGE)


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
