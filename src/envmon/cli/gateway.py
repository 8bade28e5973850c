"""``envmon gateway``: the HJ 212 TCP gateway on its own."""

from __future__ import annotations

import asyncio

import typer

from envmon.bootstrap import open_database
from envmon.cli.common import console, handle_errors
from envmon.config import get_settings
from envmon.ingest.bus import InProcessBus
from envmon.ingest.gateway import Gateway, GatewayConfig


@handle_errors
def gateway(
    host: str = typer.Option("127.0.0.1", help="address to bind (0.0.0.0 for devices)"),
    port: int = typer.Option(9212, help="TCP port devices connect to"),
    batch_ms: float = typer.Option(5.0, min=0.0, help="group-commit window (ms)"),
    close_on_auth_failure: bool = typer.Option(
        False, help="close a connection that sends an unknown MN or wrong password"
    ),
) -> None:
    """Receive HJ 212 uploads; acknowledge each frame only after it is committed."""
    _engine, factory = open_database(get_settings())
    config = GatewayConfig(
        host=host,
        port=port,
        batch_window_s=batch_ms / 1000,
        close_on_auth_failure=close_on_auth_failure,
    )

    async def run() -> None:
        server = Gateway(factory, config, InProcessBus())
        await server.start()
        console.print(f"HJ 212 gateway on {host}:{server.port}", markup=False)
        await server.serve_forever()

    asyncio.run(run())
