"""``envmon aqi``, ``water-class``, ``noise`` (JSON lines through the pure indices) and
``envmon evaluate`` (recompute, process change marks, finalise a month)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from envmon.bootstrap import open_database
from envmon.cli.common import handle_errors
from envmon.config import get_settings
from envmon.errors import NotFoundError
from envmon.evaluation import flows
from envmon.indices import aqi as aqi_index
from envmon.indices import noise as noise_index
from envmon.indices import water as water_index
from envmon.indices.aqi import AqiMode, AqiStandard
from envmon.indices.noise import NoiseZone
from envmon.indices.water import WaterBody
from envmon.registry.models import Point, Station
from envmon.storage.db import session_scope

__all__ = ["aqi", "evaluate_app", "noise", "water_class"]

evaluate_app = typer.Typer(
    help="Derived values: recompute, process pending changes, finalise a month.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

Record = dict[str, object]
Evaluator = Callable[[Record], Mapping[str, Any]]

NOISE_KEYS = ("day", "night")


class StandardChoice(StrEnum):
    """``--standard``: a fixed AQI rule set, or ``auto`` (the one in force at the time)."""

    AUTO = "auto"
    HJ633_2012 = AqiStandard.HJ633_2012.value
    HJ633_2026 = AqiStandard.HJ633_2026.value


INPUT_OPTION = typer.Option(
    None,
    "--input",
    "-i",
    exists=True,
    dir_okay=False,
    help="JSON lines file (default: standard input).",
)


def _echo_json(value: Mapping[str, Any]) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False))


def _record(line: bytes) -> Record:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as err:
        msg = f"not JSON: {err.msg} at column {err.colno}"
        raise ValueError(msg) from err
    except UnicodeDecodeError as err:
        msg = f"not UTF-8 text: {err.reason}"
        raise ValueError(msg) from err
    if not isinstance(value, dict):
        msg = f"expected a JSON object, got {value!r}"
        raise ValueError(msg)
    return value


def _evaluate_lines(lines: Iterable[bytes], evaluate: Evaluator) -> None:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            result = evaluate(_record(line))
        except ValueError as err:
            # A bad line is data: an {"error": …} line takes its place and the rest go on.
            _echo_json({"error": f"line {number}: {err}"})
            continue
        _echo_json(result)


def _run(source: Path | None, evaluate: Evaluator) -> None:
    if source is None:
        _evaluate_lines(typer.get_binary_stream("stdin"), evaluate)
        return
    try:
        with source.open("rb") as handle:
            _evaluate_lines(handle, evaluate)
    except OSError as error:
        typer.echo(f"error: cannot read {source}: {error.strerror or error}", err=True)
        raise typer.Exit(1) from error


def aqi(
    standard: StandardChoice = typer.Option(
        StandardChoice.AUTO, help="AQI rules; auto chooses by each record's 'time'."
    ),
    mode: AqiMode = typer.Option(AqiMode.HOURLY, help="real-time (hourly) or daily"),
    source: Path | None = INPUT_OPTION,
) -> None:
    """AQI (HJ 633) of JSON lines {indicator: concentration, "time": …}, one per line."""
    _run(
        source,
        lambda record: aqi_index.evaluate_record(
            record, standard=standard.value, mode=mode.value
        ),
    )


def water_class(
    waterbody: WaterBody = typer.Option(..., help="river or lake (TP limits differ)"),
    source: Path | None = INPUT_OPTION,
) -> None:
    """Water quality class (GB 3838-2002) and CWQI of JSON lines {item: value}."""
    _run(
        source,
        lambda record: water_index.evaluate_record(record, waterbody=waterbody.value),
    )


def _level(record: Record, key: str) -> float | None:
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"{key!r} must be a number of dB(A), got {value!r}"
        raise ValueError(msg)
    if not math.isfinite(value):
        msg = f"{key!r} must be finite, got {value!r}"
        raise ValueError(msg)
    return float(value)


def _noise_record(record: Record, zone: NoiseZone) -> dict[str, Any]:
    unknown = sorted(set(record) - set(NOISE_KEYS))
    if unknown:
        msg = f"unknown key {unknown[0]!r}; expected {' and/or '.join(NOISE_KEYS)}"
        raise ValueError(msg)
    return noise_index.assess_noise(
        _level(record, "day"), _level(record, "night"), zone=zone
    ).as_json()


def noise(
    zone: NoiseZone = typer.Option(..., help="acoustic functional zone (GB 3096-2008)"),
    source: Path | None = INPUT_OPTION,
) -> None:
    """Ld/Ln against the zone limits (GB 3096-2008) for JSON lines {"day", "night"}."""
    _run(source, lambda record: _noise_record(record, zone))


def _point_ids(session: Session, names: Collection[str]) -> list[int]:
    """Returns the ids of points named by station code or MN; unknown names raise."""
    found: dict[str, int] = {}
    for mn, point_id in session.execute(
        select(Point.mn, Point.id).where(Point.mn.in_(names))
    ):
        found[str(mn)] = point_id
    for code, point_id in session.execute(
        select(Station.code, Station.id).where(Station.code.in_(names))
    ):
        found[code] = point_id
    unknown = [name for name in names if name not in found]
    if unknown:
        msg = f"unknown point {', '.join(unknown)}: neither a station code nor an MN"
        raise NotFoundError(msg)
    return sorted({found[name] for name in names})


@evaluate_app.command("recompute")
@handle_errors
def recompute(
    first: datetime = typer.Option(
        ..., "--from", formats=["%Y-%m-%d"], help="first Beijing day"
    ),
    last: datetime = typer.Option(
        ..., "--to", formats=["%Y-%m-%d"], help="last Beijing day"
    ),
    points: list[str] | None = typer.Option(
        None, "--point", help="station code or MN (repeatable; default: every point)"
    ),
    standard: StandardChoice = typer.Option(
        StandardChoice.AUTO, help="AQI rules; auto: the ones in force at each time"
    ),
) -> None:
    """Recompute derived values of the days --from … --to in one transaction."""
    if last < first:
        msg = f"--to {last:%Y-%m-%d} is before --from {first:%Y-%m-%d}"
        raise typer.BadParameter(msg)
    rules = None if standard is StandardChoice.AUTO else AqiStandard(standard.value)
    _engine, factory = open_database(get_settings())
    with session_scope(factory) as session:
        summary = flows.recompute(
            session=session,
            first_day=first.date(),
            last_day=last.date(),
            now=datetime.now(UTC),
            point_ids=_point_ids(session, points) if points else None,
            standard=rules,
            actor="cli",
        )
    _echo_json(summary.as_json())


@evaluate_app.command("pending")
@handle_errors
def pending() -> None:
    """Recompute what the change marks of new or revised measurements touch."""
    _engine, factory = open_database(get_settings())
    with session_scope(factory) as session:
        summary = flows.process_changes(session=session, now=datetime.now(UTC))
    _echo_json(summary.as_json())


@evaluate_app.command("finalize")
@handle_errors
def finalize(
    month: datetime = typer.Argument(..., formats=["%Y-%m"], help="month, YYYY-MM"),
    actor: str = typer.Option("cli", help="who declares it final (kept in the ledger)"),
) -> None:
    """Declare a month's derived values final (after its audit)."""
    first: date = month.date()
    _engine, factory = open_database(get_settings())
    with session_scope(factory) as session:
        rows = flows.finalize_month(
            session=session, month=first, actor=actor, now=datetime.now(UTC)
        )
    _echo_json({"month": f"{first:%Y-%m}", "rows": rows})


class BulletinFormat(StrEnum):
    """Output format of the monthly bulletin."""

    HTML = "html"
    PDF = "pdf"


@evaluate_app.command("bulletin")
@handle_errors
def bulletin(
    region: str = typer.Option(..., help="city (or county) code, e.g. 110100"),
    month: datetime = typer.Option(..., formats=["%Y-%m"], help="month, YYYY-MM"),
    output_format: BulletinFormat = typer.Option(
        BulletinFormat.HTML, "--format", help="html or pdf"
    ),
    out: Path = typer.Option(..., "--out", "-o", help="file to write", dir_okay=False),
) -> None:
    """Write the monthly air-quality bulletin (月报) of a city as HTML or PDF."""
    from envmon.evaluation import bulletin as bulletins
    from envmon.evaluation import service
    from envmon.registry.scope import Scope

    _engine, factory = open_database(get_settings())
    with factory() as session:
        found = service.get_region_or_raise(session=session, scope=Scope(), code=region)
        report = bulletins.gather(
            session=session, region=found, month=month.date(), now=datetime.now(UTC)
        )
    if output_format is BulletinFormat.PDF:
        out.write_bytes(bulletins.render_pdf(report))
    else:
        out.write_text(bulletins.render_html(report), encoding="utf-8")
    _echo_json({"region": region, "month": f"{month:%Y-%m}", "file": str(out)})
