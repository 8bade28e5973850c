"""``envmon serve``: the API and, in embedded mode, the HJ 212 gateway in one process."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, Final

import typer
import uvicorn
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from envmon.api import create_app
from envmon.bootstrap import open_database
from envmon.cli.common import console, err_console, handle_errors
from envmon.config import get_settings
from envmon.evaluation import flows
from envmon.ingest.bus import IngestedEvent, InProcessBus
from envmon.ingest.gateway import Gateway, GatewayConfig
from envmon.quality.live import LiveQC
from envmon.storage.db import session_scope


def _drain(
    event: IngestedEvent, events: asyncio.Queue[IngestedEvent]
) -> tuple[set[int], datetime | None]:
    """The points of ``event`` and of every event queued after it, and their earliest
    data time (None if one of them has none)."""
    batch = [event]
    while not events.empty():
        batch.append(events.get_nowait())
    points: set[int] = set().union(*(e.points for e in batch))
    firsts = [e.first_at for e in batch]
    if any(first is None for first in firsts):
        return points, None
    return points, min(f for f in firsts if f is not None)


SWEEP_S: Final = 600.0
"""Seconds between QC passes over the whole horizon (values a failed pass left)."""


class _AfterIngest:
    """QC and recomputation in worker threads; failures are reported and retried."""

    def __init__(self, factory: sessionmaker[Session], live: LiveQC) -> None:
        self.factory = factory
        self.live = live
        self.last_sweep: float | None = None

    def _qc(self, points: set[int], since: datetime | None, sweep: bool) -> None:
        now = datetime.now(UTC)
        if sweep:  # every point, from the horizon or the batches' data if older
            horizon = now - self.live.horizon
            since = horizon if since is None else min(since, horizon)
        with session_scope(self.factory) as session:
            self.live.process(
                session=session,
                now=now,
                point_ids=None if sweep else points,
                since=since,
            )

    async def qc(self, points: set[int], since: datetime | None, clock: float) -> None:
        """QC the new values of ``points`` (data from ``since``); the whole horizon
        on the first pass and every :data:`SWEEP_S` (what a failed pass left)."""
        sweep = (
            since is None
            or self.last_sweep is None
            or clock - self.last_sweep >= SWEEP_S
        )
        if sweep:
            self.last_sweep = clock
        try:
            await asyncio.to_thread(self._qc, points, since, sweep)
        except Exception as err:  # noqa: BLE001 - the values stay unflagged: retried
            err_console.print(f"QC failed, will retry: {err}", markup=False)
            self.live.forget()

    def _evaluate(self) -> None:
        with session_scope(self.factory) as session:
            flows.process_changes(session=session, now=datetime.now(UTC))

    async def evaluate(self) -> bool:
        """Consume the change marks; False if it failed (the marks stay queued)."""
        try:
            await asyncio.to_thread(self._evaluate)
        except Exception as err:  # noqa: BLE001 - keep going; the marks stay queued
            err_console.print(f"evaluation failed, will retry: {err}", markup=False)
            return False
        return True


async def process_ingested(
    events: asyncio.Queue[IngestedEvent],
    factory: sessionmaker[Session],
    settle_s: float = 5.0,
    qc: LiveQC | None = None,
) -> None:
    """The work after each committed batch: QC of the new values at once (streaming,
    state kept in ``qc``), then the recomputation of derived values once batches have
    settled for ``settle_s`` seconds, or every ``settle_s`` under steady traffic. Both
    run in a worker thread, so the gateway's loop never waits on them."""
    work = _AfterIngest(factory, qc if qc is not None else LiveQC())
    loop = asyncio.get_running_loop()
    last_evaluation = loop.time()
    pending = False
    while True:
        try:
            event = await asyncio.wait_for(events.get(), settle_s if pending else None)
        except TimeoutError:
            event = None
        if event is not None:
            points, since = _drain(event, events)
            await work.qc(points, since, loop.time())
            pending = True
        if pending and (event is None or loop.time() - last_evaluation >= settle_s):
            pending = not await work.evaluate()
            last_evaluation = loop.time()


async def run_platform(
    app: FastAPI,
    factory: sessionmaker[Session],
    *,
    host: str,
    port: int,
    gateway_port: int | None,
    gateway_host: str = "127.0.0.1",
    log_level: str = "warning",
    traffic: Callable[[int], Coroutine[Any, Any, object]] | None = None,
) -> None:
    """Serves the API and the gateway until the API server is stopped (Ctrl+C).

    ``traffic``, given the gateway's port, runs beside them (the demo's simulated loggers).
    """
    gateway = None
    task = None
    extra: asyncio.Task[object] | None = None
    evaluator: asyncio.Task[None] | None = None
    if gateway_port is not None:
        bus = InProcessBus()
        gateway = Gateway(
            factory, GatewayConfig(host=gateway_host, port=gateway_port), bus
        )
        await gateway.start()
        task = asyncio.create_task(gateway.serve_forever())
        evaluator = asyncio.create_task(process_ingested(bus.subscribe(), factory))
        console.print(f"HJ 212 gateway on {gateway_host}:{gateway.port}", markup=False)
        if traffic is not None:
            extra = asyncio.create_task(traffic(gateway.port))
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level=log_level)
    )
    try:
        await server.serve()
    finally:
        if evaluator is not None:
            evaluator.cancel()
            with contextlib.suppress(BaseException):
                await evaluator
        if extra is not None:
            extra.cancel()
            with contextlib.suppress(BaseException):
                await extra
        if task is not None and gateway is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await gateway.stop()


@handle_errors
def serve(
    host: str | None = typer.Option(None, help="API address (default ENVMON_API_HOST)"),
    port: int | None = typer.Option(None, help="API port (default ENVMON_API_PORT)"),
    gateway_port: int = typer.Option(9212, help="HJ 212 gateway port"),
    gateway_host: str = typer.Option(
        "127.0.0.1", help="gateway address (0.0.0.0 for devices)"
    ),
    no_gateway: bool = typer.Option(False, "--no-gateway", help="serve the API only"),
) -> None:
    """Serve the HTTP API and the start page, and the HJ 212 gateway beside them."""
    settings = get_settings()
    engine, factory = open_database(settings)
    app = create_app(settings, engine, publish_tree_heads=True)
    bind_host, bind_port = host or settings.api_host, port or settings.api_port
    console.print(
        f"envmon API on http://{bind_host}:{bind_port}/  (docs: /docs)", markup=False
    )
    asyncio.run(
        run_platform(
            app,
            factory,
            host=bind_host,
            port=bind_port,
            gateway_port=None if no_gateway else gateway_port,
            gateway_host=gateway_host,
            log_level=settings.log_level.lower(),
        )
    )
