"""``envmon gateway``: the HJ 212 TCP gateway on its own."""

from __future__ import annotations

import asyncio
import multiprocessing
import signal

import typer

from envmon.bootstrap import open_database
from envmon.cli.common import console, handle_errors
from envmon.config import get_settings
from envmon.errors import ConfigurationError
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
    workers: int = typer.Option(
        1, min=1, max=64, help="gateway processes sharing the port"
    ),
) -> None:
    """Receive HJ 212 uploads; acknowledge each frame only after it is committed."""
    # Migrate (embedded) or check the schema once, before any worker starts.
    engine, _factory = open_database(get_settings())
    if workers > 1 and engine.dialect.name != "postgresql":
        msg = (
            "--workers > 1 needs PostgreSQL: SQLite has a single writer, so several "
            "gateway processes would only wait for each other"
        )
        raise ConfigurationError(msg)
    config = GatewayConfig(
        host=host,
        port=port,
        batch_window_s=batch_ms / 1000,
        close_on_auth_failure=close_on_auth_failure,
        reuse_port=workers > 1,
    )
    if workers == 1:
        serve_gateway(config)
        return
    # Stateless gateways scale out: the kernel spreads connections over the processes.
    context = multiprocessing.get_context("spawn")
    children = [
        context.Process(target=serve_gateway, args=(config,)) for _ in range(workers)
    ]
    for child in children:
        child.start()

    def stop(_signal: int, _frame: object) -> None:
        for child in children:
            child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    console.print(
        f"HJ 212 gateway on {host}:{port} ({workers} processes)", markup=False
    )
    for child in children:
        child.join()


def serve_gateway(config: GatewayConfig) -> None:
    """Runs one gateway process until it is stopped."""
    _engine, factory = open_database(get_settings(), auto_migrate=False)

    async def run() -> None:
        server = Gateway(factory, config, InProcessBus())
        await server.start()
        console.print(f"HJ 212 gateway on {config.host}:{server.port}", markup=False)
        await server.serve_forever()

    asyncio.run(run())
