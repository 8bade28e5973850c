"""``envmon demo``: build the demo city in a fresh data directory and serve it."""

from __future__ import annotations

import asyncio
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from envmon.api import create_app
from envmon.cli.common import console, handle_errors
from envmon.cli.serve import run_platform
from envmon.cli.simulate import registry_points
from envmon.config import Settings, get_settings
from envmon.demo import build_demo
from envmon.errors import ConfigurationError
from envmon.ledger.keystore import load_or_create_key
from envmon.simulate.client import run
from envmon.simulate.faults import parse_faults
from envmon.storage.db import create_engine_for, make_session_factory
from envmon.timeutil import BEIJING, to_beijing

MARKER = ".envmon-demo"
HOUR = timedelta(hours=1)
DEMO_FAULTS = (
    "bad_crc=0.01,resend=0.02,split=0.05,merge=0.05,flag=0.01,exceed=0.01,gap=0.01"
)


def _fresh_directory(path: Path) -> None:
    # Only a directory that is empty or that an earlier demo made is cleared: never data
    # that someone else put there.
    if path.exists() and any(path.iterdir()):
        if not (path / MARKER).exists():
            msg = (
                f"{path} is not empty and was not made by 'envmon demo'; "
                "choose another --data-dir"
            )
            raise ConfigurationError(msg)
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).write_text("made by envmon demo; deleted and rebuilt by it\n")


@handle_errors
def demo(
    data_dir: Path = typer.Option(
        Path("envmon-demo"), help="directory for the demo database (rebuilt)"
    ),
    host: str = typer.Option("127.0.0.1", help="address to bind"),
    port: int = typer.Option(8000, help="port"),
    gateway_port: int = typer.Option(9212, help="HJ 212 gateway port of the demo"),
    serve: bool = typer.Option(
        True, "--serve/--no-serve", help="serve the API after building"
    ),
    days: int | None = typer.Option(
        None, min=1, help="load only the first N days of air data"
    ),
) -> None:
    """Build the demo city (Beijing's real air stations, fictional enterprises) and serve it."""
    _fresh_directory(data_dir)
    settings = Settings(data_dir=data_dir, database_url=None, env="development")
    if get_settings().database_url:
        console.print(
            "note: ENVMON_DATABASE_URL is ignored; the demo uses its own SQLite file",
            markup=False,
        )
    engine = create_engine_for(settings.resolved_database_url)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(f"载入 loading {step}", total=total)
            bar.update(tasks[step], completed=done, total=total)

        summary = build_demo(
            engine,
            progress=progress,
            air_days=days,
            ledger_key=load_or_create_key(settings.resolved_ledger_key_path),
            witness_path=settings.resolved_ledger_witness_path,
        )
    table = Table(title="envmon 演示城市 demo city")
    table.add_column("")
    table.add_column("")
    table.add_row("数据目录 data directory", str(data_dir.resolve()))
    table.add_row("空气站 air stations", str(summary.stations))
    table.add_row(
        "企业 enterprises", f"{summary.enterprises} ({summary.outlets} outlets)"
    )
    table.add_row("设备 devices", str(summary.devices))
    # Hourly values are labelled by the end of their hour (hour-ending), in Beijing time.
    span = (
        f"{to_beijing(summary.first_hour + HOUR):%Y-%m-%d %H:%M} … "
        f"{to_beijing(summary.last_hour + HOUR):%Y-%m-%d %H:%M}"
        if summary.first_hour and summary.last_hour
        else "-"
    )
    table.add_row(
        "小时数据 hourly values", f"{summary.measurements:,} ({span} Beijing)"
    )
    table.add_row(
        "质控 QC: 可疑 suspect / 无效 fail",
        f"{summary.qc_suspect:,} / {summary.qc_failed:,}",
    )
    table.add_row(
        "AQI 值 AQI values (stations, districts, city)", f"{summary.aqi_values:,}"
    )
    for username, password, role in summary.users:
        table.add_row(f"登录 login ({role})", f"{username} / {password}")
    console.print(table)
    if not serve:
        return
    base = f"http://{host}:{port}"
    console.print(
        f"打开 open {base}/ — API docs {base}/docs (Authorize with a login above); "
        "example: "
        f"{base}/api/v1/stations/1003A/series?parameter=a34004&start=2016-12-01&end=2016-12-03, "
        f"{base}/api/v1/public/regions/110100/aqi?start=2016-12-01&end=2017-01-01",
        markup=False,
        soft_wrap=True,
    )
    app = create_app(settings, engine, publish_tree_heads=True)
    factory = make_session_factory(engine)
    points = registry_points(None, factory)

    async def traffic(gateway_port: int) -> object:
        # The demo's loggers: every station and outlet uploads minute data from 24 h ago,
        # with a few injected faults, so data, duplicates and quarantine are live.
        return await run(
            points,
            "127.0.0.1",
            gateway_port,
            rate=len(points) / 20,
            duration_s=7 * 24 * 3600.0,
            seed=1,
            faults=parse_faults(DEMO_FAULTS),
            kind="minute",
            start=datetime.now(BEIJING).replace(second=0, microsecond=0)
            - timedelta(days=1),
        )

    console.print(
        f"模拟 simulating {len(points)} data loggers → HJ 212 gateway :{gateway_port} "
        f"(faults {DEMO_FAULTS})",
        markup=False,
    )
    asyncio.run(
        run_platform(
            app,
            factory,
            host=host,
            port=port,
            gateway_port=gateway_port,
            traffic=traffic,
        )
    )
