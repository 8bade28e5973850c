"""``envmon serve``: run the API (and, in later versions, the gateway and workers)."""

from __future__ import annotations

import typer
import uvicorn

from envmon.api import create_app
from envmon.bootstrap import open_database
from envmon.cli.common import console, handle_errors
from envmon.config import get_settings


@handle_errors
def serve(
    host: str | None = typer.Option(
        None, help="address to bind (default ENVMON_API_HOST)"
    ),
    port: int | None = typer.Option(None, help="port (default ENVMON_API_PORT)"),
) -> None:
    """Serve the HTTP API and the start page."""
    settings = get_settings()
    engine, _factory = open_database(settings)
    app = create_app(settings, engine, publish_tree_heads=True)
    bind_host, bind_port = host or settings.api_host, port or settings.api_port
    console.print(
        f"envmon API on http://{bind_host}:{bind_port}/  (docs: /docs)", markup=False
    )
    uvicorn.run(
        app, host=bind_host, port=bind_port, log_level=settings.log_level.lower()
    )
