"""``movies-api omdb-sim``: a local OMDb for offline demos and tests (contract §4)."""

from __future__ import annotations

from typing import Annotated

import typer


def omdb_sim(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8001,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    latency_ms: Annotated[
        float, typer.Option(min=0, help="Milliseconds every request waits before its answer.")
    ] = 0,
    max_concurrency: Annotated[
        int | None,
        typer.Option(min=1, help="Requests processed at once; the others queue. Default: no cap."),
    ] = None,
    error_rate: Annotated[
        float, typer.Option(min=0, max=1, help="Share of requests answered 500 or a broken body.")
    ] = 0,
    hang_rate: Annotated[
        float, typer.Option(min=0, max=1, help="Share of requests never answered.")
    ] = 0,
    quota: Annotated[
        int | None,
        typer.Option(min=0, help="Requests per API key before 'Request limit reached!'."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the error and hang dice.")] = 0,
) -> None:
    """Serve OMDb's wire protocol from a bundled catalogue; any key but 'invalid' works."""
    # Imported here: registering the command must not load Starlette and uvicorn.
    from movies_api.cli.main import startup_failures
    from movies_api.omdb.simulator.app import SimulatorConfig, run
    from movies_api.startup import listening_socket

    config = SimulatorConfig(
        latency_ms=latency_ms,
        max_concurrency=max_concurrency,
        error_rate=error_rate,
        hang_rate=hang_rate,
        quota=quota,
        random_seed=seed,
    )
    with startup_failures():
        listener = listening_socket(host, port, chosen_by="--port")
    typer.echo(f"OMDb simulator listening on http://{host}:{port}/ (Ctrl+C to stop)")
    run(config, listener)
