"""``envmon simulate``: HJ 212 data loggers that upload to a gateway and check its acks."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import typer
import yaml
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from envmon.bootstrap import open_database
from envmon.cli.common import console, err_console, handle_errors
from envmon.config import get_settings
from envmon.registry.credit_code import check_character
from envmon.registry.enums import Element, OutletKind, Status
from envmon.registry.models import Outlet, Station
from envmon.simulate.client import SimulationStats, run
from envmon.simulate.faults import parse_faults
from envmon.simulate.sources import SYSTEM_CODES, DataKind, PointKind, PointSpec
from envmon.timeutil import BEIJING, parse_instant

__all__ = ["registry_points", "simulate", "synthetic_points", "synthetic_registry_yaml"]

SYNTHETIC_PASSWORD: Final = "123456"
OUTLETS_PER_ENTERPRISE: Final = 50
FLUE_GAS_PARAMETERS: Final = (
    "a00000", "a01011", "a01012", "a01014", "a19001", "a21002", "a21026", "a34013",
)  # fmt: skip
# Reference O2 of synthetic stacks: mostly gas boilers (GB 13271), some coal and turbines.
_REFERENCE_O2: Final = (3.5, 3.5, 3.5, 6.0, 9.0, 15.0)
_STANDARD: Final = {3.5: "GB 13271-2014", 6.0: "GB 13223-2011", 9.0: "GB 13271-2014",
                    15.0: "GB 13223-2011"}  # fmt: skip
_KINDS: Final = ("minute", "hour", "realtime")


def synthetic_points(n: int, seed: int) -> list[PointSpec]:
    """Returns ``n`` flue-gas outlets with MNs ``SIM`` + 21 digits and password 123456."""
    rng = np.random.default_rng([abs(seed), 3])
    prefix = f"SIM{abs(seed) % 1_000_000:06d}"
    return [
        PointSpec(
            mn=f"{prefix}{i:015d}",
            password=SYNTHETIC_PASSWORD,
            st=SYSTEM_CODES["flue_gas"],
            kind="flue_gas",
            source=f"DA{i % OUTLETS_PER_ENTERPRISE + 1:03d}",
            reference_o2=_REFERENCE_O2[int(rng.integers(len(_REFERENCE_O2)))],
            parameters=FLUE_GAS_PARAMETERS,
        )
        for i in range(1, n + 1)
    ]


def _credit_code(body: str) -> str:
    return body + check_character(body)


def synthetic_registry_yaml(points: list[PointSpec]) -> str:
    """Returns a registry document (``envmon registry import``) holding ``points``.

    Regions 110000/110100/110105, one O&M agency, one enterprise per 50 outlets; air points
    become air stations.
    """
    outlets = [p for p in points if p.kind != "air"]
    enterprises: list[dict[str, Any]] = []
    for number, first in enumerate(range(0, len(outlets), OUTLETS_PER_ENTERPRISE), 1):
        group = outlets[first : first + OUTLETS_PER_ENTERPRISE]
        enterprises.append(
            {
                "credit_code": _credit_code(f"91110105MA{number:07d}"),
                "name": f"模拟排污单位{number:04d}",
                "region": "110105",
                "industry": "热力生产和供应",
                "industry_code": "D4430",
                "key_categories": ["air"],
                "responsible_person": {"name": "模拟", "phone": "13800000000"},
                "outlets": [_outlet(index, p) for index, p in enumerate(group, 1)],
            }
        )
    document = {
        "version": 1,
        "regions": [
            {"code": "110000", "name": "北京市", "level": "province", "parent": None},
            {
                "code": "110100",
                "name": "北京市市辖区",
                "level": "city",
                "parent": "110000",
            },
            {"code": "110105", "name": "朝阳区", "level": "county", "parent": "110100"},
        ],
        "agencies": [
            {
                "credit_code": _credit_code("91110105MA0000000"),
                "name": "模拟运维有限公司",
                "kind": "om",
                "region": "110105",
            }
        ],
        "stations": [
            {
                "code": f"SIM{index:04d}",
                "mn": p.mn,
                "password": p.password,
                "name": f"模拟空气站{index:04d}",
                "element": "air",
                "control_level": "city",
                "region": "110105",
                "parameters": list(p.parameters),
            }
            for index, p in enumerate((p for p in points if p.kind == "air"), 1)
        ],
        "enterprises": enterprises,
    }
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def _outlet(index: int, point: PointSpec) -> dict[str, Any]:
    flue = point.kind == "flue_gas"
    return {
        "code": f"{'DA' if flue else 'DW'}{index:03d}",
        "name": f"模拟{'排气筒' if flue else '废水排放口'}{index:03d}",
        "kind": point.kind,
        "mn": point.mn,
        "password": point.password,
        "reference_o2": point.reference_o2 if flue else None,
        "emission_standard": _STANDARD.get(point.reference_o2 or 0.0) if flue else None,
        "parameters": list(point.parameters),
    }


def registry_points(
    n: int | None, session_factory: sessionmaker[Session] | None = None
) -> list[PointSpec]:
    """Returns the first ``n`` (None: all) active air stations and outlets with an MN and
    password."""
    if session_factory is None:
        _, session_factory = open_database(get_settings())
    with session_factory() as session:
        stations = session.scalars(
            select(Station)
            .where(Station.element == Element.AIR, Station.status == Status.ACTIVE)
            .where(Station.mn.is_not(None), Station.hj212_password.is_not(None))
            .options(selectinload(Station.parameters))
        ).all()
        outlets = session.scalars(
            select(Outlet)
            .where(Outlet.status == Status.ACTIVE)
            .where(Outlet.mn.is_not(None), Outlet.hj212_password.is_not(None))
            .options(selectinload(Outlet.parameters))
        ).all()
        found = [(s.id, _spec(s, "air", None)) for s in stations]
        for outlet in outlets:
            kind: PointKind = (
                "flue_gas"
                if outlet.outlet_kind is OutletKind.FLUE_GAS
                else "wastewater"
            )
            found.append((outlet.id, _spec(outlet, kind, outlet.reference_o2)))
    points = [spec for _, spec in sorted(found, key=lambda item: item[0])]
    if n is None:
        return points
    if n > len(points):
        msg = (
            f"--stations {n} exceeds the {len(points)} registered points with an MN and "
            "password (sharing an MN between loggers is wrong); use --points-from synthetic"
        )
        raise typer.BadParameter(msg, param_hint="--stations")
    return points[:n]


def _spec(
    point: Station | Outlet, kind: PointKind, reference_o2: float | None
) -> PointSpec:
    return PointSpec(
        mn=point.mn or "",
        password=point.hj212_password or "",
        st=SYSTEM_CODES[kind],
        kind=kind,
        source=point.code,
        reference_o2=reference_o2,
        parameters=tuple(point.parameter_codes),
    )


def _print(stats: SimulationStats, title: str) -> None:
    table = Table(title=title)
    table.add_column("measure")
    table.add_column("value", justify="right")
    rate = stats.sent / stats.elapsed_s if stats.elapsed_s else 0.0
    rows = [
        ("points / connections", f"{stats.points:,} / {stats.connections:,}"),
        ("frames sent", f"{stats.sent:,} ({rate:,.0f}/s)"),
        ("expected acks", f"{stats.expected:,}"),
        ("acked in time", f"{stats.acked:,}"),
        ("unacked (timeout)", f"{stats.unacked:,}"),
        ("  of which late acks", f"{stats.late:,}"),
        ("bad frames sent on purpose", f"{stats.bad:,}"),
        ("bad frames acked (gateway bug)", f"{stats.bad_acked:,}"),
        ("resends", f"{stats.resends:,}"),
        ("frames not sent (connection)", f"{stats.not_sent:,}"),
        ("acks with unknown QN", f"{stats.unmatched_acks:,}"),
        ("undecodable replies", f"{stats.reply_errors:,}"),
        ("reconnects", f"{stats.reconnects:,}"),
        ("writes / bytes", f"{stats.writes:,} / {stats.bytes_sent:,}"),
    ]
    for name, q in (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100)):
        ms = stats.latency_ms(q)
        rows.append((f"ack latency {name}", "-" if ms is None else f"{ms:,.1f} ms"))
    rows += [(f"fault {k}", f"{v:,}") for k, v in sorted(stats.faults.items())]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)


@handle_errors
def simulate(
    stations: int = typer.Option(
        10, "--stations", min=1, help="number of loggers (points)"
    ),
    rate: float = typer.Option(
        10.0, "--rate", min=0.001, help="frames/s over all points"
    ),
    duration: float = typer.Option(
        10.0, "--duration", min=0.0, help="seconds of sending"
    ),
    seed: int = typer.Option(0, "--seed", help="seed of values and faults"),
    faults: str = typer.Option(
        "", "--faults", help="e.g. bad_crc=0.01,resend=0.02,split=0.1 (rates 0-1)"
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="gateway address"),
    port: int = typer.Option(9212, "--port", min=1, max=65535, help="gateway TCP port"),
    kind: str = typer.Option(
        "minute", "--kind", help="minute (2051), hour (2061), realtime (2011)"
    ),
    start: str | None = typer.Option(
        None,
        "--start",
        help="first DataTime, ISO (no zone = Beijing); default today 00:00",
    ),
    points_from: str = typer.Option(
        "registry", "--points-from", help="registry (the database) or synthetic"
    ),
    connections: int | None = typer.Option(
        None, "--connections", min=1, help="share this many TCP connections (by MN)"
    ),
    ack_timeout: float = typer.Option(10.0, "--ack-timeout", min=0.001, help="seconds"),
    registry_out: Path | None = typer.Option(
        None, "--registry-out", help="synthetic: write the registry YAML here and exit"
    ),
) -> None:
    """Send HJ 212 uploads to a gateway; exit 1 if any good frame was not acknowledged."""
    if kind not in _KINDS:
        msg = f"must be one of {', '.join(_KINDS)}"
        raise typer.BadParameter(msg, param_hint="--kind")
    if points_from not in ("registry", "synthetic"):
        msg = "must be registry or synthetic"
        raise typer.BadParameter(msg, param_hint="--points-from")
    try:
        fault_config = parse_faults(faults)
        first = parse_instant(start) if start else None
    except ValueError as err:
        raise typer.BadParameter(str(err)) from err
    if points_from == "synthetic":
        points = synthetic_points(stations, seed)
        if registry_out is not None:
            registry_out.write_text(synthetic_registry_yaml(points), encoding="utf-8")
            console.print(f"wrote {len(points):,} synthetic points to {registry_out}")
            return
    elif registry_out is not None:
        msg = "needs --points-from synthetic"
        raise typer.BadParameter(msg, param_hint="--registry-out")
    else:
        points = registry_points(stations)
    if first is None:
        first = datetime.now(BEIJING).replace(hour=0, minute=0, second=0, microsecond=0)
    data_kind: DataKind = (
        "minute" if kind == "minute" else "hour" if kind == "hour" else "realtime"
    )
    try:
        stats = asyncio.run(
            run(points, host, port, rate=rate, duration_s=duration, seed=seed,
                faults=fault_config, kind=data_kind, start=first, connections=connections,
                ack_timeout_s=ack_timeout)
        )  # fmt: skip
    except OSError as err:
        err_console.print(f"error: cannot reach the gateway at {host}:{port}: {err}")
        raise typer.Exit(1) from err
    _print(
        stats,
        f"simulate {len(points):,} points → {host}:{port} ({kind}, faults: {fault_config})",
    )
    if not stats.ok:
        err_console.print(
            f"FAILED: {stats.unacked:,} unacknowledged, {stats.bad_acked:,} bad frames "
            f"acknowledged, {stats.not_sent:,} not sent"
        )
        raise typer.Exit(1)
